// A file seen growing is most likely still being written: it is hashed only once it has held still
// for a while that grows with each look finding it grown, so peers do not fetch every partial version.

export const SETTLE_BASE_MS = 100
export const MAX_SETTLE_MS = 2000
/** A file still growing after this long is hashed as it is, and announced as a snapshot. */
export const SNAPSHOT_AFTER_MS = 30_000

export interface SettleState {
  /** Its size at the last look. */
  size: number
  /** Looks in a row that found it grown. */
  grown: number
  /** When its first postponed look was; null while none is. */
  waitingSince: number | null
  /** Its mtime while that is ahead of the clock, and the first look that found it so (see settle). */
  ahead?: { mtimeMs: number; since: number }
}

/**
 * Pure: how long a file of `size`, last written at `mtimeMs`, waits before it is hashed (0: now),
 * its state after this look, and whether it is hashed now only because it was waited for long
 * enough (`snapshot`: it never held still).
 */
export function settle(
  state: SettleState | undefined,
  size: number,
  mtimeMs: number,
  now: number,
  snapshotAfterMs = SNAPSHOT_AFTER_MS,
): { waitMs: number; next: SettleState; snapshot: boolean } {
  const grew = state !== undefined && size > state.size
  const grown = grew ? state.grown + 1 : (state?.grown ?? 0)
  const hashNow = { size, grown: 0, waitingSince: null }
  if (grown === 0) return { waitMs: 0, next: hashNow, snapshot: false }
  // A clock set back since the first postponed look would put the snapshot off by as much.
  const waitingSince = Math.min(state?.waitingSince ?? now, now)
  // An mtime ahead of the clock (stamped by another machine's, or ours set back) says nothing of
  // when the file was last written: it has held still since the first look that found it so.
  const known = state?.ahead
  const aheadSince = mtimeMs <= now ? null : known && known.mtimeMs === mtimeMs && !grew ? known.since : now
  const stillFor = now - (aheadSince ?? mtimeMs)
  const needed = Math.min(MAX_SETTLE_MS, SETTLE_BASE_MS * 2 ** (grown - 1))
  if (stillFor >= needed) return { waitMs: 0, next: hashNow, snapshot: false }
  if (now - waitingSince >= snapshotAfterMs) return { waitMs: 0, next: hashNow, snapshot: true }
  const next: SettleState = aheadSince === null ? { size, grown, waitingSince } : { size, grown, waitingSince, ahead: { mtimeMs, since: aheadSince } }
  return { waitMs: needed - stillFor, next, snapshot: false }
}

/** What a look at a file decides: hash it now (`settled`, or as a `snapshot` of a file that never held still), or `wait`. */
export type SettleVerdict = 'settled' | 'snapshot' | 'wait'

/** The settle state of every file under watch, and the timers that look at the postponed ones again. */
export class SettleGate {
  private readonly states = new Map<string, SettleState>()
  private readonly timers = new Map<string, NodeJS.Timeout>()

  /**
   * `again(path)`: look at a postponed file once its wait is over. `snapshotAfterMs`: how long a
   * file is waited for at most (SNAPSHOT_AFTER_MS; tests shorten it).
   */
  constructor(
    private readonly again: (path: string) => void,
    private readonly snapshotAfterMs = SNAPSHOT_AFTER_MS,
  ) {}

  /**
   * Whether to hash `path` now. `known`: the size the index holds for it (a file it never
   * indexed has none, and is hashed at once). `wait`: it is looked at again when it may have settled.
   */
  ready(path: string, known: number | undefined, size: number, mtimeMs: number, now = Date.now()): SettleVerdict {
    const state = this.states.get(path) ?? (known === undefined ? undefined : { size: known, grown: 0, waitingSince: null })
    const { waitMs, next, snapshot } = settle(state, size, mtimeMs, now, this.snapshotAfterMs)
    // Hashed now: the index's entry holds its size for the next look.
    if (waitMs === 0) {
      this.forget(path)
      return snapshot ? 'snapshot' : 'settled'
    }
    this.states.set(path, next)
    clearTimeout(this.timers.get(path))
    const timer = setTimeout(() => {
      this.timers.delete(path)
      this.again(path)
    }, waitMs)
    timer.unref()
    this.timers.set(path, timer)
    return 'wait'
  }

  /**
   * A file new to the index, looked at moments after it was written and put off until its clock
   * tick is over (racy-files.ts): its size now, so the look after knows whether it grew meanwhile.
   */
  sawNew(path: string, size: number): void {
    if (!this.states.has(path)) this.states.set(path, { size, grown: 0, waitingSince: null })
  }

  forget(path: string): void {
    clearTimeout(this.timers.get(path))
    this.timers.delete(path)
    this.states.delete(path)
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }
}
