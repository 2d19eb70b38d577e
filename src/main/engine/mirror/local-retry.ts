// One mirror's files that its disk would not take (read-only, full, no permission): they wait,
// and a few are tried again on a backoff for as long as the cause lasts. Once one is written, all
// the others are tried at once. Owns its one timer: dispose ends it.
import { retryDelay } from './reachability'
import type { WriteCause } from './write-failure'

/** Files tried again each round: a handful shows whether the disk takes writes again. */
export const PROBES_PER_ROUND = 4

interface Waiting {
  cause: WriteCause
  /** Handed to be tried, and not yet back. */
  out: boolean
}

export class LocalRetry {
  private readonly waiting = new Map<string, Waiting>()
  private readonly perCause = new Map<WriteCause, number>()
  /** Waiting paths not handed out. */
  private idle = 0
  /** Rounds in a row without a write. */
  private rounds = 0
  private timer: NodeJS.Timeout | null = null
  private disposed = false

  /** `retry`: paths to try again now (each ends in wait or settled); `delay`: the wait before round n (1, 2, …). */
  constructor(
    private readonly retry: (paths: string[]) => void,
    private readonly delay: (round: number) => number = retryDelay,
  ) {}

  get size(): number {
    return this.waiting.size
  }

  /** Whether a round is due. */
  get scheduled(): boolean {
    return this.timer !== null
  }

  has(rel: string): boolean {
    return this.waiting.has(rel)
  }

  /**
   * `rel` could not be written for `cause`: it waits for a later round. `news`: nothing waited for
   * that cause (it is to be said); `first`: the path was not waiting for it already.
   */
  wait(rel: string, cause: WriteCause): { news: boolean; first: boolean } {
    if (this.disposed) return { news: false, first: false }
    const before = this.waiting.get(rel)
    // Judged before it leaves its place: a lone file refused again for the same cause is no news.
    const news = !this.perCause.get(cause)
    if (before) this.remove(rel, before)
    // At the back: the next rounds try the others first.
    this.waiting.set(rel, { cause, out: false })
    this.perCause.set(cause, (this.perCause.get(cause) ?? 0) + 1)
    this.idle++
    if (!this.timer) this.schedule()
    return { news, first: before?.cause !== cause }
  }

  /**
   * `rel` no longer waits: `written` (the disk took it), or it is not wanted any more (the peer
   * deleted or changed it). A write lets every other waiting file be tried at once. A cause nothing
   * waits for any more is over: it is news again.
   */
  settled(rel: string, written: boolean): void {
    const entry = this.waiting.get(rel)
    if (!entry) return
    this.remove(rel, entry)
    if (this.waiting.size === 0) {
      this.cancel()
      this.rounds = 0
    } else if (written) {
      this.rounds = 0
      this.cancel()
      this.schedule()
      this.handOut(this.idle)
    }
  }

  /** Ends the timer and forgets every path (the peer left, the client stops). */
  dispose(): void {
    this.disposed = true
    this.cancel()
    this.waiting.clear()
    this.perCause.clear()
    this.idle = 0
  }

  private remove(rel: string, entry: Waiting): void {
    this.waiting.delete(rel)
    if (!entry.out) this.idle--
    const left = (this.perCause.get(entry.cause) ?? 1) - 1
    if (left > 0) this.perCause.set(entry.cause, left)
    else this.perCause.delete(entry.cause)
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.round(), this.delay(++this.rounds))
    this.timer.unref()
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private round(): void {
    this.timer = null
    if (this.disposed || this.waiting.size === 0) return
    this.schedule()
    // All handed out with no word back (a transfer still under way): asked about again.
    this.handOut(PROBES_PER_ROUND, this.idle === 0)
  }

  /** Hands up to `count` waiting paths (from the front) to be tried; `again`: those already out too. */
  private handOut(count: number, again = false): void {
    const paths: string[] = []
    for (const [rel, entry] of this.waiting) {
      if (paths.length >= count) break
      if (entry.out && !again) continue
      if (!entry.out) this.idle--
      entry.out = true
      paths.push(rel)
    }
    if (paths.length) this.retry(paths)
  }
}
