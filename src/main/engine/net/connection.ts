// One framed, handshaken connection over a TLS socket whose peer is already proved (net/tls.ts):
// HELLO exchange with version check, frame decoding, a bounded outgoing queue, and the
// heartbeat. Owners (the registry server, the client's link to it, the client's own listener)
// only see whole, valid messages, and know the peer's device ID from the start.
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { encodeFileDataHeader, encodeMessage, decodeBody } from '../protocol/codec'
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../protocol/constants'
import { ErrorCodes, ProtocolError, errorCodeName, type ErrorCodeName } from '../protocol/errors'
import { FrameDecoder } from '../protocol/frame-decoder'
import type { HelloMessage, Message, PeerRole } from '../protocol/messages'
import { normalizeIp } from '../protocol/address'
import { formatEndpoint } from '../../../shared/endpoint'
import { DEFAULT_MAX_QUEUE_FRAMES } from '../defaults'
import { peerDeviceId } from './tls'
import type { TokenBucket } from './token-bucket'
import { writeBatches, type BatchedWriter } from './write-batches'

const PONG_FRAME = encodeMessage({ type: 'PONG' })

/** How many heartbeat intervals of silence end a connection. */
export const HEARTBEAT_MISSES = 3
/** Queued bytes above which a streaming sender waits for the socket to drain. */
export const PACE_BYTES = 2 * 1024 * 1024
/**
 * Frames not yet handed to the kernel above which a streaming sender waits, and the peer's own
 * frames are no longer read: a peer that asks without reading the answers stops being heard.
 */
export const PACE_FRAMES = 1024
export interface ConnectionOptions {
  side: 'initiator' | 'acceptor'
  role: PeerRole
  /** This device's name, sent in HELLO. */
  name: string
  /** Acceptor: how often (ms) the initiator must send PING; 0 turns the heartbeat off. */
  heartbeatMs: number
  helloTimeoutMs: number
  /** Bytes allowed to wait in the outgoing queue before the peer is cut off as too slow. */
  maxQueueBytes: number
  /** Frames allowed to wait in the outgoing queue, likewise (default DEFAULT_MAX_QUEUE_FRAMES). */
  maxQueueFrames?: number
  maxFrameBytes?: number
  /** Memory for frame bodies that span reads (see FrameDecoder); default: fresh each time. */
  allocateBody?: (length: number) => Buffer
  /**
   * Acceptor: judges the peer once its valid HELLO is in, before our HELLO goes. A ProtocolError
   * is sent instead of our HELLO, then the connection closes; frames behind the HELLO wait.
   */
  admit?: (hello: HelloMessage) => Promise<ProtocolError | null>
  /** Every byte read is taken from it: past the limit, the socket is not read for a while. */
  readRate?: TokenBucket
  /** What throttle() takes from (the bytes an owner is about to send). */
  writeRate?: TokenBucket
  /** The device ID the TLS layer already read from the peer's certificate (else read again here). */
  peerId?: Buffer
}

export type CloseReason =
  | 'closed' // the other side ended or reset the connection
  | 'local' // we closed it
  | 'protocol-error' // the other side sent something invalid
  | 'remote-error' // the other side sent ERROR during the handshake and left
  | 'timeout' // silent past the heartbeat, or no HELLO in time
  | 'slow-consumer' // it stopped reading and its queue passed the bound

export interface CloseInfo {
  reason: CloseReason
  code?: string
  message?: string
}

interface ConnectionEvents {
  ready: [hello: HelloMessage]
  /** `bytes`: the size of the frame's body, for owners that bound what waits for an answer. */
  message: [message: Message, bytes: number]
  close: [info: CloseInfo]
}

