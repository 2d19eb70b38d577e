// The client's side of the registry: dial the server over TLS, pinning the server's device ID,
// HELLO, JOIN (with an invite's token the first time), then LOG_ON with the address other
// clients can reach, GET_CLIENTS, and follow USER_ON / USER_OFF. Lost or unreachable server:
// report it and retry with a capped backoff, forever, through the server's addresses in turn; on
// return, register again and reconcile the peer list. What waiting cannot fix ends the retries:
// this device removed or refused, an invite used, expired or unknown. An address that answers
// HTTP, or another device than the pinned server, is reported as such and tried again only slowly.
import { formatDeviceId } from '../../../shared/device-id'
import { endpointKey, formatEndpoint, type Endpoint } from '../../../shared/endpoint'
import type { EventSink, LeaveReason } from '../../../shared/events'
import { FINAL_REFUSALS } from '../../../shared/join-refusals'
import { Connection } from '../net/connection'
import { answersHttp } from '../net/http-probe'
import { dialTls, DialError, type TlsCredentials } from '../net/tls'
import { errorCodeName } from '../protocol/errors'
import type { ClientEntry, Message } from '../protocol/messages'
import {
  DEFAULT_HELLO_TIMEOUT_MS,
  DEFAULT_MAX_QUEUE_BYTES,
  LOG_OFF_WAIT_MS,
  RECONNECT_CAP_MS,
  RECONNECT_FIRST_MS,
  RECONCILE_GRACE_MS,
} from '../defaults'

/** A wrong address (a web server, another device) is not an outage: knock rarely. */
const WRONG_ADDRESS_RETRY_MS = 30_000

export interface ServerAddress {
  host: string
  port: number
}

/** A peer as the registry announced it. */
export interface PeerEntry {
  endpoint: Endpoint
  key: string
  /** Device ID, hex (what a certificate hashes to) and as people read it. */
  id: string
  idText: string
  name: string
}

export interface ServerLinkOptions {
  /** Where the server may be, tried in order (the next one after each failure). */
  addresses: ServerAddress[]
  /** The server's device ID (32 bytes): its certificate must hash to it. */
  serverId: Uint8Array
  identity: TlsCredentials & { idText: string }
  /** This device's name, sent in HELLO. */
  name: string
  /** An invite's token, sent with JOIN until the server has let this device in once. */
  joinToken?: Uint8Array
  /** The port this client serves its folder on. */
  listenPort: number
  /** Announce this address instead of the local address of the connection to the server. */
  advertiseHost?: string
  onEvent: EventSink
  /** A peer was announced, or its leaving was (beside the events, with its device ID in hex). */
  onPeer?: (change: 'joined' | 'left', peer: PeerEntry) => void
  /** JOIN_OK: this device is a member of the server reached at `address`. */
  onJoined?: (address: ServerAddress) => void
  helloTimeoutMs?: number
}

export class ServerLink {
  /** Other online clients as last known, by `ip:port`. */
  readonly peers = new Map<string, PeerEntry>()
  /** The same peers by device ID (hex). */
  private readonly byId = new Map<string, PeerEntry>()
  private connection: Connection | null = null
  private registeredAs: Endpoint | null = null
  private stopped = false
  private retryTimer: NodeJS.Timeout | null = null
  private backoffMs = RECONNECT_FIRST_MS
  /** True while an outage has been reported, so retries do not repeat the report. */
  private outageReported = false
  /** A wrong address (HTTP, another device) reported once, until the next registration. */
  private wrongReported = false
  private pendingReported = false
  private logOffDone: (() => void) | null = null
  /** Peers missing from the list after a reconnect, not yet reported as gone. */
  private readonly unconfirmed = new Set<string>()
  private graceTimer: NodeJS.Timeout | null = null
  private addressIndex = 0
  private joinToken: Uint8Array | undefined

  constructor(private readonly options: ServerLinkOptions) {
    if (options.addresses.length === 0) throw new Error('no address to reach the server at')
    this.joinToken = options.joinToken
  }

  /** The server as `host:port`, at the address tried last. */
  get server(): string {
    const address = this.options.addresses[this.addressIndex]!
    return formatEndpoint(address.host, address.port)
  }

  get registered(): Endpoint | null {
    return this.registeredAs
  }

