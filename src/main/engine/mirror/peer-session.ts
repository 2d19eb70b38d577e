// One connection from this client to another client's folder server: TLS pinned to the device
// the registry announced, HELLO, then requests. Requests are pipelined: each is sent at
// once, and since the server answers in order, replies go to the oldest unanswered request until
// it has all of its answer. Used by the workers for transfers, and by the main thread to
// SUBSCRIBE to a peer's changes and list its files.
import type { TLSSocket } from 'node:tls'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import { Connection, whyClosed, type CloseInfo } from '../net/connection'
import { dialTls, type DialError, type TlsCredentials } from '../net/tls'
import type { TokenBucket } from '../net/token-bucket'
import { DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_QUEUE_BYTES, DEFAULT_PEER_STALL_MS } from '../defaults'
import { errorCodeName } from '../protocol/errors'
import type { FileEntry, Message } from '../protocol/messages'

export class PeerSessionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** True when trying again later may work (the peer went away, the link dropped). */
    readonly retry: boolean,
  ) {
    super(message)
  }
}

/** A request cut only because its connection was closed for another's failure: no failure of its own. */
export const REQUEST_DROPPED = 'request-dropped'

/** Looks per stall time at whether a peer with requests waiting has gone silent. */
const STALL_LOOKS = 4

interface PendingRequest {
  /** Takes each reply; returns true once the answer is complete. Throws to fail the session. */
  onReply(reply: Message): boolean
  resolve(): void
  reject(error: Error): void
}

export class PeerSession {
  private readonly pending: PendingRequest[] = []
  closed: CloseInfo | null = null
  /** The reply that was out of step, once one was: the connection was closed for it. */
  outOfStep: Error | null = null
  /** Messages nobody asked for; once set (a subscription), INDEX_CHANGED and FOLDER_STATE come here even while a request waits. */
  onUnrequested: ((message: Message) => void) | null = null

  /** When the peer last answered, or the wait for it last began or was ours (not reading). */
  private heardAt = Date.now()
  private readonly stallTimer: NodeJS.Timeout | null

  private constructor(
    readonly connection: Connection,
    readonly peer: string,
    stallMs: number,
  ) {
    connection.on('message', (message) => this.route(message))
    this.stallTimer = stallMs > 0 ? setInterval(() => this.lookForStall(stallMs), Math.min(stallMs / STALL_LOOKS, 5000)) : null
    this.stallTimer?.unref()
    connection.on('close', (info) => {
      this.closed = info
      if (this.stallTimer) clearInterval(this.stallTimer)
      const error = this.lostError(info)
      for (const request of this.pending.splice(0)) request.reject(error)
    })
  }

  /** Gives the connection up when requests wait and the peer has answered nothing for `stallMs` while we read. */
  private lookForStall(stallMs: number): void {
    if (this.pending.length === 0) return
    const now = Date.now()
    if (this.connection.notReading) {
      this.heardAt = now
      return
    }
    const silentMs = now - this.heardAt
    if (silentMs < stallMs) return
    this.connection.abandon('peer-stalled', `answered nothing for ${Math.round(silentMs / 1000)} s while ${this.pending.length} requests waited`)
  }

  /**
   * Opens a connection to a peer's folder over TLS, pinned to the device the registry announced
   * there, and resolves once the peer has answered HELLO: it sends its HELLO only to a device it
   * knows as announced, and refuses any other with ERROR not-a-member instead (`not-announced`,
   * retried later). `allocateBody`: where large frame bodies go (a worker recycles file chunks);
   * `readRate`: the download limit every byte read is taken from.
   */
  static async open(
    peer: Endpoint & { id: string },
    credentials: TlsCredentials,
    name: string,
    { allocateBody, readRate, stallMs = DEFAULT_PEER_STALL_MS }: { allocateBody?: (length: number) => Buffer; readRate?: TokenBucket; stallMs?: number } = {},
  ): Promise<PeerSession> {
    const key = endpointKey(peer)
    let socket: TLSSocket
    try {
      socket = await dialTls({ host: peer.ip, port: peer.port, credentials, expectId: Buffer.from(peer.id, 'hex'), timeoutMs: DEFAULT_HELLO_TIMEOUT_MS })
    } catch (error) {
      const dial = error as DialError
      // Another device at that address is not the peer: not worth a quick retry, nor silence.
      const code = dial.code === 'peer-id-mismatch' ? 'peer-id-mismatch' : 'peer-unreachable'
      throw new PeerSessionError(code, `cannot open ${key}: ${dial.message}`, true)
    }
    const connection = new Connection(socket, {
      side: 'initiator',
      role: 'client',
      name,
      heartbeatMs: 0,
      helloTimeoutMs: DEFAULT_HELLO_TIMEOUT_MS,
      maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
      ...(allocateBody ? { allocateBody } : {}),
      ...(readRate ? { readRate } : {}),
    })
    const session = new PeerSession(connection, key, stallMs)
    return new Promise((resolve, reject) => {
      const onEarlyClose = (info: CloseInfo): void => {
        // TLS 1.3: a peer that refuses us does so after our side thinks it is connected.
        if (info.code === 'not-a-member') {
          reject(new PeerSessionError('not-announced', `${key} does not know this device as announced yet`, true))
          return
        }
        reject(new PeerSessionError(info.code ?? 'peer-unreachable', `cannot open ${key}: ${whyClosed(info)}`, true))
      }
      connection.once('close', onEarlyClose)
      connection.once('ready', () => {
        connection.off('close', onEarlyClose)
        resolve(session)
      })
    })
  }

