// The registry: who is online. Each client holds one connection; LOG_ON adds it and tells the
// others (USER_ON), LOG_OFF or a lost connection removes it and tells the others (USER_OFF).
// Every connection has its own decoder and queue: nothing mutable is shared between them.
import { randomBytes } from 'node:crypto'
import type { Server, Socket } from 'node:net'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import type { EventSink, LeaveReason } from '../../../shared/events'
import { Connection, type CloseInfo } from '../net/connection'
import { HandshakeLimit } from '../net/handshake-limit'
import { closeServer, listen } from '../net/listen'
import { encodeMessage } from '../protocol/codec'
import { ProtocolError } from '../protocol/errors'
import type { Message } from '../protocol/messages'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_HANDSHAKES_PER_IP, DEFAULT_MAX_QUEUE_BYTES } from '../defaults'

export interface RegistryServerOptions {
  port: number
  host?: string
  heartbeatMs?: number
  helloTimeoutMs?: number
  maxQueueBytes?: number
  maxQueueFrames?: number
  /** Connections one address may hold open before saying HELLO. */
  maxHandshakesPerIp?: number
  onEvent?: EventSink
}

interface Registration {
  endpoint: Endpoint
  connection: Connection
}

export class RegistryServer {
  private listener: Server | null = null
  private readonly nodeId = randomBytes(16)
  private readonly connections = new Set<Connection>()
  /** Online clients by `ip:port`. */
  private readonly clients = new Map<string, Registration>()
  /** The registration each connection made, if any. */
  private readonly byConnection = new Map<Connection, Registration>()
  private readonly emit: EventSink
  private readonly handshakes: HandshakeLimit

  constructor(private readonly options: RegistryServerOptions) {
    this.emit = options.onEvent ?? (() => {})
    this.handshakes = new HandshakeLimit(options.maxHandshakesPerIp ?? DEFAULT_MAX_HANDSHAKES_PER_IP)
  }

  async start(): Promise<{ host: string; port: number }> {
    const { server, host, port } = await listen((socket) => this.accept(socket), this.options.port, this.options.host)
    this.listener = server
    this.emit({ type: 'ready', role: 'server', host, port })
    return { host, port }
  }

  /** The online clients, in order of arrival. */
  get online(): Endpoint[] {
    return [...this.clients.values()].map((r) => r.endpoint)
  }

  async stop(): Promise<void> {
    const closing = this.listener ? closeServer(this.listener) : Promise.resolve()
    for (const connection of this.connections) connection.socket.destroy()
    await closing
  }

  private accept(socket: Socket): void {
    const connection = new Connection(socket, {
      side: 'acceptor',
      role: 'server',
      nodeId: this.nodeId,
      heartbeatMs: this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      helloTimeoutMs: this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
      maxQueueBytes: this.options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
      maxQueueFrames: this.options.maxQueueFrames,
    })
    this.connections.add(connection)
    connection.on('message', (message) => {
      try {
        this.onMessage(connection, message)
      } catch (error) {
        // One connection's trouble, whatever it is, ends that connection and nothing else.
        connection.fail(error instanceof ProtocolError ? error : new ProtocolError('internal', String(error)))
      }
    })
    connection.on('close', (info) => this.onClose(connection, info))
    this.handshakes.admit(connection)
  }

  private onMessage(connection: Connection, message: Message): void {
    switch (message.type) {
      case 'LOG_ON':
        return this.logOn(connection, message.endpoint)
      case 'LOG_OFF':
        return this.logOff(connection, message.endpoint)
      case 'GET_CLIENTS': {
        const own = this.byConnection.get(connection)
        const clients = [...this.clients.values()].filter((r) => r !== own).map((r) => r.endpoint)
        connection.send({ type: 'CLIENT_LIST', clients })
        return
      }
      case 'ERROR':
        // A client reporting a problem with us: log it, nothing to answer.
        this.emit({ type: 'error', code: 'peer-error', message: `${connection.remote} reported error ${message.code}: ${message.text}` })
        return
      default:
        throw new ProtocolError('unexpected-message', `${message.type} is not a request the registry server answers`)
    }
  }

  private logOn(connection: Connection, endpoint: Endpoint): void {
    const key = endpointKey(endpoint)
    const mine = this.byConnection.get(connection)
    if (mine) {
      connection.sendError('already-logged-on', `this connection is already logged on as ${endpointKey(mine.endpoint)}`)
      return
    }
    const existing = this.clients.get(key)
    if (existing) {
      // The same process reconnecting before its old connection timed out takes its place quietly;
      // anyone else claiming a taken address is refused and nothing changes.
      if (!existing.connection.peerHello!.nodeId.equals(connection.peerHello!.nodeId)) {
        connection.sendError('duplicate', `${key} is already logged on by another client`)
        return
      }
      this.byConnection.delete(existing.connection)
      existing.connection.close()
    }
    const registration = { endpoint, connection }
    this.clients.set(key, registration)
    this.byConnection.set(connection, registration)
    connection.send({ type: 'LOG_ON_OK', endpoint })
    // A reconnect of the same node is no news to the others.
    if (existing) return
    this.broadcast(encodeMessage({ type: 'USER_ON', endpoint }), connection)
    this.emit({ type: 'peer-joined', ip: endpoint.ip, port: endpoint.port })
  }

  private logOff(connection: Connection, endpoint: Endpoint): void {
    const registration = this.byConnection.get(connection)
    // A connection may only take its own entry off the list.
    if (!registration || endpointKey(registration.endpoint) !== endpointKey(endpoint)) {
      connection.send({ type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint })
      return
    }
    this.remove(registration, 'log-off')
    connection.send({ type: 'LOG_OFF_OK', endpoint })
  }

  private onClose(connection: Connection, info: CloseInfo): void {
    this.connections.delete(connection)
    const registration = this.byConnection.get(connection)
    if (info.code && info.reason !== 'remote-error') {
      // Named as the others know it when it had logged on; its connection's own port says little.
      const who = registration ? `client ${endpointKey(registration.endpoint)}` : connection.remote
      this.emit({ type: 'error', code: info.code, message: `${who}: ${info.message ?? info.reason}` })
    }
    if (registration) this.remove(registration, info.reason === 'timeout' ? 'timeout' : 'connection-lost')
  }

  private remove(registration: Registration, reason: LeaveReason): void {
    const { endpoint, connection } = registration
    this.byConnection.delete(connection)
    this.clients.delete(endpointKey(endpoint))
    this.broadcast(encodeMessage({ type: 'USER_OFF', endpoint, reason }), connection)
    this.emit({ type: 'peer-left', ip: endpoint.ip, port: endpoint.port, reason })
  }

  /** One encoded frame written to every registered client but the one it is about. */
  private broadcast(frame: Buffer, except: Connection): void {
    for (const registration of [...this.clients.values()]) {
      if (registration.connection !== except) registration.connection.sendFrame(frame, true)
    }
  }
}

