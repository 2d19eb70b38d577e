// Splits a byte stream into frame bodies. A two-state machine (reading the length prefix,
// reading the body) that accepts the stream split at any byte. The announced length is checked
// against the maximum before a single byte is allocated for the body.
import { LENGTH_PREFIX_BYTES, MAX_FRAME_BYTES } from './constants'
import { ProtocolError } from './errors'

export class FrameDecoder {
  private readonly header = Buffer.alloc(LENGTH_PREFIX_BYTES)
  private headerFilled = 0
  private body: Buffer | null = null
  private bodyFilled = 0
  private failed: ProtocolError | null = null

  /**
   * `allocate` gives the memory for a body that spans reads (called only after the length has
   * been checked): a caller that recycles large bodies passes its pool here.
   */
  constructor(
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
    private readonly allocate: (length: number) => Buffer = (length) => Buffer.allocUnsafe(length),
  ) {}

  /**
   * Feeds bytes in; returns every frame body completed by them, in order. When the stream breaks
   * after some whole frames, those are still returned and `failure` is set: the caller handles
   * them, then the failure. A push that completes no frame before breaking throws at once, and
   * every push after a failure throws it again.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed
    const frames: Buffer[] = []
    try {
      this.collect(chunk, frames)
    } catch (error) {
      if (frames.length === 0) throw error
    }
    return frames
  }

  /** The error that broke the stream, if it has broken. */
  get failure(): ProtocolError | null {
    return this.failed
  }

  private collect(chunk: Uint8Array, frames: Buffer[]): void {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let at = 0
    while (at < data.length) {
      if (this.body === null) {
        const n = Math.min(LENGTH_PREFIX_BYTES - this.headerFilled, data.length - at)
        data.copy(this.header, this.headerFilled, at, at + n)
        this.headerFilled += n
        at += n
        if (this.headerFilled < LENGTH_PREFIX_BYTES) break
        const length = this.header.readUInt32BE(0)
        this.headerFilled = 0
        if (length === 0) this.fail(new ProtocolError('bad-frame', 'frame length 0: a frame holds at least its type byte'))
        if (length > this.maxFrameBytes) this.fail(new ProtocolError('frame-too-large', `frame length ${length} exceeds the maximum of ${this.maxFrameBytes} bytes`))
        // A body that is already whole in this chunk is handed out without a copy.
        if (data.length - at >= length) {
          frames.push(data.subarray(at, at + length))
          at += length
          continue
        }
        this.body = this.allocate(length)
        this.bodyFilled = 0
      }
      const n = Math.min(this.body.length - this.bodyFilled, data.length - at)
      data.copy(this.body, this.bodyFilled, at, at + n)
      this.bodyFilled += n
      at += n
      if (this.bodyFilled === this.body.length) {
        frames.push(this.body)
        this.body = null
      }
    }
  }

  /** Bytes of a frame still being collected: non-zero when a stream ends mid-frame. */
  get pendingBytes(): number {
    return this.body === null ? this.headerFilled : LENGTH_PREFIX_BYTES + this.bodyFilled
  }

  private fail(error: ProtocolError): never {
    this.failed = error
    throw error
  }
}
