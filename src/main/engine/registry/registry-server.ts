// The registry: who is online, and who may be. Every connection is mutual TLS, so the server
// knows each peer's device ID before it reads a byte. A client says JOIN first: a member is let
// in (JOIN_OK), a device with a valid invite becomes one, any other device with a certificate is
// held (JOIN_PENDING) until the operator accepts or refuses it. Members LOG_ON (which adds them to
// the list and tells the others, USER_ON) and LOG_OFF or lose their connection (USER_OFF). A
// registration belongs to the device that made it: only that device may take it over or end it.
// The member store is watched: a device removed by the operator is cut off within a second.
// Every connection has its own decoder and queue: nothing mutable is shared between them.
import type { Server, Socket } from 'node:net'
import { formatDeviceId } from '../../../shared/device-id'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import type { EventSink, LeaveReason } from '../../../shared/events'
import { loadOrCreateIdentity, type DeviceIdentity } from '../identity/device-identity'
import { Membership, type MemberChange } from '../identity/membership'
import { Connection, whyClosed, type CloseInfo } from '../net/connection'
import { HandshakeLimit } from '../net/handshake-limit'
import { closeServer, listen } from '../net/listen'
import { acceptTls } from '../net/tls'
import { encodeClientEntry, encodeClientList, encodeMessage } from '../protocol/codec'
import { ProtocolError } from '../protocol/errors'
import type { ClientEntry, HelloMessage, Message } from '../protocol/messages'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_HANDSHAKES_PER_IP, DEFAULT_MAX_QUEUE_BYTES } from '../defaults'

/** Connections held waiting for the operator at once; one more is refused (too-many-connections). */
export const DEFAULT_MAX_PENDING = 64

export interface RegistryServerOptions {
  port: number
  host?: string
  /** The server's identity and member store live here. */
  configDir: string
  /** This device's name, sent in HELLO. */
  name: string
  heartbeatMs?: number
  helloTimeoutMs?: number
  maxQueueBytes?: number
  maxQueueFrames?: number
  /** Connections one address may hold open before saying HELLO (counted from the TCP accept). */
  maxHandshakesPerIp?: number
  /** Connections held waiting for the operator at once (DEFAULT_MAX_PENDING). */
  maxPending?: number
  onEvent?: EventSink
}

/** Where a connection stands: HELLO done, JOIN being judged, held for the operator, or a member. */
type PeerState = 'hello' | 'joining' | 'pending' | 'member'

interface Peer {
  connection: Connection
  /** The device ID its certificate proved. */
  id: Buffer
  hex: string
  idText: string
  name: string
  state: PeerState
  registration: Registration | null
}

interface Registration {
  entry: ClientEntry
  /** The entry as CLIENT_LIST carries it, encoded once for every list it goes into. */
  bytes: Buffer
  peer: Peer
}

export class RegistryServer {
  private listener: Server | null = null
  private identity: DeviceIdentity | null = null
  private membership: Membership | null = null
  private readonly peers = new Map<Connection, Peer>()
  /** Every accepted TCP socket until it closes, whatever stage it is at: stop() ends them all. */
  private readonly sockets = new Set<Socket>()
  /** Online clients by `ip:port`. */
  private readonly clients = new Map<string, Registration>()
  /** Online clients by device ID (hex): one registration per device. */
  private readonly byDevice = new Map<string, Registration>()
  private readonly emit: EventSink
  private readonly handshakes: HandshakeLimit
  private pendingCount = 0

  constructor(private readonly options: RegistryServerOptions) {
    this.emit = options.onEvent ?? (() => {})
    this.handshakes = new HandshakeLimit(options.maxHandshakesPerIp ?? DEFAULT_MAX_HANDSHAKES_PER_IP)
  }

