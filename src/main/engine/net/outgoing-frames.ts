// The writing half of a Connection: frames leave in order, in as few writes as a burst allows,
// under two bounds (bytes and frames queued) past which the peer is cut off as too slow.
import type { Socket } from 'node:net'
import { encodeFileDataHeader } from '../protocol/codec'
import type { TokenBucket } from './token-bucket'
import { writeBatches, type BatchedWriter } from './write-batches'

/** Queued bytes above which a streaming sender waits for the socket to drain. */
export const PACE_BYTES = 2 * 1024 * 1024
/**
 * Frames not yet handed to the kernel above which a streaming sender waits, and the peer's own
 * frames are no longer read: a peer that asks without reading the answers stops being heard.
 */
export const PACE_FRAMES = 1024

export interface OutgoingOptions {
  /** Bytes allowed to wait in the outgoing queue before the peer is cut off as too slow. */
  maxQueueBytes: number
  /** Frames allowed to wait in the outgoing queue, likewise. */
  maxQueueFrames: number
  /** What throttle() takes from (the bytes an owner is about to send). */
  writeRate?: TokenBucket
}

export interface OutgoingOwner {
  /** The queue passed a bound (`what` names it): the owner ends the connection. */
  tooSlow(what: string): void
  /** Frames left for the kernel: while the owner does not read, the only sign of a live peer. */
  framesTaken(): void
}

export class OutgoingFrames implements BatchedWriter {
  /** Frames written whose write has not completed yet. */
  private unsent = 0
  /** Batched frames waiting for flush(), which writes them as one buffer: one write and TLS pass, not one per frame. */
  private batch: Buffer[] = []
  private batchBytes = 0
  private coalescing = false
  private closed = false
  /** Waiting for unsent to fall to PACE_FRAMES. */
  private roomWaiters: Array<() => void> = []
  /** Every wait paced() and throttle() began: the end of the connection ends them all. */
  private readonly waits = new Set<() => void>()
  /** One callback for every frame written: counts it done, with no closure per write. */
  private readonly written = (): void => this.framesWritten(1)

  constructor(
    private readonly socket: Socket,
    private readonly options: OutgoingOptions,
    private readonly owner: OutgoingOwner,
  ) {}

  /** More frames wait for the kernel than PACE_FRAMES: the peer's own frames should wait too. */
  get crowded(): boolean {
    return this.unsent > PACE_FRAMES
  }

  /** Calls `wake` once the frames waiting fall to PACE_FRAMES. */
  whenRoom(wake: () => void): void {
    this.roomWaiters.push(wake)
  }

  /**
   * Queues a frame; false when it cannot go (closed, or past a bound: then the owner was told).
   * A `batched` frame waits for company (write-batches.ts); an unbatched one flushes the batch first.
   * `following`: bytes the caller writes right after this frame (FILE_DATA content).
   */
  write(frame: Buffer, batched: boolean, following: number): boolean {
    if (this.closed || this.socket.destroyed) return false
    const overBytes = this.socket.writableLength + this.batchBytes + frame.length + following > this.options.maxQueueBytes
    if (overBytes || this.unsent >= this.options.maxQueueFrames) {
      this.owner.tooSlow(overBytes ? `${this.options.maxQueueBytes} bytes` : `${this.options.maxQueueFrames} frames`)
      return false
    }
    this.unsent++
    if (batched) {
      this.batch.push(frame)
      this.batchBytes += frame.length
      writeBatches.add(this)
      return true
    }
    if (this.batch.length > 0) this.flush()
    this.socket.write(frame, this.written)
    return true
  }

  /** A FILE_DATA frame as header + the caller's buffer, uncopied; `sent` runs once the socket is done with it. */
  writeFileData(data: Buffer, sent?: () => void): boolean {
    if (!this.write(encodeFileDataHeader(data.length), false, data.length)) {
      sent?.()
      return false
    }
    this.socket.write(data, sent)
    return true
  }

  /** Holds writes until this turn of the event loop ends, then sends them in one syscall. */
  coalesceUntilIdle(): void {
    if (this.coalescing || this.closed) return
    this.coalescing = true
    this.socket.cork()
    setImmediate(() => {
      this.coalescing = false
      this.socket.uncork()
    })
  }

  /** Writes the batched frames now (writeBatches calls it when the window ends). */
  flush(): void {
    if (!writeBatches.delete(this)) return
    const frames = this.batch
    const bytes = this.batchBytes
    this.batch = []
    this.batchBytes = 0
    if (frames.length === 1) this.socket.write(frames[0]!, this.written)
    else this.socket.write(Buffer.concat(frames, bytes), () => this.framesWritten(frames.length))
  }

  /** Resolves once the queue has room again (at most PACE_BYTES and PACE_FRAMES), or it is closed. */
  async paced(): Promise<void> {
    while (!this.closed && (this.socket.writableLength > PACE_BYTES || this.crowded)) {
      const bytes = this.socket.writableLength > PACE_BYTES
      await this.wait((done) => {
        // 'drain' follows the bytes; frames are counted by their write callbacks.
        if (bytes) {
          this.socket.on('drain', done)
          return () => this.socket.off('drain', done)
        }
        // A room waiter left behind by close() finds its wait over and does nothing.
        this.roomWaiters.push(done)
        return () => {}
      })
    }
  }

  /** Takes `bytes` from writeRate and resolves once they may go (or the queue is closed). */
  async throttle(bytes: number): Promise<void> {
    const waitMs = this.options.writeRate?.take(bytes) ?? 0
    if (waitMs <= 0 || this.closed) return
    await this.wait((done) => {
      const timer = setTimeout(done, waitMs)
      return () => clearTimeout(timer)
    })
  }

  /** The connection ended: what is batched is written, and every wait ends. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.flush()
    for (const done of [...this.waits]) done()
  }

  /** A wait that `start` begins (returning how to stop it early), ended by it or by close(). */
  private wait(start: (done: () => void) => () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const wait = { stop: (): void => {} }
      const done = (): void => {
        if (!this.waits.delete(done)) return
        wait.stop()
        resolve()
      }
      this.waits.add(done)
      wait.stop = start(done)
    })
  }

  private framesWritten(count: number): void {
    this.unsent -= count
    this.owner.framesTaken()
    if (!this.crowded && this.roomWaiters.length) {
      const waiters = this.roomWaiters
      this.roomWaiters = []
      for (const wake of waiters) wake()
    }
  }
}
