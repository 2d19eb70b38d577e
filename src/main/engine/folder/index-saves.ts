// When the index is written to disk: once changes have stopped for a moment, and at least every
// few seconds while they keep coming. Each save writes the whole index, so not one per change.

/** The index is saved once changes have stopped for this long... */
const SAVE_DELAY_MS = 500
/**
 * ...while changes keep coming, at least this often: each save writes the whole index, and a
 * save every SAVE_DELAY_MS through a burst of new files took the thread that hashes them.
 */
const SAVE_AT_LEAST_EVERY_MS = 5000

export class IndexSaves {
  private timer: NodeJS.Timeout | null = null
  /** When the index last changed, and its oldest change not saved yet (a monotonic clock: a clock set back must not put saves off). */
  private lastChange = 0
  private firstUnsaved = 0

  /** `save`: queues a save of the whole index (in turn with the index's other work). */
  constructor(private readonly save: () => void) {}

  /** The index changed: a save is due. */
  changed(): void {
    this.lastChange = performance.now()
    if (this.timer) return
    this.firstUnsaved = this.lastChange
    this.arm(SAVE_DELAY_MS)
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
      const wait = Math.min(this.lastChange + SAVE_DELAY_MS, this.firstUnsaved + SAVE_AT_LEAST_EVERY_MS) - performance.now()
      if (wait > 0) return this.arm(wait)
      this.timer = null
      this.save()
    }, ms)
  }
}