  /** The announced `ip:port` of a device (hex ID), if it is online. */
  lookup(id: string): string | null {
    return this.byId.get(id)?.key ?? null
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
    const address = this.options.addresses[this.addressIndex]!
    dialTls({
      host: address.host,
      port: address.port,
      credentials: this.options.identity,
      expectId: this.options.serverId,
      timeoutMs: this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
    }).then(
      (socket) => {
        if (this.stopped) socket.destroy()
        else this.connected(new Connection(socket, this.connectionOptions()), address)
      },
      (error: unknown) => this.dialFailed(error as DialError, address),
    )
  }

  private connectionOptions() {
    return {
      side: 'initiator',
      role: 'client',
      name: this.options.name,
      heartbeatMs: 0,
      helloTimeoutMs: this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
      maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
    } as const
  }

  private dialFailed(error: DialError, address: ServerAddress): void {
    if (this.stopped) return
    const server = formatEndpoint(address.host, address.port)
    if (error.code === 'peer-id-mismatch') {
      return this.wrongAddress('peer-id-mismatch', `the server at ${server} is not the server this device joined: ${error.message}`)
    }
    if (error.code !== 'not-tls') return this.outage(error.message)
    // No TLS there: a web server's port (a wrong address) is told apart from the rest.
    answersHttp(address.host, address.port).then((http) => {
      if (this.stopped) return
      if (http) this.wrongAddress('server-speaks-http', `cannot use the server ${server}: that address answers HTTP, not dropbox-sync`)
      else this.outage(error.message)
    }, () => this.outage(error.message))
  }

  /** An error about the link to the server: it carries `server`, as the app's status line asks. */
  private linkError(code: string, message: string): void {
    this.options.onEvent({ type: 'error', code, message, server: this.server })
  }

  /** Reported once; the next address is tried, and this one again only slowly. */
  private wrongAddress(code: string, message: string): void {
    if (!this.wrongReported) this.linkError(code, message)
    this.wrongReported = true
    this.outageReported = true
    this.nextAddress()
    this.scheduleRetry(this.options.addresses.length > 1 ? this.backoffMs : WRONG_ADDRESS_RETRY_MS)
  }

  private outage(why: string): void {
    if (!this.outageReported) {
      this.linkError('server-unreachable', `cannot reach the server ${this.server} (${why}); retrying every ${RECONNECT_CAP_MS / 1000} s at most`)
    }
    this.outageReported = true
    this.nextAddress()
    this.scheduleRetry()
  }

  private nextAddress(): void {
    this.addressIndex = (this.addressIndex + 1) % this.options.addresses.length
  }

  private connected(connection: Connection, address: ServerAddress): void {
    this.connection = connection
    let joined = false
    /** The code of the server's ERROR before JOIN_OK, when it said why it turned us away. */
    let refusal = ''
    let wrongService = ''
    connection.on('ready', (hello) => {
      // Another client's port answers HELLO too: say so, instead of "cannot reach" it.
      if (hello.role !== 'server') {
        wrongService = `${this.server} is a dropbox-sync ${hello.role}, not the server`
        connection.close()
        return
      }
      // The first message after HELLO: let this device in (or ask to be).
      connection.send({ type: 'JOIN', token: Buffer.from(this.joinToken ?? []) })
    })
    connection.on('message', (message) => {
      if (message.type === 'JOIN_OK') {
        joined = true
        this.joinToken = undefined
        this.pendingReported = false
        this.options.onJoined?.(address)
        const ip = this.options.advertiseHost ?? connection.localIp
        connection.send({ type: 'LOG_ON', endpoint: { ip, port: this.options.listenPort } })
        connection.send({ type: 'GET_CLIENTS' })
        return
      }
      if (message.type === 'JOIN_PENDING') {
        if (!this.pendingReported) {
          const id = this.options.identity.idText
          this.linkError('join-pending', `the server ${this.server} holds this device (ID ${id}) until its operator accepts it: dropbox-sync members accept ${id}`)
        }
        this.pendingReported = true
        return
      }
      if (message.type === 'ERROR') {
        const code = errorCodeName(message.code)
        if (!joined || FINAL_REFUSALS.has(code)) refusal = code
        return this.onError(connection, code, message.text, joined)
      }
      this.onMessage(message)
    })
    connection.on('close', (info) => {
      if (this.connection !== connection) return
      this.connection = null
      const wasRegistered = this.registeredAs !== null
      this.registeredAs = null
      if (this.stopped) return
      if (wasRegistered) {
        this.options.onEvent({ type: 'server-lost', server: this.server })
        this.outageReported = true
        return this.scheduleRetry()
      }
      if (wrongService) return this.outage(wrongService)
      if (refusal) {
        // Already reported as the server's ERROR: retried quietly.
        this.outageReported = true
        return this.scheduleRetry()
      }
      // TLS 1.3: the server judges our certificate after we think we are connected, so a
      // connection closed before JOIN_OK is a refusal, not a success.
      const why = info.code ? `${info.code}: ${info.message}` : 'it closed the connection before letting this device in'
      this.outage(why)
    })
  }