  async start(): Promise<{ host: string; port: number }> {
    this.identity = await loadOrCreateIdentity(this.options.configDir)
    this.membership = await Membership.open(this.options.configDir, {
      onChange: (changes) => this.membersChanged(changes),
      onProblem: (message) => this.emit({ type: 'error', code: 'members-file', message }),
    })
    const { server, host, port } = await listen((socket) => this.accept(socket), this.options.port, this.options.host)
    this.listener = server
    // Changes the CLI makes while we run (accept, refuse, remove) are seen within half a second.
    this.membership.watch()
    this.emit({ type: 'ready', role: 'server', host, port, id: this.identity.idText, name: this.options.name })
    return { host, port }
  }

  /** This server's device ID (32 bytes), once started. */
  get id(): Buffer | null {
    return this.identity?.id ?? null
  }

  /** The online clients, in order of arrival. */
  get online(): Endpoint[] {
    return [...this.clients.values()].map((r) => r.entry.endpoint)
  }

  async stop(): Promise<void> {
    this.membership?.close()
    const closing = this.listener ? closeServer(this.listener) : Promise.resolve()
    for (const socket of this.sockets) socket.destroy()
    await closing
  }

  private accept(raw: Socket): void {
    if (!this.handshakes.admit(raw)) return
    this.sockets.add(raw)
    raw.once('close', () => this.sockets.delete(raw))
    const helloTimeoutMs = this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS
    acceptTls(raw, this.identity!, helloTimeoutMs, (socket, id) => {
      const connection = new Connection(socket, {
        side: 'acceptor',
        role: 'server',
        name: this.options.name,
        heartbeatMs: this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        helloTimeoutMs,
        maxQueueBytes: this.options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
        maxQueueFrames: this.options.maxQueueFrames,
        peerId: id,
      })
      connection.once('ready', (hello: HelloMessage) => {
        this.handshakes.done(raw)
        this.peers.set(connection, { connection, id, hex: id.toString('hex'), idText: formatDeviceId(id), name: hello.name, state: 'hello', registration: null })
      })
      connection.on('message', (message) => {
        const peer = this.peers.get(connection)
        if (!peer) return
        try {
          this.onMessage(peer, message)
        } catch (error) {
          // One connection's trouble, whatever it is, ends that connection and nothing else.
          connection.fail(error instanceof ProtocolError ? error : new ProtocolError('internal', String(error)))
        }
      })
      connection.on('close', (info) => this.onClose(connection, info))
    })
  }

  private onMessage(peer: Peer, message: Message): void {
    if (peer.state !== 'member') {
      if (message.type === 'JOIN' && peer.state === 'hello') {
        this.join(peer, message.token).catch((error: unknown) => peer.connection.fail(new ProtocolError('internal', String(error))))
        return
      }
      // Not a member (yet): it learns nothing, not even who is online.
      throw new ProtocolError('not-a-member', `${message.type} from a device that is not a member of this server (${peer.idText}); JOIN first`)
    }
    switch (message.type) {
      case 'LOG_ON':
        return this.logOn(peer, message.endpoint)
      case 'LOG_OFF':
        return this.logOff(peer, message.endpoint)
      case 'GET_CLIENTS': {
        const own = peer.registration
        const entries: Buffer[] = []
        for (const registration of this.clients.values()) if (registration !== own) entries.push(registration.bytes)
        peer.connection.sendFrame(encodeClientList(entries))
        return
      }
      case 'ERROR':
        // A client reporting a problem with us: log it, nothing to answer.
        this.emit({ type: 'error', code: 'peer-error', message: `${peer.connection.remote} reported error ${message.code}: ${message.text}` })
        return
      default:
        throw new ProtocolError('unexpected-message', `${message.type} is not a request the registry server answers`)
    }
  }

