// A peer that sends whatever bytes a test gives it (valid, broken, split, half-closed) over a real
// mutual-TLS connection as a test device (a real key and certificate), and keeps every frame the
// other side sends back exactly as it came: the raw body, its decoding with the product's codec,
// or why that decoding failed (a server must never send what its own decoder refuses). It may be
// a member of the server it speaks to (member(): added to the server's member store, then JOIN),
// or an outsider that never becomes one. Meant for fuzzers, floods and other hostile tests.
import type { TLSSocket } from 'node:tls'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { tlsTo } from './raw-peer'
import { makeMember, newIdentity, type TestIdentity } from './test-identity'
import { WakeUp } from './wake-up'

export interface ReceivedFrame {
  body: Buffer
  /** The decoded message, or null when `problem` says why it could not be decoded. */
  message: Message | null
  problem: string | null
}

export interface HostilePeerOptions {
  /** Bytes that must never arrive (the content of a file outside a shared folder): counted in `markerSeen`. */
  marker?: Buffer
  /** The device this peer is (default: a new one, a member of nothing). */
  identity?: TestIdentity
}

export class HostilePeer {
  readonly received: ReceivedFrame[] = []
  /** Bytes received in all. */
  bytesIn = 0
  /** How often `marker` appeared in the byte stream (across reads too). */
  markerSeen = 0
  /** The other side ended or reset the connection (or we destroyed it). */
  closed = false
  /** Set once the stream could not be split into frames; nothing after it is decoded. */
  streamProblem: string | null = null
  private readonly decoder = new FrameDecoder()
  private readonly arrivals = new WakeUp()
  private carry = Buffer.alloc(0)

  private constructor(
    readonly socket: TLSSocket,
    readonly identity: TestIdentity,
    private readonly options: HostilePeerOptions,
  ) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('close', () => {
      this.closed = true
      this.arrivals.notify()
    })
    socket.on('error', () => {})
  }

  /** Connects and does TLS as `options.identity` (or a new device); nothing of the protocol sent. */
  static async connect(port: number, host = '127.0.0.1', options: HostilePeerOptions = {}): Promise<HostilePeer> {
    const identity = options.identity ?? (await newIdentity('hostile'))
    return new HostilePeer(await tlsTo(port, host, identity), identity, options)
  }

  /** The local port of this connection: what the other side sees as our source port. */
  get localPort(): number {
    return this.socket.localPort ?? 0
  }

  /** Writes bytes; resolves once the socket has taken them (or the connection is gone). */
  write(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve()
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()))
  }

  send(message: Message): Promise<void> {
    return this.write(encodeMessage(message))
  }

  /** The valid HELLO an initiator sends. */
  hello(): Message {
    return { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: this.identity.name }
  }

  /** Half-closes: no more bytes from us (FIN). */
  end(): void {
    if (!this.socket.destroyed) this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }

  /** Resolves once `check` holds, re-checking on every arrival; throws after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.arrivals.until(check, timeoutMs, what, () => `received ${JSON.stringify(this.received.map((r) => r.message?.type ?? r.problem))}${this.closed ? ', then the connection closed' : ''}`)
  }

  /** Waits for something to arrive (or the close), at most until `deadline` (Date.now()). */
  async arrival(deadline: number): Promise<void> {
    const seen = this.received.length
    const wasClosed = this.closed
    await this.until(() => this.received.length > seen || this.closed !== wasClosed, Math.max(1, deadline - Date.now()), 'a reply')
  }

  /** Connects, says HELLO and waits for the acceptor's. */
  static async handshake(port: number, options: HostilePeerOptions = {}): Promise<HostilePeer> {
    const peer = await HostilePeer.connect(port, '127.0.0.1', options)
    await peer.send(peer.hello())
    await peer.until(() => peer.received.some((r) => r.message?.type === 'HELLO') || peer.closed, 5000, 'HELLO')
    return peer
  }

  /**
   * A member of the registry server at `port`: the device is added to the server's member store
   * (`store`: its config folder, or the port a test registered with knowServer), then HELLO and
   * JOIN with no token, waiting for JOIN_OK.
   */
  static async member(port: number, options: HostilePeerOptions & { identity: TestIdentity; store?: string }): Promise<HostilePeer> {
    await makeMember(options.store ?? port, options.identity)
    const peer = await HostilePeer.handshake(port, options)
    await peer.send({ type: 'JOIN', token: Buffer.alloc(0) })
    await peer.until(() => peer.received.some((r) => r.message?.type === 'JOIN_OK') || peer.closed, 10_000, 'JOIN_OK')
    if (peer.closed || !peer.received.some((r) => r.message?.type === 'JOIN_OK')) throw new Error(`JOIN as the member ${options.identity.idText} was refused`)
    return peer
  }

  /** The messages received so far, decoded (frames that did not decode left out). */
  get messages(): Message[] {
    return this.received.flatMap((r) => (r.message ? [r.message] : []))
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length
    const marker = this.options.marker
    if (marker && marker.length > 0) {
      // Keep the last marker.length - 1 bytes, so a marker split across reads is found too.
      const window = Buffer.concat([this.carry, chunk])
      for (let at = window.indexOf(marker); at !== -1; at = window.indexOf(marker, at + 1)) this.markerSeen++
      this.carry = Buffer.from(window.subarray(Math.max(0, window.length - (marker.length - 1))))
    }
    if (this.streamProblem === null) {
      try {
        for (const body of this.decoder.push(chunk)) this.take(body)
        if (this.decoder.failure) throw this.decoder.failure
      } catch (error) {
        this.streamProblem = `the stream cannot be split into frames: ${(error as Error).message}`
        this.received.push({ body: Buffer.alloc(0), message: null, problem: this.streamProblem })
      }
    }
    this.arrivals.notify()
  }

  private take(body: Buffer): void {
    const copy = Buffer.from(body)
    try {
      this.received.push({ body: copy, message: decodeBody(copy), problem: null })
    } catch (error) {
      this.received.push({ body: copy, message: null, problem: (error as Error).message })
    }
  }
}
