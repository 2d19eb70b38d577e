// The readable terminal's bursts: a peer's many files make one summary line (and a progress line
// now and then), a few files their own lines. Owns the timer the summarizer asks for; disposing
// it prints what is still open, so the summary comes before the goodbye line.
import { describeBurst, describeBurstProgress } from '../shared/live/burst-text'
import { BurstSummarizer, DEFAULT_BURST_OPTIONS, type BurstOptions, type BurstOutput } from '../shared/live/bursts'
import type { EngineEvent } from '../shared/events'

export class BurstPrinter {
  private readonly bursts: BurstSummarizer<EngineEvent>
  private timer: NodeJS.Timeout | null = null
  private timerDue = Infinity
  private disposed = false

  constructor(
    /** Shows one event as its own line (or leaves it out, as the readable printer decides). */
    private readonly show: (event: EngineEvent) => void,
    /** Writes a summary or progress line. */
    private readonly line: (text: string) => void,
    options: BurstOptions = DEFAULT_BURST_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {
    this.bursts = new BurstSummarizer(options)
  }

  /** A device's name by its address, as the events printed so far told it. */
  nameOf(peer: string): string | undefined {
    return this.bursts.nameOf(peer)
  }

  print(event: EngineEvent): void {
    if (this.disposed) return this.show(event)
    this.emit(this.bursts.push(event, this.now()))
    this.schedule()
  }

  /** Prints every burst still open and stops the timer; later events print one line each. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.emit(this.bursts.flush())
  }

  private emit(outputs: BurstOutput<EngineEvent>[]): void {
    for (const output of outputs) {
      if (output.kind === 'event') this.show(output.event)
      else this.line(output.kind === 'summary' ? describeBurst(output.burst) : describeBurstProgress(output.burst))
    }
  }

  /** One timer for the earliest due burst; news that makes it due later leaves it to fire early and re-arm. */
  private schedule(): void {
    const due = this.bursts.nextDue()
    if (due === null || (this.timer && due >= this.timerDue)) return
    if (this.timer) clearTimeout(this.timer)
    this.timerDue = due
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - this.now()))
    // The engine keeps the process alive, not a pending summary.
    this.timer.unref()
  }

  private fire(): void {
    this.timer = null
    this.timerDue = Infinity
    this.emit(this.bursts.tick(this.now()))
    this.schedule()
  }
}