  /** JOIN: a member is in; a valid invite makes one; anyone else is held for the operator. */
  private async join(peer: Peer, token: Buffer): Promise<void> {
    const { connection } = peer
    const membership = this.membership!
    peer.state = 'joining'
    // Whatever the peer sends meanwhile waits for the answer, in order.
    connection.hold()
    try {
      const record = membership.get(peer.id)
      if (record?.state === 'member') return this.admit(peer)
      if (token.length > 0) {
        const result = await membership.redeemInvite(token, peer.id, peer.name)
        if (connection.isClosed) return
        if (result === 'ok') return this.admit(peer)
        // Its own invite, given again after the operator removed or refused it: that is the news.
        if (result === 'used' && record?.state === 'removed') return connection.fail(removedError())
        if (result === 'used' && record?.state === 'refused') return connection.fail(refusedError())
        const why = { used: 'this invite was used already', expired: 'this invite has expired', unknown: 'this server made no such invite' }[result]
        return connection.fail(new ProtocolError(`invite-${result}`, `${why}; ask the server's operator for a new one`))
      }
      if (record?.state === 'removed') return connection.fail(removedError())
      if (record?.state === 'refused') return connection.fail(refusedError())
      const limit = this.options.maxPending ?? DEFAULT_MAX_PENDING
      // One waiting connection per device: a reconnect replaces the old one.
      for (const other of this.peers.values()) {
        if (other !== peer && other.hex === peer.hex && other.state === 'pending') other.connection.close()
      }
      if (this.pendingCount >= limit) {
        return connection.fail(new ProtocolError('too-many-connections', `${limit} devices are already waiting for the operator to accept them; try again later`))
      }
      const state = await membership.request(peer.id, peer.name, connection.remote)
      if (connection.isClosed) return
      if (state === 'member') return this.admit(peer)
      if (state === 'removed') return connection.fail(removedError())
      if (state === 'refused') return connection.fail(refusedError())
      peer.state = 'pending'
      this.pendingCount++
      connection.send({ type: 'JOIN_PENDING' })
      this.emit({ type: 'join-request', id: peer.idText, name: peer.name, address: connection.remote })
    } catch (error) {
      connection.fail(new ProtocolError('internal', `the member store failed: ${(error as Error).message}`))
    } finally {
      connection.release()
    }
  }

  private admit(peer: Peer): void {
    if (peer.state === 'pending') this.pendingCount--
    peer.state = 'member'
    peer.connection.send({ type: 'JOIN_OK' })
  }

  /** Another process (the CLI) or a JOIN changed the store: let in, turn away or cut off. */
  private membersChanged(changes: MemberChange[]): void {
    for (const change of changes) {
      const id = Buffer.from(change.id, 'hex')
      const idText = formatDeviceId(id)
      if (change.after === 'member' && change.before !== 'member') {
        this.emit({ type: 'member-added', id: idText, name: change.name })
        for (const peer of this.peersOf(change.id)) if (peer.state === 'pending') this.admit(peer)
      } else if (change.before === 'member' && change.after !== 'member') {
        this.emit({ type: 'member-removed', id: idText, name: change.name })
        for (const peer of this.peersOf(change.id)) {
          if (peer.registration) this.remove(peer.registration, 'removed')
          // The operator's act, said as member-removed: the device is told why, the server prints no error.
          peer.connection.fail(removedError(), 'local')
        }
      } else if (change.after === 'refused' || change.after === null) {
        for (const peer of this.peersOf(change.id)) if (peer.state === 'pending') peer.connection.fail(refusedError(), 'local')
      }
    }
  }

  private peersOf(hex: string): Peer[] {
    return [...this.peers.values()].filter((peer) => peer.hex === hex)
  }