export class Connection extends EventEmitter<ConnectionEvents> implements BatchedWriter {
  readonly remote: string
  readonly remoteIp: string
  /** The device ID the peer proved with its certificate (32 bytes); null on a socket without TLS. */
  readonly peerId: Buffer | null
  peerHello: HelloMessage | null = null
  private readonly decoder: FrameDecoder
  private lastHeard = Date.now()
  private helloTimer: NodeJS.Timeout | null = null
  private heartbeatTimer: NodeJS.Timeout | null = null
  private closeInfo: CloseInfo | null = null
  /** Batched frames waiting for flush(), which writes them as one buffer: one write and TLS pass, not one per frame. */
  private batch: Buffer[] = []
  private batchBytes = 0
  private coalescing = false
  private readonly maxQueueFrames: number
  /** Frames written whose write has not completed yet. */
  private unsent = 0
  /** Holds owners have on reading (see hold()). */
  private holds = 0
  /** Frames read but not yet handled, while reading is held; null while it is not. */
  private backlog: Buffer[] | null = null
  private resumeScheduled = false
  /** Ends the pause of reading that readRate asked for. */
  private rateTimer: NodeJS.Timeout | null = null
  /** Waiting for unsent to fall to PACE_FRAMES: paced() streams, and held reading. */
  private roomWaiters: Array<() => void> = []
  /** A broken frame arrived; its ERROR waits for the answers to the frames before it. */
  private breaking = false
  /**
   * For an owner that answers later than it is handed a message (the folder server's queue):
   * resolves once every message handed out so far is answered. A broken frame's ERROR and the
   * close wait for it, so the frames before the broken one are answered first (PROTOCOL §1).
   */
  whenAnswered: (() => Promise<unknown>) | null = null
  /** One callback for every frame written: counts it done, with no closure per write. */
  private readonly written = (): void => this.framesWritten(1)

  private framesWritten(count: number): void {
    this.unsent -= count
    // While we do not read, a peer taking our frames is the sign of life we can see.
    if (this.backlog) this.lastHeard = Date.now()
    if (this.unsent <= PACE_FRAMES && this.roomWaiters.length) this.roomMade()
  }

