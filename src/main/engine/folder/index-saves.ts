// When an index is written to disk (the shared folder's, or a mirror's manifest): once changes
// have stopped for a moment, and at least every few seconds while they keep coming. A save
// appends what changed (record-journal.ts) and now and then writes the whole: batched all the same.

/** The index is saved once changes have stopped for this long... */
const SAVE_DELAY_MS = 500
/**
 * ...while changes keep coming, at least this often: a save every SAVE_DELAY_MS through a burst
 * of new files took the thread that hashes them (when each wrote the whole index).
 */
const SAVE_AT_LEAST_EVERY_MS = 5000
/** A save that failed (a full or read-only disk) is tried again after this, doubling to a minute. */
const FAILED_RETRY_MS = 1000
const FAILED_RETRY_MAX_MS = 60_000

/** How long from `now` until a save is due (0: now), given the first and last unsaved change. */
export function saveDueIn(now: number, firstUnsaved: number, lastChange: number, quietMs: number, atLeastEveryMs: number): number {
  return Math.max(0, Math.min(lastChange + quietMs, firstUnsaved + atLeastEveryMs) - now)
}

export class IndexSaves {
  private timer: NodeJS.Timeout | null = null
  /** When the index last changed, and its oldest change not saved yet (a monotonic clock: a clock set back must not put saves off). */
  private lastChange = 0
  private firstUnsaved = 0
  /** Saves failed in a row since the last that worked. */
  private failures = 0

  /** `save`: queues a save of the whole index (in turn with the owner's other work). */
  constructor(
    private readonly save: () => void,
    private readonly quietMs = SAVE_DELAY_MS,
    private readonly atLeastEveryMs = SAVE_AT_LEAST_EVERY_MS,
  ) {}

  /** The index changed: a save is due. */
  changed(): void {
    this.lastChange = performance.now()
    if (this.timer) return
    this.firstUnsaved = this.lastChange
    this.arm(this.quietMs)
  }

  /**
   * A save failed: it is tried again after a while, with no change needed. True for the first
   * failure since a save worked (the one worth saying).
   */
  failed(): boolean {
    this.failures++
    if (!this.timer) this.arm(Math.min(FAILED_RETRY_MAX_MS, FAILED_RETRY_MS * 2 ** (this.failures - 1)))
    return this.failures === 1
  }

  /** A save worked: a later failure is news again. */
  saved(): void {
    this.failures = 0
  }

  /**
   * Waits for a save: one that works makes a later failure news again; one that fails is tried
   * again by itself, and `say` is told its reason when it is the first failure since one worked
   * (unless `closed` says the owner is done).
   */
  settle(saving: Promise<void>, say: (why: string) => void, closed: () => boolean): Promise<void> {
    return saving.then(
      () => this.saved(),
      (error: unknown) => {
        if (!closed() && this.failed()) say(error instanceof Error ? error.message : String(error))
      },
    )
  }

  /** Stops the timer; true when a save was due (the owner saves once more as it closes). */
  dispose(): boolean {
    if (!this.timer) return false
    clearTimeout(this.timer)
    this.timer = null
    return true
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const wait = saveDueIn(performance.now(), this.firstUnsaved, this.lastChange, this.quietMs, this.atLeastEveryMs)
      if (wait > 0) return this.arm(wait)
      this.timer = null
      this.save()
    }, ms)
  }
}