  private logOn(peer: Peer, endpoint: Endpoint): void {
    const key = endpointKey(endpoint)
    const { connection } = peer
    if (peer.registration) {
      connection.sendError('already-logged-on', `this connection is already logged on as ${endpointKey(peer.registration.entry.endpoint)}`)
      return
    }
    const existing = this.clients.get(key)
    // An address is its device's: another device can never take it over.
    if (existing && existing.peer.hex !== peer.hex) {
      connection.sendError('duplicate', `${key} is already logged on by another client`)
      return
    }
    // The same device on another connection (a blip, a restart): the new connection takes over.
    const stale = this.byDevice.get(peer.hex)
    if (stale && stale !== existing) {
      this.remove(stale, 'connection-lost')
      stale.peer.connection.close()
    }
    if (existing) {
      existing.peer.registration = null
      existing.peer.connection.close()
    }
    const entry: ClientEntry = { endpoint, id: peer.id, name: peer.name }
    const registration: Registration = { entry, bytes: encodeClientEntry(entry), peer }
    this.clients.set(key, registration)
    this.byDevice.set(peer.hex, registration)
    peer.registration = registration
    connection.send({ type: 'LOG_ON_OK', endpoint })
    // A reconnect of the same device at the same address is no news to the others.
    if (existing) return
    this.broadcast(encodeMessage({ type: 'USER_ON', ...registration.entry }), connection)
    this.emit({ type: 'peer-joined', ip: endpoint.ip, port: endpoint.port, id: peer.idText, name: peer.name })
  }

  private logOff(peer: Peer, endpoint: Endpoint): void {
    const registration = peer.registration
    // A connection may only take its own entry off the list.
    if (!registration || endpointKey(registration.entry.endpoint) !== endpointKey(endpoint)) {
      peer.connection.send({ type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint })
      return
    }
    this.remove(registration, 'log-off')
    peer.connection.send({ type: 'LOG_OFF_OK', endpoint })
  }

  private onClose(connection: Connection, info: CloseInfo): void {
    const peer = this.peers.get(connection)
    this.peers.delete(connection)
    if (peer?.state === 'pending') this.pendingCount--
    const registration = peer?.registration
    if (info.code && info.reason !== 'remote-error' && info.reason !== 'local') {
      // Named as the others know it when it had logged on; its connection's own port says little.
      const who = registration ? `client ${endpointKey(registration.entry.endpoint)}` : connection.remote
      // The server's own verdict is said in its words: the device's message speaks of "this device".
      const verdict = TURNED_AWAY[info.code]
      const text = peer && verdict ? `turned away ${peer.name} (${peer.idText}): ${verdict}` : whyClosed(info)
      this.emit({ type: 'error', code: info.code, message: `${who}: ${text}` })
    }
    if (registration) this.remove(registration, info.reason === 'timeout' ? 'timeout' : 'connection-lost')
  }

  private remove(registration: Registration, reason: LeaveReason): void {
    const { entry, peer } = registration
    peer.registration = null
    if (this.clients.get(endpointKey(entry.endpoint)) === registration) this.clients.delete(endpointKey(entry.endpoint))
    if (this.byDevice.get(peer.hex) === registration) this.byDevice.delete(peer.hex)
    this.broadcast(encodeMessage({ type: 'USER_OFF', endpoint: entry.endpoint, id: entry.id, reason }), peer.connection)
    this.emit({ type: 'peer-left', ip: entry.endpoint.ip, port: entry.endpoint.port, reason, id: peer.idText, name: peer.name })
  }

  /** One encoded frame written to every registered client but the one it is about. */
  private broadcast(frame: Buffer, except: Connection): void {
    // A slow reader cut off meanwhile leaves the map as we go, which a Map's iteration allows.
    for (const registration of this.clients.values()) {
      if (registration.peer.connection !== except) registration.peer.connection.sendFrame(frame, true)
    }
  }
}

/** Why the server turned a device away, as its own log says it. */
const TURNED_AWAY: Record<string, string> = {
  removed: "it was removed from this server's members",
  refused: "the operator refused its request to join",
}

function removedError(): ProtocolError {
  return new ProtocolError('removed', "this device was removed from the server's members; it may come back only with a new invite or if the operator accepts it again")
}

function refusedError(): ProtocolError {
  return new ProtocolError('refused', "the server's operator refused this device")
}
