// One connection from this client to another client's folder server: HELLO, IDENTIFY as the
// address the registry announced for us, then requests answered in order. Used by each worker
// for its transfers, and by the main thread to SUBSCRIBE to a peer's changes.
import { connect } from 'node:net'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import { Connection, type CloseInfo } from '../net/connection'
import { DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_QUEUE_BYTES } from '../defaults'
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

type Handler = (message: Message) => void

export class PeerSession {
  private handler: Handler | null = null
  private closeHandlers: Array<(info: CloseInfo) => void> = []
  closed: CloseInfo | null = null

  private constructor(
    readonly connection: Connection,
    readonly peer: string,
  ) {
    connection.on('message', (message) => {
      if (this.handler) this.handler(message)
      else this.onUnrequested?.(message)
    })
    connection.on('close', (info) => {
      this.closed = info
      for (const h of this.closeHandlers.splice(0)) h(info)
    })
  }

  /** Messages nobody asked for right now: INDEX_CHANGED pushes. */
  onUnrequested: ((message: Message) => void) | null = null

  static open(peer: Endpoint, self: Endpoint, nodeId: Buffer): Promise<PeerSession> {
    const name = endpointKey(peer)
    return new Promise((resolve, reject) => {
      const socket = connect({ host: peer.ip, port: peer.port })
      let connectError = ''
      socket.once('error', (error: NodeJS.ErrnoException) => (connectError = error.code ?? error.message))
      const connection = new Connection(socket, {
        side: 'initiator',
        role: 'client',
        nodeId,
        heartbeatMs: 0,
        helloTimeoutMs: DEFAULT_HELLO_TIMEOUT_MS,
        maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
      })
      const session = new PeerSession(connection, name)
      const fail = (info: CloseInfo): void => {
        const why = info.message ?? (connectError || info.reason)
        reject(new PeerSessionError(info.code ?? 'peer-unreachable', `cannot open ${name}: ${why}`, true))
      }
      session.closeHandlers.push(fail)
      connection.once('ready', () => {
        connection.send({ type: 'IDENTIFY', endpoint: self })
        session.handler = (message) => {
          session.handler = null
          session.closeHandlers = session.closeHandlers.filter((h) => h !== fail)
          if (message.type === 'IDENTIFY_OK') return resolve(session)
          connection.close()
          if (message.type === 'ERROR_IP_PORT_NOT_FOUND_IN_LIST') {
            reject(new PeerSessionError('not-announced', `${name} does not know us as ${endpointKey(self)} yet`, true))
          } else {
            reject(new PeerSessionError('unexpected-message', `${name} answered IDENTIFY with ${message.type}`, false))
          }
        }
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
   * Sends a request and feeds every following message to `onMessage` until it returns true.
   * Rejects (retryable) if the connection ends first.
   */
  request(message: Message, onMessage: (reply: Message) => boolean): Promise<void> {
    if (this.closed) return Promise.reject(this.lostError(this.closed))
    return new Promise((resolve, reject) => {
      const onClose = (info: CloseInfo): void => {
        this.handler = null
        reject(this.lostError(info))
      }
      this.closeHandlers.push(onClose)
      this.handler = (reply) => {
        let done: boolean
        try {
          done = onMessage(reply)
        } catch (error) {
          this.handler = null
          this.closeHandlers = this.closeHandlers.filter((h) => h !== onClose)
          reject(error)
          return
        }
        if (!done) return
        this.handler = null
        this.closeHandlers = this.closeHandlers.filter((h) => h !== onClose)
        resolve()
      }
      this.connection.send(message)
    })
  }

  async fetchList(): Promise<FileEntry[]> {
    const files: FileEntry[] = []
    await this.request({ type: 'GET_FILE_LIST' }, (reply) => {
      if (reply.type !== 'FILE_LIST') throw this.unexpected(reply, 'FILE_LIST')
      for (const file of reply.files) files.push(file)
      return reply.last
    })
    return files
  }

  /** The error for a reply out of protocol; the caller drops the session (retry is false). */
  unexpected(reply: Message, wanted: string): PeerSessionError {
    const detail = reply.type === 'ERROR' ? `ERROR ${errorCodeName(reply.code)}: ${reply.text}` : reply.type
    return new PeerSessionError('bad-peer', `${this.peer} answered ${detail} where ${wanted} was due`, false)
  }

  private lostError(info: CloseInfo): PeerSessionError {
    return new PeerSessionError('connection-lost', `the connection to ${this.peer} ended (${info.message ?? info.reason})`, true)
  }
}
