// The mirror's own disk as pulls meet it. A file that would not fit is held before it is fetched
// (free-space.ts); a write the disk refuses is not the peer's fault and no try of the file's: it
// waits for the disk (local-retry.ts). Each cause is said once per mirror while it lasts, naming
// the folder and what to do, never once per file or per try.
import { formatBytes } from '../../../shared/format-bytes'
import { FreeSpace, type DiskReading } from './free-space'
import type { PeerRef } from './jobs'
import { LocalRetry } from './local-retry'
import { namedPeer } from './peer-state'
import { writeCause, type WriteCause } from './write-failure'

/** A peer's mirror as these messages name it. */
export interface WritingMirror {
  readonly ref: PeerRef
  readonly name: string
}

export interface LocalWritesOptions<M extends WritingMirror> {
  /** Says one problem about a mirror (a `write-failed` error). */
  report: (message: string, peer: string) => void
  /** Considers these paths of the mirror again. */
  retry: (mirror: M, paths: string[]) => void
  /** The bytes still to come into the mirror, for the message. */
  toCome: (mirror: M) => number
  /** The disk under a folder (statfs by default). */
  readDisk?: (folder: string) => DiskReading
  /** The wait before retry round n (1 s doubling to a minute by default). */
  delay?: (round: number) => number
}

/** What stands in the way, and when the files come, by cause. */
const CAUSE_TEXT: Readonly<Record<WriteCause, { problem: string; until: string }>> = {
  'read-only': { problem: 'its disk is read-only', until: 'it is writable again' },
  'no-permission': { problem: 'this user may not write there', until: 'it may (see the owner and permissions of the folder)' },
  full: { problem: 'its disk is full', until: 'there is room (free some space on it)' },
  'disk-error': { problem: 'its disk reports I/O errors', until: 'the disk works again' },
  'open-files': { problem: 'too many files are open', until: 'fewer are, or the limit of open files is raised' },
  other: { problem: 'the disk refuses writes', until: 'it takes them again' },
}

export class LocalWrites<M extends WritingMirror> {
  /** By device ID: each lives while its peer is mirrored. */
  private readonly retries = new Map<string, LocalRetry>()
  private readonly space: FreeSpace

  constructor(private readonly options: LocalWritesOptions<M>) {
    this.space = new FreeSpace(options.readDisk)
  }

  /** Whether `rel` (`size` bytes) may be pulled now; when it would not fit, it waits for room. */
  admit(mirror: M, rel: string, size: number): boolean {
    const fit = this.space.admit(mirror.ref.folder, rel, size)
    if (fit.fit) return true
    if (this.retryOf(mirror).wait(rel, 'full').news) {
      const need = Math.max(fit.need, this.options.toCome(mirror))
      this.options.report(
        `not enough free space in ${mirror.ref.folder}: ${formatBytes(need)} needed, ${formatBytes(fit.free)} free. The files from ${namedPeer(mirror)} wait, and come by themselves once there is room (free some space on its disk)`,
        mirror.ref.key,
      )
    }
    return false
  }

  /** A pull into the mirror of `peer` ended; `written`: its file is in place. */
  ended(peer: PeerRef, rel: string, written: boolean): void {
    this.space.ended(peer.folder, rel, written)
    if (written) this.retries.get(peer.id)?.settled(rel, true)
  }

  /** The disk refused the write of `rel` (`reason`): it waits. True when it did not wait already (worth a line). */
  refused(mirror: M, rel: string, reason: string): boolean {
    const cause = writeCause(reason)
    const { news, first } = this.retryOf(mirror).wait(rel, cause)
    if (news) {
      const { problem, until } = CAUSE_TEXT[cause]
      this.options.report(`cannot write into ${mirror.ref.folder}: ${problem}. The files from ${namedPeer(mirror)} wait, and come by themselves once ${until} (${reason})`, mirror.ref.key)
    }
    return first
  }

  /** `rel`, deleted at the peer, is gone from the mirror: the disk takes changes again. */
  removed(mirror: M, rel: string): void {
    this.retries.get(mirror.ref.id)?.settled(rel, true)
  }

  /** `rel` is not to be pulled any more (up to date, deleted at the peer): it waits no longer. */
  unwanted(mirror: M, rel: string): void {
    this.retries.get(mirror.ref.id)?.settled(rel, false)
  }

  /** How many of the mirror's files wait for its disk. */
  waiting(mirror: M): number {
    return this.retries.get(mirror.ref.id)?.size ?? 0
  }

  /** The peer is not mirrored now: its waiting files are forgotten (a fresh list brings them). */
  forget(mirror: M): void {
    this.retries.get(mirror.ref.id)?.dispose()
    this.retries.delete(mirror.ref.id)
    this.space.forget(mirror.ref.folder)
  }

  dispose(): void {
    for (const retry of this.retries.values()) retry.dispose()
    this.retries.clear()
  }

  private retryOf(mirror: M): LocalRetry {
    let retry = this.retries.get(mirror.ref.id)
    if (!retry) this.retries.set(mirror.ref.id, (retry = new LocalRetry((paths) => this.options.retry(mirror, paths), this.options.delay)))
    return retry
  }
}
