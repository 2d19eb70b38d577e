// Runs a function at most once per interval: now if it has been quiet, else once at the end of
// the interval (so the last state is always delivered).
export class Throttle {
  private last = 0
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly intervalMs: number,
    private readonly fn: () => void,
  ) {}

  schedule(): void {
    if (this.timer) return
    const wait = this.last + this.intervalMs - Date.now()
    if (wait <= 0) return this.fire()
    this.timer = setTimeout(() => this.fire(), wait)
    this.timer.unref()
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private fire(): void {
    this.timer = null
    this.last = Date.now()
    this.fn()
  }
}
