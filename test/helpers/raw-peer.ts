// A hand-driven protocol peer for tests: it speaks the wire format itself (inside TLS, with a
// test device identity), so tests can send exactly what a well-behaved, broken or hostile peer
// would.
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message, MessageOf } from '../../src/main/engine/protocol/messages'
import { ALPN_PROTOCOL, peerDeviceId } from '../../src/main/engine/net/tls'
import type { Endpoint } from '../../src/shared/endpoint'
import path from 'node:path'
import { writeFileAtomic } from '../../src/main/engine/folder/atomic-write'
import { MEMBERS_FILE, readMembers } from '../../src/main/engine/identity/membership-files'
import { makeMember, newIdentity, storeOf, type TestIdentity } from './test-identity'
import { WakeUp } from './wake-up'

export interface RawPeerOptions {
  host?: string
  /** The device this peer is (default: a new one). */
  identity?: TestIdentity
  /**
   * hello() and logOn(): the device is in the server's member store already (a test added many
   * at once), so it is not added again before JOIN.
   */
  inStore?: boolean
}

/** One secure context per key: parsing a key costs milliseconds, and tests connect a lot. */
const contexts = new Map<string, SecureContext>()

function contextOf(identity: TestIdentity): SecureContext {
  let context = contexts.get(identity.keyPem)
  if (!context) {
    context = createSecureContext({ cert: identity.certPem, key: identity.keyPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' })
    contexts.set(identity.keyPem, context)
  }
  return context
}

/** Opens a TLS connection as `identity`, the way the product does (but pinning nothing). */
export async function tlsTo(port: number, host: string, identity: TestIdentity): Promise<TLSSocket> {
  const socket = tlsConnect({
    host,
    port,
    secureContext: contextOf(identity),
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    rejectUnauthorized: false,
    ALPNProtocols: [ALPN_PROTOCOL],
    servername: '',
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve)
    socket.once('error', reject)
  })
  return socket
}

/**
 * Adds many devices to the member store of the server at `port` (or in a config folder) in one
 * write: makeMember writes the store once per device (under its lock, synced), which for a
 * thousand devices takes longer than the test. Nothing else may write the store meanwhile.
 */
export async function addMembers(where: number | string, identities: Array<{ id: Uint8Array; name: string }>): Promise<void> {
  const configDir = typeof where === 'string' ? where : storeOf(where)
  if (!configDir) throw new Error(`no member store known for the server at port ${String(where)}`)
  const file = readMembers(configDir)
  const known = new Set(file.members.map((member) => member.id))
  const added = new Date().toISOString()
  for (const { id, name } of identities) {
    const hex = Buffer.from(id).toString('hex')
    if (!known.has(hex)) file.members.push({ id: hex, name, added, state: 'member' })
    known.add(hex)
  }
  await writeFileAtomic(path.join(configDir, MEMBERS_FILE), `${JSON.stringify(file, null, 2)}\n`, 0o600)
}

export class RawPeer {
  readonly messages: Message[] = []
  closed = false
  private readonly decoder = new FrameDecoder()
  private readonly arrivals = new WakeUp()

  private constructor(
    readonly socket: TLSSocket,
    readonly identity: TestIdentity,
  ) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      for (const body of this.decoder.push(chunk)) this.messages.push(decodeBody(body))
      this.arrivals.notify()
    })
    socket.on('close', () => {
      this.closed = true
      this.arrivals.notify()
    })
    socket.on('error', () => {})
  }

  /** The device ID the other side proved. */
  get serverId(): Buffer | null {
    return peerDeviceId(this.socket)
  }

  /** Connects (TLS done, nothing sent). */
  static async connect(port: number, options: RawPeerOptions = {}): Promise<RawPeer> {
    const identity = options.identity ?? (await newIdentity())
    return new RawPeer(await tlsTo(port, options.host ?? '127.0.0.1', identity), identity)
  }

  /** Connects and exchanges HELLO, nothing more. */
  static async handshake(port: number, options: RawPeerOptions = {}): Promise<RawPeer> {
    const peer = await RawPeer.connect(port, options)
    peer.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: peer.identity.name })
    await peer.next('HELLO')
    return peer
  }

  /**
   * As a member of the server at `port` (added to its store first, unless `inStore`): HELLO,
   * JOIN, JOIN_OK.
   */
  static async hello(port: number, options: RawPeerOptions = {}): Promise<RawPeer> {
    const identity = options.identity ?? (await newIdentity())
    if (!options.inStore) await makeMember(port, identity)
    const peer = await RawPeer.handshake(port, { ...options, identity })
    peer.send({ type: 'JOIN', token: Buffer.alloc(0) })
    await peer.next('JOIN_OK')
    return peer
  }

  /** A member that says HELLO, JOIN and logs on as `endpoint`; resolves once LOG_ON_OK arrives. */
  static async logOn(port: number, endpoint: Endpoint, options: RawPeerOptions = {}): Promise<RawPeer> {
    const peer = await RawPeer.hello(port, options)
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
