// The client's side of the registry: connect, HELLO, LOG_ON with the address other clients can
// reach, GET_CLIENTS, then follow USER_ON / USER_OFF. Lost or unreachable server: report it and
// retry with a capped backoff, forever; on return, register again and reconcile the peer list.
// An address that answers HTTP is reported as such and tried again only slowly.
import { connect } from 'node:net'
import { endpointKey, formatEndpoint, type Endpoint } from '../../../shared/endpoint'
import type { EventSink, LeaveReason } from '../../../shared/events'
import { Connection } from '../net/connection'
import { ANSWERS_HTTP, errorCodeName } from '../protocol/errors'
import type { Message } from '../protocol/messages'
import {
  DEFAULT_HELLO_TIMEOUT_MS,
  DEFAULT_MAX_QUEUE_BYTES,
  LOG_OFF_WAIT_MS,
  RECONNECT_CAP_MS,
  RECONNECT_FIRST_MS,
  RECONCILE_GRACE_MS,
} from '../defaults'

/** A web server at the server's address is a wrong address, not an outage: knock rarely. */
const HTTP_RETRY_MS = 30_000

export interface ServerLinkOptions {
  serverHost: string
  serverPort: number
  /** The port this client serves its folder on. */
  listenPort: number
  /** Announce this address instead of the local address of the connection to the server. */
  advertiseHost?: string
  nodeId: Buffer
  onEvent: EventSink
  helloTimeoutMs?: number
}

export class ServerLink {
  /** Other online clients as last known, by `ip:port`. */
  readonly peers = new Map<string, Endpoint>()
  private connection: Connection | null = null
  private registeredAs: Endpoint | null = null
  private stopped = false
  private retryTimer: NodeJS.Timeout | null = null
  private backoffMs = RECONNECT_FIRST_MS
  /** True while an outage has been reported, so retries do not repeat the report. */
  private outageReported = false
  /** True once an HTTP answer has been reported, until the next registration. */
  private httpReported = false
  private logOffDone: (() => void) | null = null
  /** Peers missing from the list after a reconnect, not yet reported as gone. */
  private readonly unconfirmed = new Set<string>()
  private graceTimer: NodeJS.Timeout | null = null
  readonly server: string

  constructor(private readonly options: ServerLinkOptions) {
    this.server = formatEndpoint(options.serverHost, options.serverPort)
  }

  get registered(): Endpoint | null {
    return this.registeredAs
  }

  start(): void {
    this.dial()
  }

