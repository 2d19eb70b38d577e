// One framed, handshaken connection over a TLS socket whose peer is already proved (net/tls.ts):
// the HELLO exchange with its version check and admission, and the close. Its halves: reading
// (incoming-frames.ts), the bounded outgoing queue (outgoing-frames.ts), and the peer's liveness
// (liveness.ts). Owners (the registry server, the client's link to it, the client's own listener)
// only see whole, valid messages, and know the peer's device ID from the start.
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { encodeMessage, decodeBody } from '../protocol/codec'
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../protocol/constants'
import { ErrorCodes, ProtocolError, errorCodeName, type ErrorCodeName } from '../protocol/errors'
import { FrameDecoder } from '../protocol/frame-decoder'
import type { HelloMessage, Message, PeerRole } from '../protocol/messages'
import { normalizeIp } from '../protocol/address'
import { formatEndpoint } from '../../../shared/endpoint'
import { DEFAULT_MAX_QUEUE_FRAMES } from '../defaults'
import { peerDeviceId } from './tls'
import type { TokenBucket } from './token-bucket'
import { OutgoingFrames } from './outgoing-frames'
import { IncomingFrames } from './incoming-frames'
import { Liveness } from './liveness'

const PONG_FRAME = encodeMessage({ type: 'PONG' })

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

const CLOSE_WORDS: Record<CloseReason, string> = {
  closed: 'the other side closed it',
  local: 'closed on this side',
  'protocol-error': 'the other side sent something invalid',
  'remote-error': 'the other side refused it',
  timeout: 'it went silent',
  'slow-consumer': 'the other side stopped reading',
}

/** Why a connection ended, in words for people: its own message, else what its reason means. */
export function whyClosed(info: CloseInfo): string {
  return info.message ?? CLOSE_WORDS[info.reason]
}

interface ConnectionEvents {
  ready: [hello: HelloMessage]
  /** `bytes`: the size of the frame's body, for owners that bound what waits for an answer. */
  message: [message: Message, bytes: number]
  close: [info: CloseInfo]
}

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly remote: string
  readonly remoteIp: string
  /** The device ID the peer proved with its certificate (32 bytes); null on a socket without TLS. */
  readonly peerId: Buffer | null
  peerHello: HelloMessage | null = null
  private closeInfo: CloseInfo | null = null
  /** The writing half: queue bounds, batching, pacing. */
  private readonly out: OutgoingFrames
  /** The reading half: frames in order, held reading, the read limit. */
  private readonly incoming: IncomingFrames
  /** The HELLO deadline, then the heartbeat. */
  private readonly liveness = new Liveness()
  /**
   * For an owner that answers later than it is handed a message (the folder server's queue):
   * resolves once every message handed out so far is answered. A broken frame's ERROR and the
   * close wait for it, so the frames before the broken one are answered first (PROTOCOL §1).
   */
  whenAnswered: (() => Promise<unknown>) | null = null

  constructor(
    readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    super()
    this.remoteIp = safeIp(socket.remoteAddress)
    this.remote = formatEndpoint(this.remoteIp, socket.remotePort ?? 0)
    this.peerId = options.peerId ?? ('getPeerX509Certificate' in socket ? peerDeviceId(socket as TLSSocket) : null)
    this.out = new OutgoingFrames(
      socket,
      { maxQueueBytes: options.maxQueueBytes, maxQueueFrames: options.maxQueueFrames ?? DEFAULT_MAX_QUEUE_FRAMES, writeRate: options.writeRate },
      {
        tooSlow: (what) => {
          this.finish({ reason: 'slow-consumer', code: 'slow-consumer', message: `${this.remote} stopped reading: more than ${what} queued` })
          this.socket.destroy()
        },
        // While we do not read, a peer taking our frames is the sign of life we can see.
        framesTaken: () => {
          if (this.incoming.held) this.liveness.heard()
        },
      },
    )
    this.incoming = new IncomingFrames(
      socket,
      new FrameDecoder(options.maxFrameBytes ?? MAX_FRAME_BYTES, options.allocateBody),
      this.out,
      {
        frame: (body) => this.onMessage(decodeBody(body), body.length),
        fail: (error) => this.fail(error),
        answered: () => this.whenAnswered?.(),
        heard: () => this.liveness.heard(),
        closed: () => this.closeInfo !== null,
      },
      options.readRate,
    )
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.incoming.onData(chunk))
    socket.on('error', () => this.finish({ reason: 'closed' }))
    socket.on('close', () => this.finish({ reason: 'closed' }))
    this.liveness.expectHello(options.helloTimeoutMs, () => {
      this.fail(new ProtocolError('hello-timeout', `no HELLO within ${options.helloTimeoutMs} ms`), 'timeout')
    })
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
    return this.out.write(frame, batched, following)
  }

  /**
   * Holds writes until this turn of the event loop ends, then sends them in one syscall: the
   * replies to a burst of pipelined requests (three frames per small file) leave together.
   */
  coalesceUntilIdle(): void {
    this.out.coalesceUntilIdle()
  }

  /**
   * Sends a FILE_DATA frame as header + the caller's buffer, without copying the content. `sent`
   * runs once the socket no longer needs the buffer: written, or never to be.
   */
  sendFileData(data: Buffer, sent?: () => void): boolean {
    return this.out.writeFileData(data, sent)
  }

  /**
   * Resolves once the outgoing queue has room again (at most PACE_BYTES and PACE_FRAMES), or the
   * connection is closed. Streams (file content, long lists, many small answers) await this
   * between frames, so they never come near the slow-consumer bounds and never buffer a whole file.
   */
  paced(): Promise<void> {
    return this.out.paced()
  }

  /**
   * Takes `bytes` the owner is about to send from writeRate, and resolves once they may go (or
   * the connection is closed): the sender waits before reading more, nothing waits in memory.
   */
  throttle(bytes: number): Promise<void> {
    return this.out.throttle(bytes)
  }

  /**
   * Stops handling the peer's frames, and reading its socket, until release() has been called as
   * often: TCP holds back what the peer sends meanwhile. Frames already read wait, in order.
   */
  hold(): void {
    this.incoming.hold()
  }

  release(): void {
    this.incoming.release()
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
    return this.incoming.held || this.socket.isPaused()
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
    this.liveness.helloHeard()
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
    const initiator = this.options.side === 'initiator'
    this.liveness.beat(initiator ? hello.heartbeatMs : this.options.heartbeatMs, {
      ping: initiator ? () => this.send({ type: 'PING' }) : undefined,
      silent: (silentFor) => this.abandon('heartbeat-timeout', `silent for ${silentFor} ms`),
    })
    this.emit('ready', hello)
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return
    this.closeInfo = info
    this.liveness.dispose()
    this.incoming.dispose()
    this.out.close()
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