  private onError(connection: Connection, code: string, text: string, joined: boolean): void {
    if (code === 'removed') {
      this.stopped = true
      this.options.onEvent({ type: 'removed', message: `${this.server} says: ${text}` })
      connection.close()
      return
    }
    this.linkError(code, `server ${this.server}: ${text}`)
    if (FINAL_REFUSALS.has(code)) {
      this.stopped = true
      connection.close()
      return
    }
    // Refused registration (address taken): already reported, so retry quietly later.
    if (!joined || !this.registeredAs) {
      this.outageReported = true
      connection.close()
    }
  }

  private scheduleRetry(delay = this.backoffMs): void {
    if (this.stopped) return
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_CAP_MS)
    this.retryTimer = setTimeout(() => this.dial(), delay)
  }

  private onMessage(message: Message): void {
    switch (message.type) {
      case 'LOG_ON_OK':
        this.registeredAs = message.endpoint
        this.backoffMs = RECONNECT_FIRST_MS
        this.outageReported = false
        this.wrongReported = false
        this.options.onEvent({ type: 'registered', server: this.server, ip: message.endpoint.ip, port: message.endpoint.port })
        return
      case 'CLIENT_LIST':
        // Only a registered client's list counts (a refused LOG_ON is followed by one too).
        if (this.registeredAs) this.reconcile(message.clients)
        return
      case 'USER_ON':
        return this.join(message)
      case 'USER_OFF':
        return this.leave(endpointKey(message.endpoint), message.reason)
      case 'LOG_OFF_OK':
      case 'ERROR_IP_PORT_NOT_FOUND_IN_LIST':
        this.logOffDone?.()
        return
      default:
        this.linkError('unexpected-message', `server ${this.server} sent ${message.type}, which a client does not expect`)
    }
  }

  /**
   * The list is the truth as of now: who is new joined. Who is missing may simply not be back
   * yet after a server restart, so it gets a grace period to reappear (USER_ON) before it is
   * reported as gone: a restart does not make every peer flicker.
   */
  private reconcile(clients: ClientEntry[]): void {
    const own = this.registeredAs ? endpointKey(this.registeredAs) : null
    const current = new Map(clients.map((c) => [endpointKey(c.endpoint), c]))
    const missing = [...this.peers.keys()].filter((key) => !current.has(key))
    for (const [key, entry] of current) if (key !== own) this.join(entry)
    if (missing.length === 0) return
    for (const key of missing) this.unconfirmed.add(key)
    if (this.graceTimer) clearTimeout(this.graceTimer)
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null
      for (const key of this.unconfirmed) this.leave(key, 'connection-lost')
    }, RECONCILE_GRACE_MS)
  }

  private join({ endpoint, id, name }: ClientEntry): void {
    const key = endpointKey(endpoint)
    const hex = id.toString('hex')
    this.unconfirmed.delete(key)
    const known = this.peers.get(key)
    if (known?.id === hex) return
    // Another device at an address we knew: the one we knew is gone.
    if (known) this.leave(key, 'connection-lost')
    // The same device at a new address: it left the old one.
    const moved = this.byId.get(hex)
    if (moved) this.leave(moved.key, 'connection-lost')
    const peer: PeerEntry = { endpoint, key, id: hex, idText: formatDeviceId(id), name }
    this.peers.set(key, peer)
    this.byId.set(hex, peer)
    this.options.onEvent({ type: 'peer-joined', ip: endpoint.ip, port: endpoint.port, id: peer.idText, name })
    this.options.onPeer?.('joined', peer)
  }

  private leave(key: string, reason: LeaveReason): void {
    this.unconfirmed.delete(key)
    const peer = this.peers.get(key)
    if (!peer) return
    this.peers.delete(key)
    if (this.byId.get(peer.id) === peer) this.byId.delete(peer.id)
    this.options.onEvent({ type: 'peer-left', ip: peer.endpoint.ip, port: peer.endpoint.port, reason, id: peer.idText, name: peer.name })
    this.options.onPeer?.('left', peer)
  }
}