  /** LOG_OFF (waiting briefly for the answer), then close. Never rejects. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.graceTimer) clearTimeout(this.graceTimer)
    const connection = this.connection
    if (!connection || connection.isClosed) return
    if (this.registeredAs && connection.isReady) {
      const answered = new Promise<void>((resolve) => {
        this.logOffDone = resolve
        connection.once('close', () => resolve())
        setTimeout(resolve, LOG_OFF_WAIT_MS).unref()
      })
      connection.send({ type: 'LOG_OFF', endpoint: this.registeredAs })
      await answered
    }
    connection.close()
  }

  private dial(): void {
    if (this.stopped) return
    const socket = connect({ host: this.options.serverHost, port: this.options.serverPort })
    // Listening before the connection does: its own error handler reports the close at once.
    let connectError = ''
    let wrongService = ''
    socket.once('error', (error: NodeJS.ErrnoException) => {
      connectError = error.code ?? error.message
    })
    const connection = new Connection(socket, {
      side: 'initiator',
      role: 'client',
      nodeId: this.options.nodeId,
      heartbeatMs: 0,
      helloTimeoutMs: this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
      maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
    })
    this.connection = connection
    connection.on('ready', (hello: { role: string }) => {
      // Another client's port answers HELLO too: say so, instead of "cannot reach" it.
      if (hello.role !== 'server') {
        wrongService = `${this.server} is a dropbox-sync ${hello.role}, not the server`
        connection.close()
        return
      }
      const ip = this.options.advertiseHost ?? connection.localIp
      connection.send({ type: 'LOG_ON', endpoint: { ip, port: this.options.listenPort } })
      connection.send({ type: 'GET_CLIENTS' })
    })
    connection.on('message', (message) => this.onMessage(connection, message))
    connection.on('close', (info) => {
      if (this.connection !== connection) return
      this.connection = null
      const wasRegistered = this.registeredAs !== null
      this.registeredAs = null
      if (this.stopped) return
      if (info.code === 'frame-too-large' && info.message === ANSWERS_HTTP) {
        if (!this.httpReported) {
          this.options.onEvent({ type: 'error', code: 'server-speaks-http', message: `cannot use the server ${this.server}: that address answers HTTP, not dropbox-sync` })
        }
        this.httpReported = true
        this.outageReported = true
        this.scheduleRetry(HTTP_RETRY_MS)
        return
      }
      if (wasRegistered) {
        this.options.onEvent({ type: 'server-lost', server: this.server })
      } else if (!this.outageReported) {
        // Bytes that are not a HELLO: something answers there, but not dropbox-sync.
        const foreign = connection.peerHello === null && info.code && info.reason !== 'timeout' ? 'it does not speak the dropbox-sync protocol; ' : ''
        const why = wrongService || (info.code ? `${foreign}${info.code}: ${info.message}` : connectError || info.reason)
        this.options.onEvent({
          type: 'error',
          code: 'server-unreachable',
          message: `cannot reach the server ${this.server} (${why}); retrying every ${RECONNECT_CAP_MS / 1000} s at most`,
        })
      }
      this.outageReported = true
      this.scheduleRetry()
    })
  }

  private scheduleRetry(delay = this.backoffMs): void {
    if (this.stopped) return
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_CAP_MS)
    this.retryTimer = setTimeout(() => this.dial(), delay)
  }

  private onMessage(connection: Connection, message: Message): void {
    switch (message.type) {
      case 'LOG_ON_OK':
        this.registeredAs = message.endpoint
        this.backoffMs = RECONNECT_FIRST_MS
        this.outageReported = false
        this.httpReported = false
        this.options.onEvent({ type: 'registered', server: this.server, ip: message.endpoint.ip, port: message.endpoint.port })
        return
      case 'CLIENT_LIST':
        // Only a registered client's list counts (a refused LOG_ON is followed by one too).
        if (this.registeredAs) this.reconcile(message.clients)
        return
      case 'USER_ON':
        return this.join(message.endpoint)
      case 'USER_OFF':
        return this.leave(endpointKey(message.endpoint), message.reason)
      case 'LOG_OFF_OK':
      case 'ERROR_IP_PORT_NOT_FOUND_IN_LIST':
        this.logOffDone?.()
        return
      case 'ERROR': {
        const code = errorCodeName(message.code)
        this.options.onEvent({ type: 'error', code, message: `server ${this.server}: ${message.text}` })
        // Refused registration (address taken): already reported, so retry quietly later.
        if (!this.registeredAs) {
          this.outageReported = true
          connection.close()
        }
        return
      }
      default:
        this.options.onEvent({
          type: 'error',
          code: 'unexpected-message',
          message: `server ${this.server} sent ${message.type}, which a client does not expect`,
        })
    }
  }

  /**
   * The list is the truth as of now: who is new joined. Who is missing may simply not be back
   * yet after a server restart, so it gets a grace period to reappear (USER_ON) before it is
   * reported as gone: a restart does not make every peer flicker.
   */
  private reconcile(clients: Endpoint[]): void {
    const own = this.registeredAs ? endpointKey(this.registeredAs) : null
    const current = new Map(clients.map((c) => [endpointKey(c), c]))
    const missing = [...this.peers.keys()].filter((key) => !current.has(key))
    for (const [key, endpoint] of current) if (key !== own) this.join(endpoint)
    if (missing.length === 0) return
    for (const key of missing) this.unconfirmed.add(key)
    if (this.graceTimer) clearTimeout(this.graceTimer)
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null
      for (const key of this.unconfirmed) this.leave(key, 'connection-lost')
    }, RECONCILE_GRACE_MS)
  }

  private join(endpoint: Endpoint): void {
    const key = endpointKey(endpoint)
    this.unconfirmed.delete(key)
    if (this.peers.has(key)) return
    this.peers.set(key, endpoint)
    this.options.onEvent({ type: 'peer-joined', ip: endpoint.ip, port: endpoint.port })
  }

  private leave(key: string, reason: LeaveReason): void {
    this.unconfirmed.delete(key)
    const endpoint = this.peers.get(key)
    if (!endpoint) return
    this.peers.delete(key)
    this.options.onEvent({ type: 'peer-left', ip: endpoint.ip, port: endpoint.port, reason })
  }
}