  constructor(
    readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    super()
    this.maxQueueFrames = options.maxQueueFrames ?? DEFAULT_MAX_QUEUE_FRAMES
    this.remoteIp = safeIp(socket.remoteAddress)
    this.remote = formatEndpoint(this.remoteIp, socket.remotePort ?? 0)
    this.peerId = options.peerId ?? ('getPeerX509Certificate' in socket ? peerDeviceId(socket as TLSSocket) : null)
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? MAX_FRAME_BYTES, options.allocateBody)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', () => this.finish({ reason: 'closed' }))
    socket.on('close', () => this.finish({ reason: 'closed' }))
    this.helloTimer = setTimeout(() => {
      this.fail(new ProtocolError('hello-timeout', `no HELLO within ${options.helloTimeoutMs} ms`), 'timeout')
    }, options.helloTimeoutMs)
    if (options.side === 'initiator') this.sendHello()
  }

  get isReady(): boolean {
    return this.peerHello !== null && this.closeInfo === null
  }

  get isClosed(): boolean {
    return this.closeInfo !== null
  }

  /** The local address of this connection: the one the other side reached us on. */
  get localIp(): string {
    return safeIp(this.socket.localAddress)
  }

  send(message: Message): boolean {
    return this.sendFrame(encodeMessage(message))
  }

  /**
   * Sends an already encoded frame (fan-out encodes once for every receiver). A `batched` frame
   * of a burst (1,000 clients joining) may wait up to BATCH_WINDOW_MS (write-batches.ts), so that
   * it reaches each client in a few writes instead of one per frame; one after a quiet spell goes
   * within a millisecond. An unbatched frame flushes everything before it, in order.
   */
  sendFrame(frame: Buffer, batched = false, following = 0): boolean {
    if (this.closeInfo || this.socket.destroyed) return false
    // `following`: bytes the caller writes right after this frame (FILE_DATA content).
    const overBytes = this.socket.writableLength + this.batchBytes + frame.length + following > this.options.maxQueueBytes
    if (overBytes || this.unsent >= this.maxQueueFrames) {
      const what = overBytes ? `${this.options.maxQueueBytes} bytes` : `${this.maxQueueFrames} frames`
      this.finish({ reason: 'slow-consumer', code: 'slow-consumer', message: `${this.remote} stopped reading: more than ${what} queued` })
      this.socket.destroy()
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

  /**
   * Holds writes until this turn of the event loop ends, then sends them in one syscall: the
   * replies to a burst of pipelined requests (three frames per small file) leave together.
   */
  coalesceUntilIdle(): void {
    if (this.coalescing || this.closeInfo) return
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

  /**
   * Sends a FILE_DATA frame as header + the caller's buffer, without copying the content. `sent`
   * runs once the socket no longer needs the buffer: written, or never to be.
   */
  sendFileData(data: Buffer, sent?: () => void): boolean {
    if (!this.sendFrame(encodeFileDataHeader(data.length), false, data.length)) {
      sent?.()
      return false
    }
    this.socket.write(data, sent)
    return true
  }

  /**
   * Resolves once the outgoing queue has room again (at most PACE_BYTES and PACE_FRAMES), or the
   * connection is closed. Streams (file content, long lists, many small answers) await this
   * between frames, so they never come near the slow-consumer bounds and never buffer a whole file.
   */
  async paced(): Promise<void> {
    while (!this.closeInfo && (this.socket.writableLength > PACE_BYTES || this.unsent > PACE_FRAMES)) {
      const bytes = this.socket.writableLength > PACE_BYTES
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.socket.off('drain', done)
          this.off('close', done)
          resolve()
        }
        // 'drain' follows the bytes; frames are counted by their write callbacks.
        if (bytes) this.socket.on('drain', done)
        else this.roomWaiters.push(done)
        this.on('close', done)
      })
    }
  }

  /**
   * Takes `bytes` the owner is about to send from writeRate, and resolves once they may go (or
   * the connection is closed): the sender waits before reading more, nothing waits in memory.
   */
  async throttle(bytes: number): Promise<void> {
    const waitMs = this.options.writeRate?.take(bytes) ?? 0
    if (waitMs <= 0 || this.closeInfo) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.off('close', done)
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      this.on('close', done)
    })
  }

  /**
   * Stops handling the peer's frames, and reading its socket, until release() has been called as
   * often: TCP holds back what the peer sends meanwhile. Frames already read wait, in order.
   */
  hold(): void {
    this.holds++
  }

  release(): void {
    if (--this.holds === 0) this.scheduleResume()
  }

  private roomMade(): void {
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const wake of waiters) wake()
  }

  sendError(code: ErrorCodeName, text: string): void {
    this.send({ type: 'ERROR', code: ErrorCodes[code], text })
  }

  /** Reports the error to the other side, then closes. */
  fail(error: ProtocolError, reason: CloseReason = 'protocol-error'): void {
    if (this.closeInfo) return
    this.sendError(error.code, error.message)
    this.finish({ reason, code: error.code, message: error.message })
    this.endSoon()
  }

  close(): void {
    if (!this.closeInfo) this.finish({ reason: 'local' })
    this.endSoon()
  }

  /** Ends the connection at once, no ERROR sent, for silence: the heartbeat's, or an owner's (a peer that stopped answering). */
  abandon(code: string, message: string): void {
    if (this.closeInfo) return
    this.finish({ reason: 'timeout', code, message })
    this.socket.destroy()
  }

  /**
   * Whether this side is not reading now: reading held (a read limit, frames waiting for their
   * turn) or the socket paused by an owner (writing behind it). The peer's silence then says nothing.
   */
  get notReading(): boolean {
    return this.backlog !== null || this.socket.isPaused()
  }

  private endSoon(): void {
    this.socket.end()
    // A peer that never reads must not keep the socket alive.
    setTimeout(() => this.socket.destroy(), 1000).unref()
  }

  private sendHello(): void {
    this.send({
      type: 'HELLO',
      version: PROTOCOL_VERSION,
      role: this.options.role,
      heartbeatMs: this.options.side === 'acceptor' ? this.options.heartbeatMs : 0,
      name: this.options.name,
    })
  }

  private onData(chunk: Buffer): void {
    if (this.closeInfo || this.breaking) return
    this.lastHeard = Date.now()
    let bodies: Buffer[] = []
    try {
      bodies = this.decoder.push(chunk)
    } catch (error) {
      // The decoder keeps the failure: it is handled after the frames before it.
      if (!(error instanceof ProtocolError)) throw error
    }
    if (!this.backlog) this.handle(bodies)
    else for (const body of bodies) this.backlog.push(body)
    if (this.options.readRate) this.takeRead(this.options.readRate, chunk.length)
  }

  /** Past the read limit, reading stops (TCP holds the rest back) until the bytes are paid for. */
  private takeRead(rate: TokenBucket, bytes: number): void {
    const waitMs = rate.take(bytes)
    if (waitMs <= 0 || this.closeInfo) return
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
        if (this.holds > 0 || this.unsent > PACE_FRAMES) return this.holdReading(bodies.slice(i))
        const body = bodies[i]!
        this.onMessage(decodeBody(body), body.length)
        if (this.closeInfo) return
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
    if (this.holds === 0) this.roomWaiters.push(() => this.scheduleResume())
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
    if (!this.backlog || this.holds > 0 || this.closeInfo || this.breaking) return
    if (this.unsent > PACE_FRAMES) {
      this.roomWaiters.push(() => this.scheduleResume())
      return
    }
    const bodies = this.backlog
    this.backlog = null
    this.lastHeard = Date.now()
    this.socket.resume()
    this.handle(bodies)
  }

  /** A frame that breaks the stream: its ERROR follows the answers to the frames before it. */
  private broken(error: ProtocolError): void {
    const answered = this.whenAnswered?.()
    if (!answered) return this.fail(error)
    this.breaking = true
    this.socket.pause()
    answered.then(
      () => this.fail(error),
      () => this.fail(error),
    )
  }

  private onMessage(message: Message, bytes: number): void {
    if (this.peerHello) {
      if (message.type === 'HELLO') throw new ProtocolError('unexpected-message', 'HELLO sent twice')
      if (message.type === 'PING') {
        this.sendFrame(PONG_FRAME)
        return
      }
      if (message.type === 'PONG') return
      this.emit('message', message, bytes)
      return
    }
    if (message.type === 'ERROR' && this.options.side === 'initiator') {
      const code = errorCodeName(message.code)
      this.finish({ reason: 'remote-error', code, message: message.text })
      this.endSoon()
      return
    }
    if (message.type !== 'HELLO') {
      throw new ProtocolError('unexpected-message', `${message.type} before HELLO: every connection starts with HELLO`)
    }
    if (this.helloTimer) clearTimeout(this.helloTimer)
    this.helloTimer = null
    const admit = this.options.side === 'acceptor' ? this.options.admit : undefined
    if (!admit) return this.handshaken(message)
    // Judged before our HELLO goes; what the peer sent behind its HELLO waits meanwhile.
    this.hold()
    admit(message).then(
      (refusal) => this.admitted(message, refusal),
      (error: unknown) => this.admitted(message, new ProtocolError('internal', String(error))),
    )
  }

  private admitted(hello: HelloMessage, refusal: ProtocolError | null): void {
    if (this.closeInfo) return
    if (refusal) return this.fail(refusal)
    this.handshaken(hello)
    this.release()
  }

  private handshaken(hello: HelloMessage): void {
    this.peerHello = hello
    if (this.options.side === 'acceptor') this.sendHello()
    this.startHeartbeat()
    this.emit('ready', hello)
  }

  private startHeartbeat(): void {
    const interval = this.options.side === 'acceptor' ? this.options.heartbeatMs : this.peerHello!.heartbeatMs
    if (interval <= 0) return
    this.heartbeatTimer = setInterval(() => {
      const silentFor = Date.now() - this.lastHeard
      if (silentFor > interval * HEARTBEAT_MISSES) return this.abandon('heartbeat-timeout', `silent for ${silentFor} ms`)
      if (this.options.side === 'initiator') this.send({ type: 'PING' })
    }, interval)
    this.heartbeatTimer.unref()
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return
    this.closeInfo = info
    if (this.helloTimer) clearTimeout(this.helloTimer)
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    if (this.rateTimer) clearTimeout(this.rateTimer)
    this.rateTimer = null
    this.flush()
    this.emit('close', info)
  }
}

function safeIp(address: string | undefined): string {
  if (!address) return '0.0.0.0'
  try {
    return normalizeIp(address)
  } catch {
    return address
  }
}
