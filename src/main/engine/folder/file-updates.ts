// When a path's entry in the index changes, and to what: the hashing policy. A file with the
// stats it was indexed with keeps its hash unless its content was seen to differ; a file still
// growing waits (settle-gate.ts); one written within the clock's tick is hashed once the tick is
// over (racy-files.ts); one that never holds still is shared as a snapshot.
import type { EventSink } from '../../../shared/events'
import { relativePathProblem } from '../../../shared/paths'
import type { IndexChange } from '../protocol/messages'
import { isNews, sameStats, type FileHasher, type FileStats, type IndexedFile } from './file-hashing'
import type { FileTable } from './file-table'
import { RacyFiles } from './racy-files'
import { MAX_SETTLE_MS, SettleGate } from './settle-gate'

/** How an indexed file is announced to peers. */
export function upsertOf(file: IndexedFile): IndexChange {
  return { op: 'upsert', path: file.path, version: file.version, size: file.size, snapshot: file.snapshot === true }
}

/**
 * What peers hear when the index `before` is replaced by `next` (the folder back): every file,
 * changed or not, and the deletion of each one gone.
 */
export function replacedIndex(before: Map<string, IndexedFile>, next: Map<string, IndexedFile>): IndexChange[] {
  const changes = [...next.values()].map(upsertOf)
  for (const rel of before.keys()) if (!next.has(rel)) changes.push({ op: 'delete', path: rel })
  return changes
}

export interface FileUpdatesHost {
  /** The index's table of files now (a look at the whole folder replaces it). */
  files(): FileTable<IndexedFile>
  onEvent: EventSink
  /** A path to look at again (its entry may be stale): it joins the next batch. */
  lookAgain(rel: string): void
  /** A file that cannot be read now: its last version stays shared meanwhile. */
  unreadable(rel: string): void
  /** An entry's stats changed, not its content: worth saving, nothing to announce. */
  touched(): void
}

export class FileUpdates {
  /** Paths whose content is known to differ from their entry, whatever their stats say. */
  private readonly distrusted = new Set<string>()
  /** See racy-files.ts: hashed again once their write's clock tick is over. */
  readonly racy: RacyFiles
  /** Files still growing wait until they hold still (settle-gate.ts). */
  private readonly settling: SettleGate
  readonly hasher: FileHasher

  /** `makeHasher`: the hasher, which tells the racy files it hashed. */
  constructor(
    private readonly host: FileUpdatesHost,
    makeHasher: (racy: RacyFiles) => FileHasher,
    snapshotAfterMs?: number,
  ) {
    this.racy = new RacyFiles((rel) => this.distrust(rel))
    this.settling = new SettleGate((rel) => this.distrust(rel), snapshotAfterMs)
    this.hasher = makeHasher(this.racy)
  }

  /** Hashes `rel` again at its next look, even if its size, mtime and inode are as indexed. */
  distrust(rel: string): void {
    this.distrusted.add(rel)
    this.host.lookAgain(rel)
  }

  /**
   * A file a look at the whole folder found: the entry it had if its stats still match (and it
   * is not racy), else hashed now; or why it could not be.
   */
  async scanned(rel: string, before: IndexedFile | undefined, stats: FileStats): Promise<IndexedFile | 'gone' | 'unreadable'> {
    // Its entry is what the disk holds now: a wait to settle (its look may have been dropped while
    // the folder was away) would date its growth from before, and call it a snapshot at once.
    this.settling.forget(rel)
    // A racy entry is hashed again (its re-hash may have been dropped while the folder was away).
    if (before && sameStats(before, stats) && !this.racy.has(rel)) return before
    const file = await this.hasher.hashOrWhy(rel, stats)
    if (typeof file !== 'string') this.saySnapshot(before, file)
    return file
  }

  /** Brings one path up to date; a file taken out of the index also goes into `removed`. */
  async update(rel: string, stats: FileStats | null, changes: IndexChange[], removed?: Map<string, IndexedFile>): Promise<void> {
    const files = this.host.files()
    const before = files.get(rel)
    if (!stats || relativePathProblem(rel)) {
      this.distrusted.delete(rel)
      this.racy.forget(rel)
      this.settling.forget(rel)
      if (before) {
        files.delete(rel)
        removed?.set(rel, before)
        changes.push({ op: 'delete', path: rel })
      }
      return
    }
    if (before && sameStats(before, stats) && !this.distrusted.delete(rel)) return
    // Still growing: its last version stays shared until it holds still.
    const verdict = this.settling.ready(rel, before?.size, stats.size, stats.mtimeMs)
    if (verdict === 'wait') return
    // Written within the clock's tick (a file cp is making): hashed once, when the tick is over,
    // unless it grew meanwhile: then it is being written, and waits to hold still like any file.
    if (verdict === 'settled' && this.racy.postpone(rel, stats.mtimeMs)) {
      if (!before) this.settling.sawNew(rel, stats.size)
      return
    }
    const hashed = await this.hasher.hashOrWhy(rel, stats)
    if (hashed === 'gone') return this.update(rel, null, changes, removed)
    // Looked at again once it can be: its last version stays shared meanwhile.
    if (hashed === 'unreadable') return this.host.unreadable(rel)
    // Grown while hashed (a file new to the index, met mid-write): it is a file seen growing, and
    // waits to hold still like one; only the settle limit makes a snapshot of it.
    if (hashed.snapshot && verdict === 'settled' && hashed.size > stats.size && this.settling.ready(rel, stats.size, hashed.size, Date.now()) === 'wait') return
    // Waited for long enough and still growing: shared as it is now. Looked at again once it may
    // have stopped, so that a file that did is announced without the flag.
    const file = verdict === 'snapshot' ? { ...hashed, snapshot: true } : hashed
    if (file.snapshot) this.racy.hashAgainIn(rel, MAX_SETTLE_MS)
    if (!isNews(before, file)) {
      // Touched, same content: nothing to announce, but its new stats are worth keeping.
      files.set(rel, file)
      this.host.touched()
      return
    }
    files.set(rel, file)
    changes.push(upsertOf(file))
    this.saySnapshot(before, file)
  }

  /** Stops the timers that look at racy and growing files again. */
  close(): void {
    this.racy.close()
    this.settling.close()
  }

  /** A file that becomes a snapshot is said once, not again for each later snapshot while it keeps moving. */
  private saySnapshot(before: IndexedFile | undefined, file: IndexedFile): void {
    if (file.snapshot && !before?.snapshot) this.host.onEvent({ type: 'file-snapshot', path: file.path, bytes: file.size, version: file.version.toString('hex') })
  }
}
