// The process's batching of fan-out frames (net/connection.ts sendFrame(frame, true)): a burst is
// the process's, not one connection's, so one timer flushes every connection's batch, and
// whether a turn follows a quiet spell is judged once per turn for the whole process.

/** Longest a batched frame waits for company before it is written. */
export const BATCH_WINDOW_MS = 10

/**
 * How long nothing batched must have been sent for the next frames to go at once. Far longer
 * than the window: joins a few milliseconds apart, each fanned out to everyone at once, would
 * otherwise each find the process quiet again (docs/ARCHITECTURE.md, Fan-out batching).
 */
const QUIET_BEFORE_MS = 100

/** A connection with batched frames: flush() writes them, and takes it out of the waiting set. */
export interface BatchedWriter {
  flush(): void
}

export class WriteBatches {
  /** When this process last began a turn that sent batched frames (now()), on any connection. */
  private lastBatchedAt = -Infinity
  /** Whether this turn of the event loop began sending batched frames after a quiet spell. */
  private quietTurn = false
  /** Whether this turn has been judged yet: once per turn, not once per frame of a fan-out. */
  private turnJudged = false
  /** Connections with batched frames waiting, and the one timer that flushes them all. */
  private readonly waiting = new Set<BatchedWriter>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * How long a batched frame may wait. A burst is the process's, not one connection's: the frames
   * of one join go to every client in one turn. The turn that follows a quiet spell sends at once
   * (a lone join reaches everyone within a millisecond); the frames of the turns after it, within
   * the window, wait and leave together.
   */
  batchWait(): number {
    if (!this.turnJudged) {
      this.turnJudged = true
      setImmediate(() => (this.turnJudged = false))
      const now = this.now()
      this.quietTurn = now - this.lastBatchedAt >= QUIET_BEFORE_MS
      this.lastBatchedAt = now
    }
    return this.quietTurn ? 0 : BATCH_WINDOW_MS
  }

  /** `writer` has batched a frame: it is flushed with every other, when the window of the first of them ends. */
  add(writer: BatchedWriter): void {
    const wait = this.batchWait()
    if (!this.waiting.has(writer)) {
      this.waiting.add(writer)
      this.timer ??= setTimeout(() => this.flushAll(), wait)
    }
  }

  /** Takes `writer` out of the waiting set; false when it had nothing waiting. */
  delete(writer: BatchedWriter): boolean {
    return this.waiting.delete(writer)
  }

  /** Every connection's batch, when the window of the first of them ends. */
  private flushAll(): void {
    this.timer = null
    for (const writer of this.waiting) writer.flush()
  }

  /** Writes what waits now, and leaves no timer behind. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.flushAll()
  }
}

/** The one set of batches of this process: the connections of every owner share it. */
export const writeBatches = new WriteBatches()
