// Lets a long run of synchronous work (a folder scanned with synchronous calls, which are far
// cheaper here than trips through the thread pool) give the event loop a turn now and then.
import { setImmediate as nextTurn } from 'node:timers/promises'

export class Breather {
  private last = performance.now()

  constructor(private readonly sliceMs = 10) {}

  /** Yields to the event loop once `sliceMs` have passed since the last time it did. */
  async breathe(): Promise<void> {
    if (performance.now() - this.last < this.sliceMs) return
    await nextTurn()
    this.last = performance.now()
  }
}
