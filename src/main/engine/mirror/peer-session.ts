// One connection from this client to another client's folder server: HELLO, IDENTIFY as the
// address the registry announced for us, then requests. Requests are pipelined: each is sent at
// once, and since the server answers in order, replies go to the oldest unanswered request until
// it has all of its answer. Used by the workers for transfers, and by the main thread to
// SUBSCRIBE to a peer's changes.
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

interface PendingRequest {
  /** Takes each reply; returns true once the answer is complete. Throws to fail the session. */
  onReply(reply: Message): boolean
  resolve(): void
  reject(error: Error): void
}

export class PeerSession {
  private readonly pending: PendingRequest[] = []
  closed: CloseInfo | null = null
  /** Messages nobody asked for: INDEX_CHANGED and FOLDER_STATE pushes. */
  onUnrequested: ((message: Message) => void) | null = null

  private constructor(
    readonly connection: Connection,
    readonly peer: string,
  ) {
    connection.on('message', (message) => this.route(message))
    connection.on('close', (info) => {
      this.closed = info
      const error = this.lostError(info)
      for (const request of this.pending.splice(0)) request.reject(error)
    })
  }

  /** `allocateBody`: where large frame bodies go (a transfer worker recycles file chunks). */
  static open(peer: Endpoint, self: Endpoint, nodeId: Buffer, allocateBody?: (length: number) => Buffer): Promise<PeerSession> {
    const name = endpointKey(peer)
    return new Promise((resolve, reject) => {
      // Declared before the socket whose callbacks may ask for it before it exists.
      // eslint-disable-next-line prefer-const
      let connection: Connection | undefined
      // Reads land straight in the frame being collected (FrameDecoder.readTarget); the first
      // buffer is asked for before the connection exists, and whatever lands there is copied.
      const socket = connect({
        host: peer.ip,
        port: peer.port,
        onread: {
          buffer: () => connection?.readTarget() ?? Buffer.allocUnsafe(64),
          callback: (n, into) => {
            connection?.onRead(n, into as Buffer)
            // Pausing is the receivers' call (socket.pause()), as with 'data' events.
            return true
          },
        },
      })
      let connectError = ''
      socket.once('error', (error: NodeJS.ErrnoException) => (connectError = error.code ?? error.message))
      connection = new Connection(socket, {
        side: 'initiator',
        role: 'client',
        nodeId,
        heartbeatMs: 0,
        helloTimeoutMs: DEFAULT_HELLO_TIMEOUT_MS,
        maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
        ...(allocateBody ? { allocateBody } : {}),
      })
      const session = new PeerSession(connection, name)
      const onEarlyClose = (info: CloseInfo): void => {
        reject(new PeerSessionError(info.code ?? 'peer-unreachable', `cannot open ${name}: ${info.message ?? (connectError || info.reason)}`, true))
      }
      connection.once('close', onEarlyClose)
      connection.once('ready', () => {
        session
          .request({ type: 'IDENTIFY', endpoint: self }, (reply) => {
            if (reply.type === 'IDENTIFY_OK') return true
            if (reply.type === 'ERROR_IP_PORT_NOT_FOUND_IN_LIST') {
              throw new PeerSessionError('not-announced', `${name} does not know us as ${endpointKey(self)} yet`, true)
            }
            throw session.unexpected(reply, 'IDENTIFY_OK')
          })
          .then(
            () => {
              connection.off('close', onEarlyClose)
              resolve(session)
            },
            (error: Error) => {
              connection.off('close', onEarlyClose)
              connection.close()
              reject(error)
            },
          )
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
      this.pending.push({ onReply, resolve, reject })
      // Requests made in one turn (a batch of jobs) leave in one write.
      this.connection.coalesceUntilIdle()
      this.connection.send(message)
    })
  }

  /** The peer's list, handed to `part` one FILE_LIST frame at a time; resolves with the count. */
  async fetchList(part: (files: FileEntry[]) => void): Promise<number> {
    let count = 0
    await this.request({ type: 'GET_FILE_LIST' }, (reply) => {
      if (reply.type !== 'FILE_LIST') throw this.unexpected(reply, 'FILE_LIST')
      count += reply.files.length
      part(reply.files)
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
    if (!head) {
      this.onUnrequested?.(message)
      return
    }
    let done: boolean
    try {
      done = head.onReply(message)
    } catch (error) {
      // Once a reply is out of step, every later reply on this connection is suspect.
      this.pending.shift()
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
    return new PeerSessionError('connection-lost', `the connection to ${this.peer} ended (${info.message ?? info.reason})`, true)
  }
}