  get isOpen(): boolean {
    return this.closed === null
  }

  close(): void {
    this.connection.close()
  }

  /**
   * Sends a request now; its replies (after those of every earlier request) go to `onReply`
   * until it returns true. Rejects if the connection ends first (retryable) or `onReply` throws.
   */
  request(message: Message, onReply: (reply: Message) => boolean): Promise<void> {
    if (this.closed) return Promise.reject(this.lostError(this.closed))
    return new Promise((resolve, reject) => {
      // A wait begins now: the silence before it was no request's.
      if (this.pending.length === 0) this.heardAt = Date.now()
      this.pending.push({ onReply, resolve, reject })
      // Requests made in one turn (a batch of jobs) leave in one write.
      this.connection.coalesceUntilIdle()
      this.connection.send(message)
    })
  }

  /** The peer's list, handed to `part` one FILE_LIST frame at a time (`last` on its last); resolves with the count. */
  async fetchList(part: (files: FileEntry[], last: boolean) => void): Promise<number> {
    let count = 0
    await this.request({ type: 'GET_FILE_LIST' }, (reply) => {
      if (reply.type !== 'FILE_LIST') throw this.unexpected(reply, 'FILE_LIST')
      count += reply.files.length
      part(reply.files, reply.last)
      return reply.last
    })
    return count
  }

  /** The error for a reply out of protocol; the session is no longer usable. */
  unexpected(reply: Message, wanted: string): PeerSessionError {
    const detail = reply.type === 'ERROR' ? `ERROR ${errorCodeName(reply.code)}: ${reply.text}` : reply.type
    return new PeerSessionError('bad-peer', `${this.peer} answered ${detail} where ${wanted} was due`, false)
  }

  private route(message: Message): void {
    const head = this.pending[0]
    // A subscription's pushes may come while a request on its connection waits for its reply.
    if (!head || (this.onUnrequested && (message.type === 'INDEX_CHANGED' || message.type === 'FOLDER_STATE'))) {
      this.onUnrequested?.(message)
      return
    }
    this.heardAt = Date.now()
    let done: boolean
    try {
      done = head.onReply(message)
    } catch (error) {
      // Once a reply is out of step, every later reply on this connection is suspect.
      this.pending.shift()
      this.outOfStep = error as Error
      head.reject(error as Error)
      this.connection.close()
      return
    }
    if (done) {
      this.pending.shift()
      head.resolve()
    }
  }

  private lostError(info: CloseInfo): PeerSessionError {
    // Closed by us for another request's failure (our disk refused its bytes, the peer lied):
    // that failure is said with its own request; this one was merely cut with the connection.
    if (this.outOfStep && info.reason === 'local') {
      return new PeerSessionError(REQUEST_DROPPED, `cut when the connection to ${this.peer} was closed for another file (${this.outOfStep.message})`, true)
    }
    if (info.code === 'peer-stalled') return new PeerSessionError('peer-stalled', `${this.peer} ${info.message ?? 'stopped answering'}: its connection was given up on, and what it owes is asked again later`, true)
    return new PeerSessionError('connection-lost', `the connection to ${this.peer} ended (${whyClosed(info)})`, true)
  }
}
