// Reports a changing state at most once per interval: never in the turn that changed it (the
// change may be half made), and always once after the last change, so the last report is the
// state as it settled.
export class Sampler {
  private last = 0
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly intervalMs: number,
    private readonly report: () => void,
  ) {}

  /** Something changed: a report follows, within the interval. */
  schedule(): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.last + this.intervalMs - Date.now()))
    this.timer.unref()
  }

  /** No report from now on. */
  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private fire(): void {
    this.timer = null
    this.last = Date.now()
    this.report()
  }
}
