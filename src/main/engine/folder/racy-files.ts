// Files hashed so soon after their last write that their stats cannot vouch for their content
// yet (git calls such index entries "racily clean"). A file system stamps a write with a clock
// that moves in ticks (a few milliseconds on Linux, up to 2 s on FAT): a second write of the same
// size within the tick of the first leaves size, mtime and inode exactly as they were hashed. Such
// a file is hashed once more when the tick is surely over, and until then the folder server
// checks the bytes it streams against the version it names.

/** Tick of a file system whose mtimes carry fractions of a second: Linux's coarse clock is ≤ 10 ms. */
const FINE_TICK_MS = 50
/** Tick of one whose mtimes are whole seconds: FAT counts in 2 s. */
const COARSE_TICK_MS = 2000

/** How long after `mtimeMs` a write can still leave that mtime as it is. */
function tickOf(mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? COARSE_TICK_MS : FINE_TICK_MS
}

/**
 * Whether a file last written at `mtimeMs`, whose hash read it from `readFrom` on, is racy: its
 * tick was not over when the read began, so a write during the read or after it may have kept
 * its mtime. (A read that found the stats moved is not judged here: it is no hash of anything.)
 */
export function isRacy(mtimeMs: number, readFrom: number): boolean {
  const tick = tickOf(mtimeMs)
  // An mtime ahead of the clock by more than a tick is not racy: a write now would stamp now.
  return readFrom < mtimeMs + tick && mtimeMs < readFrom + tick
}

export class RacyFiles {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  /** Files whose hash is put off until their tick is over, and those whose wait is over (see postpone). */
  private readonly postponed = new Map<string, 'waiting' | 'over'>()

  /** `tickOver(path)` runs once the tick of its last write has passed: hash it then. */
  constructor(private readonly tickOver: (path: string) => void) {}

  /** A file was just hashed, read from `readFrom` on: racy or not, by its mtime. */
  note(path: string, mtimeMs: number, readFrom: number): void {
    if (!isRacy(mtimeMs, readFrom)) return this.forget(path)
    this.hashAgainIn(path, mtimeMs + tickOf(mtimeMs) - Date.now() + 1)
  }

  /** Racy whatever its stats (a file that never held still while hashed): hashed again in `ms`. */
  hashAgainIn(path: string, ms: number): void {
    // Hashed meanwhile (by a look at the whole folder): a hash put off is moot, and its timer goes.
    this.postponed.delete(path)
    clearTimeout(this.timers.get(path))
    const timer = setTimeout(() => this.tickOver(path), Math.max(1, ms))
    timer.unref()
    this.timers.set(path, timer)
  }

  /**
   * Whether to put off hashing a file last written at `mtimeMs` until its tick is over (it is
   * looked at again then): hashed now, it would be racy and hashed once more at that time anyway.
   * Looks meanwhile wait too; the look when the tick is over hashes whatever it finds, so a file
   * rewritten again and again is still hashed. Only where the tick is short (a file system with
   * whole-second mtimes would hold new files for seconds).
   */
  postpone(path: string, mtimeMs: number, now = Date.now()): boolean {
    const state = this.postponed.get(path)
    // Another look meanwhile (the file's next event): the timer looks again.
    if (state === 'waiting') return true
    if (state === 'over' || tickOf(mtimeMs) !== FINE_TICK_MS || !isRacy(mtimeMs, now)) {
      this.postponed.delete(path)
      return false
    }
    this.postponed.set(path, 'waiting')
    clearTimeout(this.timers.get(path))
    const timer = setTimeout(() => {
      this.postponed.set(path, 'over')
      this.tickOver(path)
    }, Math.max(1, mtimeMs + FINE_TICK_MS - now + 1))
    timer.unref()
    this.timers.set(path, timer)
    return true
  }

  has(path: string): boolean {
    return this.timers.has(path)
  }

  /** Hashed again outside the tick, or gone. */
  forget(path: string): void {
    clearTimeout(this.timers.get(path))
    this.timers.delete(path)
    this.postponed.delete(path)
  }

  /** No more hashing: the timers stop, but what is racy stays so (a last save must say so). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
  }
}
