// Waiting in tests for something that arrives over a socket or a pipe: re-check on every arrival
// (and every 100 ms), give up with a message saying what was seen.

export class WakeUp {
  private waiters: Array<() => void> = []

  /** Call on every arrival. */
  notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** Resolves once `check` holds; throws after `timeoutMs` with `what` and `seen()` in the message. */
  async until(check: () => boolean, timeoutMs: number, what: string, seen: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen()}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}
