// The hashing policy of the index: when a file's stats vouch for its entry, when a file is hashed
// again (it changed while hashed; racy-files.ts), when a hash is news to peers, and the progress
// said while a big file is hashed.
import { closeSync } from 'node:fs'
import { hashFile } from './hash'
import { GONE_CODES } from './lstat-or-why'
import type { InsideFolder } from './open-inside'
import type { RacyFiles } from './racy-files'
import type { RecentBytes } from './recent-bytes'
import { UNTRUSTED_MTIME } from './saved-index'

export interface IndexedFile {
  path: string
  version: Buffer
  size: number
  mtimeMs: number
  ino: number
  /** Hashed while still being written (docs/PROTOCOL.md §12.2, flags): peers get it as a snapshot. */
  snapshot?: boolean
}

export interface FileStats {
  size: number
  mtimeMs: number
  ino: number
}

/** A file that kept changing while hashed is hashed again this long after. */
const UNSTABLE_AGAIN_MS = 1000

/** Hashes of one file that kept changing after which its last hash is kept, untrusted. */
const LAST_ATTEMPT = 4

export function sameStats(a: FileStats, b: FileStats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino
}

/**
 * What one hash of a file is worth, by its stats `before` and `after` the read and the bytes
 * read: a version it held (`held-still`), nothing (`again`: hash it once more), or, on the last
 * attempt, an untrusted version of a file written all along (`kept-changing`).
 */
export function hashOutcome(attempt: number, before: FileStats, after: FileStats, size: number): 'held-still' | 'again' | 'kept-changing' {
  if (sameStats(before, after) && size === after.size) return 'held-still'
  return attempt >= LAST_ATTEMPT ? 'kept-changing' : 'again'
}

/**
 * Whether `file`, just hashed, is news to peers against its entry `before`: a new path or other
 * content. An entry hashed while its file kept changing was refused to peers (its mtime is no
 * file's): some may have given up on that version; the same version, once held still, is news to
 * them. So is a snapshot's version found held still: it is announced again, without the flag.
 */
export function isNews(before: IndexedFile | undefined, file: IndexedFile): boolean {
  if (!before || !before.version.equals(file.version) || before.size !== file.size) return true
  return (before.mtimeMs === UNTRUSTED_MTIME && file.mtimeMs !== UNTRUSTED_MTIME) || (before.snapshot === true && file.snapshot !== true)
}

/** Who hears of a file larger than one piece while it is hashed (path, bytes so far, size), until `hashed`. */
export interface HashProgress {
  hashing(rel: string, bytes: number, total: number): void
  hashed(rel: string): void
}

export class FileHasher {
  /** Files hashed since this hasher was made: a restart should hash only what changed. */
  hashed = 0

  constructor(
    private readonly inside: InsideFolder,
    private readonly racy: RacyFiles,
    private readonly progress: HashProgress,
    /** Told the blocks of every file hashed. */
    private readonly blocks?: (file: IndexedFile, blockSize: number, hashes: Buffer[]) => void,
    /** Given the bytes of each small file hashed whole. */
    private readonly recent?: RecentBytes,
  ) {}

  /**
   * The file hashed; or 'gone' (not a regular file there any more); or 'unreadable' (there, but
   * not to be read now: no permission, no descriptor left, an I/O error), which proves nothing.
   */
  async hashOrWhy(rel: string, stats: FileStats): Promise<IndexedFile | 'gone' | 'unreadable'> {
    try {
      return await this.hashStable(rel, stats)
    } catch (error) {
      return GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ? 'gone' : 'unreadable'
    }
  }

  /**
   * Hashes until the file holds still: a file written during hashing is hashed again. `before`:
   * its stats a moment ago. A file reached through a link is not hashed (open-inside.ts).
   */
  private async hashStable(rel: string, before: FileStats): Promise<IndexedFile> {
    for (let attempt = 0; ; attempt++) {
      const readFrom = Date.now()
      let fd: number
      try {
        fd = this.inside.openFile(rel)
      } catch (error) {
        // Refused because the file opened lost its name meanwhile (replaced): the one there now.
        const now = attempt < LAST_ATTEMPT && (error as NodeJS.ErrnoException).code === 'ELOOP' ? this.inside.lstat(rel) : null
        if (typeof now === 'object' && now?.isFile()) {
          before = now
          continue
        }
        throw error
      }
      // Said while it lasts: a peer hears of the file only once it is hashed.
      const total = before.size
      let told = false
      const progress = (bytes: number): void => {
        told = true
        this.progress.hashing(rel, bytes, total)
      }
      const { version, size, after, blockSize, hashes, bytes } = await hashFile(fd, total, progress).finally(() => {
        closeSync(fd)
        if (told) this.progress.hashed(rel)
      })
      this.hashed++
      const outcome = hashOutcome(attempt, before, after, size)
      if (outcome === 'held-still') {
        this.racy.note(rel, after.mtimeMs, readFrom)
        const file = { path: rel, version, size, mtimeMs: after.mtimeMs, ino: after.ino }
        this.blocks?.(file, blockSize, hashes)
        if (bytes) this.recent?.put(rel, version, bytes, after)
        return file
      }
      if (outcome === 'kept-changing') {
        // Written all along: that hash is of no version the file had. Untrusted, a snapshot to
        // peers, and looked at again in a while.
        this.racy.hashAgainIn(rel, UNSTABLE_AGAIN_MS)
        return { path: rel, version, size, mtimeMs: UNTRUSTED_MTIME, ino: after.ino, snapshot: true }
      }
      before = after
    }
  }
}
