// A file seen growing is most likely still being written: it is hashed only once it has held still
// for a while that grows with each look finding it grown, so peers do not fetch every partial version.

export const SETTLE_BASE_MS = 100
export const MAX_SETTLE_MS = 2000
export const SNAPSHOT_AFTER_MS = 30_000

export interface SettleState {
  /** Its size at the last look. */
  size: number
  /** Looks in a row that found it grown. */
  grown: number
  /** When its first postponed look was; null while none is. */
  waitingSince: number | null
}

/** Pure: how long a file of `size`, last written at `mtimeMs`, waits before it is hashed (0: now), and its state after this look. */
export function settle(state: SettleState | undefined, size: number, mtimeMs: number, now: number): { waitMs: number; next: SettleState } {
  const grew = state !== undefined && size > state.size
  const grown = grew ? state.grown + 1 : (state?.grown ?? 0)
  if (grown === 0) return { waitMs: 0, next: { size, grown: 0, waitingSince: null } }
  const waitingSince = state?.waitingSince ?? now
  const stillFor = now - mtimeMs
  const needed = Math.min(MAX_SETTLE_MS, SETTLE_BASE_MS * 2 ** (grown - 1))
  if (stillFor >= needed || now - waitingSince >= SNAPSHOT_AFTER_MS) return { waitMs: 0, next: { size, grown: 0, waitingSince: null } }
  return { waitMs: needed - stillFor, next: { size, grown, waitingSince } }
}

/** The settle state of every file under watch, and the timers that look at the postponed ones again. */
export class SettleGate {
  private readonly states = new Map<string, SettleState>()
  private readonly timers = new Map<string, NodeJS.Timeout>()

  /** `again(path)`: look at a postponed file once its wait is over. */
  constructor(private readonly again: (path: string) => void) {}

  /**
   * Whether to hash `path` now. `known`: the size the index holds for it (a file it never
   * indexed has none, and is hashed at once). False: it is looked at again when it may have settled.
   */
  ready(path: string, known: number | undefined, size: number, mtimeMs: number, now = Date.now()): boolean {
    const state = this.states.get(path) ?? (known === undefined ? undefined : { size: known, grown: 0, waitingSince: null })
    const { waitMs, next } = settle(state, size, mtimeMs, now)
    // Hashed now: the index's entry holds its size for the next look.
    if (waitMs === 0) {
      this.forget(path)
      return true
    }
    this.states.set(path, next)
    clearTimeout(this.timers.get(path))
    const timer = setTimeout(() => {
      this.timers.delete(path)
      this.again(path)
    }, waitMs)
    timer.unref()
    this.timers.set(path, timer)
    return false
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
