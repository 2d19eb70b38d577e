// The reading half of a Connection: frames are handled in order, reading stops while an owner
// holds it, our own queue is crowded or the read limit asks, and a broken frame's ERROR waits for
// the answers to the frames before it (PROTOCOL §1). Owns the read limit's pause: dispose ends it.
import type { Socket } from 'node:net'
import { ProtocolError } from '../protocol/errors'
import type { FrameDecoder } from '../protocol/frame-decoder'
import type { OutgoingFrames } from './outgoing-frames'
import type { TokenBucket } from './token-bucket'

export interface IncomingOwner {
  /** Handles one frame's body; a ProtocolError it throws breaks the stream there. */
  frame(body: Buffer): void
  /** The stream broke, every frame before it answered: the owner sends the ERROR and closes. */
  fail(error: ProtocolError): void
  /** Resolves once every frame handed out so far is answered; undefined when all are already. */
  answered(): Promise<unknown> | undefined
  /** Bytes arrived, or reading goes on after a hold: signs of a live peer. */
  heard(): void
  /** Whether the connection is closed: nothing more is handled. */
  closed(): boolean
}

export class IncomingFrames {
  /** Holds owners have on reading (see hold()). */
  private holds = 0
  /** Frames read but not yet handled, while reading is held; null while it is not. */
  private backlog: Buffer[] | null = null
  private resumeScheduled = false
  /** Ends the pause of reading that readRate asked for. */
  private rateTimer: NodeJS.Timeout | null = null
  /** A broken frame arrived; its ERROR waits for the answers to the frames before it. */
  private breaking = false

  constructor(
    private readonly socket: Socket,
    private readonly decoder: FrameDecoder,
    private readonly out: OutgoingFrames,
    private readonly owner: IncomingOwner,
    /** Every byte read is taken from it: past the limit, the socket is not read for a while. */
    private readonly readRate?: TokenBucket,
  ) {}

  /** Whether reading is held now (frames read meanwhile wait, in order). */
  get held(): boolean {
    return this.backlog !== null
  }

  /** One more hold on reading (see Connection.hold); it goes on once each is released. */
  hold(): void {
    this.holds++
  }

  release(): void {
    if (--this.holds === 0) this.scheduleResume()
  }

  /** What the socket read. */
  onData(chunk: Buffer): void {
    if (this.owner.closed() || this.breaking) return
    this.owner.heard()
    let bodies: Buffer[] = []
    try {
      bodies = this.decoder.push(chunk)
    } catch (error) {
      // The decoder keeps the failure: it is handled after the frames before it.
      if (!(error instanceof ProtocolError)) throw error
    }
    if (!this.backlog) this.handle(bodies)
    else for (const body of bodies) this.backlog.push(body)
    if (this.readRate) this.takeRead(this.readRate, chunk.length)
  }

  /** The connection closed: the read limit's pause ends with it. */
  dispose(): void {
    if (this.rateTimer) clearTimeout(this.rateTimer)
    this.rateTimer = null
  }

  /** Past the read limit, reading stops (TCP holds the rest back) until the bytes are paid for. */
  private takeRead(rate: TokenBucket, bytes: number): void {
    const waitMs = rate.take(bytes)
    if (waitMs <= 0 || this.owner.closed()) return
    // A later take lies further ahead: its pause replaces the one running.
    if (this.rateTimer) clearTimeout(this.rateTimer)
    else {
      this.hold()
      if (!this.backlog) this.holdReading([])
    }
    this.rateTimer = setTimeout(() => {
      this.rateTimer = null
      this.release()
    }, waitMs)
  }

  /**
   * Handles frames in order, until reading is held (the rest wait) or the stream's failure. The
   * answers to one read leave in one write: a flood of tiny requests costs a syscall per read.
   */
  private handle(bodies: Buffer[]): void {
    this.socket.cork()
    try {
      for (let i = 0; i < bodies.length; i++) {
        if (this.holds > 0 || this.out.crowded) return this.holdReading(bodies.slice(i))
        this.owner.frame(bodies[i]!)
        if (this.owner.closed()) return
      }
      // The last frame is still being judged (a HELLO being admitted, a JOIN): the broken one's
      // ERROR waits for its answer, and comes from resume() once reading is released.
      if (this.decoder.failure && this.holds > 0) return this.holdReading([])
      if (this.decoder.failure) throw this.decoder.failure
    } catch (error) {
      if (error instanceof ProtocolError) this.broken(error)
      else throw error
    } finally {
      this.socket.uncork()
    }
  }

  private holdReading(rest: Buffer[]): void {
    this.backlog = rest
    this.socket.pause()
    if (this.holds === 0) this.out.whenRoom(() => this.scheduleResume())
  }

  /** Reading goes on in a turn of its own, not inside a write callback or an owner's call. */
  private scheduleResume(): void {
    if (this.resumeScheduled || !this.backlog) return
    this.resumeScheduled = true
    setImmediate(() => {
      this.resumeScheduled = false
      this.resume()
    })
  }

  private resume(): void {
    if (!this.backlog || this.holds > 0 || this.owner.closed() || this.breaking) return
    if (this.out.crowded) {
      this.out.whenRoom(() => this.scheduleResume())
      return
    }
    const bodies = this.backlog
    this.backlog = null
    this.owner.heard()
    this.socket.resume()
    this.handle(bodies)
  }

  /** A frame that breaks the stream: its ERROR follows the answers to the frames before it. */
  private broken(error: ProtocolError): void {
    const answered = this.owner.answered()
    if (!answered) return this.owner.fail(error)
    this.breaking = true
    this.socket.pause()
    answered.then(
      () => this.owner.fail(error),
      () => this.owner.fail(error),
    )
  }
}
