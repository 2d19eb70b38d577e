// A hand-driven protocol peer for tests: it speaks the wire format itself, so tests can send
// exactly what a well-behaved, broken or hostile peer would.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message, MessageOf } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import { WakeUp } from './wake-up'

export class RawPeer {
  readonly messages: Message[] = []
  readonly nodeId: Buffer
  closed = false
  private readonly decoder = new FrameDecoder()
  private readonly arrivals = new WakeUp()

  private constructor(
    readonly socket: Socket,
    nodeId?: Buffer,
  ) {
    this.nodeId = nodeId ?? randomBytes(16)
    socket.setNoDelay(true)
    socket.on('data', (chunk) => {
      for (const body of this.decoder.push(chunk)) this.messages.push(decodeBody(body))
      this.arrivals.notify()
    })
    socket.on('close', () => {
      this.closed = true
      this.arrivals.notify()
    })
    socket.on('error', () => {})
  }

  static async connect(port: number, host = '127.0.0.1', nodeId?: Buffer): Promise<RawPeer> {
    const socket = connect({ port, host })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawPeer(socket, nodeId)
  }

  /** Connects and completes the handshake. */
  static async hello(port: number, nodeId?: Buffer): Promise<RawPeer> {
    const peer = await RawPeer.connect(port, '127.0.0.1', nodeId)
    peer.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId: peer.nodeId, heartbeatMs: 0, auth: Buffer.alloc(0) })
    await peer.next('HELLO')
    return peer
  }

  /** Connects, says HELLO and logs on as `endpoint`; resolves once LOG_ON_OK arrives. */
  static async logOn(port: number, endpoint: Endpoint, nodeId?: Buffer): Promise<RawPeer> {
    const peer = await RawPeer.hello(port, nodeId)
    peer.send({ type: 'LOG_ON', endpoint })
    await peer.next('LOG_ON_OK')
    return peer
  }

  send(message: Message): void {
    this.socket.write(encodeMessage(message))
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  /** Removes and returns the first received message of this type, waiting for it. */
  async next<T extends Message['type']>(type: T, timeoutMs = 5000): Promise<MessageOf<T>> {
    await this.until(() => this.messages.some((m) => m.type === type), timeoutMs, `a ${type}`)
    const index = this.messages.findIndex((m) => m.type === type)
    return this.messages.splice(index, 1)[0] as MessageOf<T>
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'the connection to close')
  }

  has(predicate: (m: Message) => boolean): boolean {
    return this.messages.some(predicate)
  }

  until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.arrivals.until(check, timeoutMs, what, () => `got ${JSON.stringify(this.messages.map((m) => m.type))}`)
  }

  close(): void {
    this.socket.destroy()
  }
}
