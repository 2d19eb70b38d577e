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

/** Whether a file last written at `mtimeMs` and hashed (read to its end) by `hashedAt` is racy. */
export function isRacy(mtimeMs: number, hashedAt: number): boolean {
  const since = hashedAt - mtimeMs
  // An mtime ahead of the clock by more than a tick is not racy: a write now would stamp now.
  return since > -tickOf(mtimeMs) && since < tickOf(mtimeMs)
}

export class RacyFiles {
  private readonly timers = new Map<string, NodeJS.Timeout>()

  /** `tickOver(path)` runs once the tick of its last write has passed: hash it then. */
  constructor(private readonly tickOver: (path: string) => void) {}

  /** A file was just hashed: racy or not, by its mtime and the time the hash finished. */
  note(path: string, mtimeMs: number, hashedAt: number): void {
    if (!isRacy(mtimeMs, hashedAt)) return this.forget(path)
    clearTimeout(this.timers.get(path))
    const timer = setTimeout(() => this.tickOver(path), mtimeMs + tickOf(mtimeMs) - hashedAt + 1)
    timer.unref()
    this.timers.set(path, timer)
  }

  has(path: string): boolean {
    return this.timers.has(path)
  }

  /** Hashed again outside the tick, or gone. */
  forget(path: string): void {
    clearTimeout(this.timers.get(path))
    this.timers.delete(path)
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }
}
