// The port a client serves its shared folder on, over mutual TLS. Only devices the registry
// server announced may use it: the certificate a peer proves is its device ID, which must be one
// the server listed as online (checked before our HELLO goes; refused with ERROR not-a-member).
// Then: GET_FILE_LIST, GET_FILE (streamed), SUBSCRIBE (pushed INDEX_CHANGED), GET_FILES (many
// small files in FILES frames). Requests on one connection are answered in order, one at a time.
import type { Server, Socket } from 'node:net'
import { formatDeviceId } from '../../../shared/device-id'
import type { EventSink } from '../../../shared/events'
import { Connection, whyClosed } from '../net/connection'
import { HandshakeLimit } from '../net/handshake-limit'
import { closeServer, listen } from '../net/listen'
import { acceptTls, type TlsCredentials } from '../net/tls'
import type { TokenBucket } from '../net/token-bucket'
import { encodeMessage } from '../protocol/codec'
import { LIST_FIRST_FRAME_BYTES, LIST_FRAME_TARGET_BYTES } from '../protocol/constants'
import { ProtocolError } from '../protocol/errors'
import type { IndexChange, Message } from '../protocol/messages'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_HANDSHAKES_PER_IP, DEFAULT_MAX_QUEUE_BYTES } from '../defaults'
import type { FolderIndex } from '../folder/folder-index'
import { FolderSession } from './folder-session'
import { loadBlockHash } from '../blocks/block-hash'
import { BlockSender } from './block-sender'
import { FileSender } from './file-sender'
import { SharedFiles } from './shared-files'

/** Who may connect: the devices the registry server has announced, by device ID (hex). */
export interface PeerDirectory {
  /** The announced `ip:port` of that device, or null. */
  lookup(id: string): string | null
  /** Waits up to `ms` for the server to announce the device (its USER_ON may trail its call). */
  waitFor(id: string, ms: number): Promise<string | null>
  /** Whether the server's list is in (registered now): until then nobody is announced, so a refusal says nothing. */
  listed(): boolean
}

export interface FolderServerOptions {
  port: number
  host?: string
  /** This device's certificate and key: peers pin it. */
  identity: TlsCredentials
  /** This device's name, sent in HELLO. */
  name: string
  index: FolderIndex
  peers: PeerDirectory
  onEvent: EventSink
  /** The upload limit, shared by every connection: file content and lists wait for it. */
  upload?: TokenBucket
}

/** How long a device not announced yet may wait for its USER_ON before it is refused. */
export const ANNOUNCE_WAIT_MS = 3000

/**
 * Splits list entries into frames, so no frame nears the maximum however many files there are (a
 * path costs at most 3 bytes per UTF-16 unit, plus the fixed fields). Frames grow from
 * LIST_FIRST_FRAME_BYTES, doubling, to LIST_FRAME_TARGET_BYTES: the first entries reach the peer
 * (and its first requests come back) before the rest is encoded. Always at least one frame,
 * possibly empty: an empty folder still gets its FILE_LIST.
 */
function splitForFrames<T extends { path: string }>(entries: T[]): T[][] {
  const frames: T[][] = [[]]
  let bytes = 0
  let limit = LIST_FIRST_FRAME_BYTES
  for (const entry of entries) {
    if (bytes >= limit) {
      frames.push([])
      bytes = 0
      limit = Math.min(limit * 2, LIST_FRAME_TARGET_BYTES)
    }
    frames[frames.length - 1]!.push(entry)
    bytes += entry.path.length * 3 + ENTRY_FIXED_BYTES
  }
  return frames
}

/** Bytes of an entry besides its path: length prefix, version, size, flags (and an upsert's op byte). */
const ENTRY_FIXED_BYTES = 44
export class FolderServer {
  private server: Server | null = null
  private readonly sessions = new Set<FolderSession>()
  /** Every accepted TCP socket until it closes: stop() ends them all, whatever their stage. */
  private readonly sockets = new Set<Socket>()
  private readonly handshakes = new HandshakeLimit(DEFAULT_MAX_HANDSHAKES_PER_IP)
  private readonly onChanges = (changes: IndexChange[]): void => {
    // Never an empty push: an empty INDEX_CHANGED means "subscribed".
    if (changes.length) this.push(splitForFrames(changes).map((batch) => ({ type: 'INDEX_CHANGED', changes: batch })))
  }
  // Subscribers hear that the folder is gone for now, so they wait for its files instead of giving up.
  private readonly onMissing = (): void => this.push([{ type: 'FOLDER_STATE', present: false }])
  private readonly onRestored = (): void => this.push([{ type: 'FOLDER_STATE', present: true }])

  private readonly files: SharedFiles
  private readonly fileSender: FileSender
  private readonly blocks: BlockSender

  constructor(private readonly options: FolderServerOptions) {
    this.files = new SharedFiles(options.index, options.upload)
    this.fileSender = new FileSender(this.files)
    this.blocks = new BlockSender(this.files)
  }

  async start(): Promise<{ host: string; port: number }> {
    await loadBlockHash()
    const { server, host, port } = await listen((socket) => this.accept(socket), this.options.port, this.options.host)
    this.server = server
    this.options.index.on('changes', this.onChanges)
    this.options.index.on('missing', this.onMissing)
    this.options.index.on('restored', this.onRestored)
    return { host, port }
  }

  async stop(): Promise<void> {
    this.options.index.off('changes', this.onChanges)
    this.options.index.off('missing', this.onMissing)
    this.options.index.off('restored', this.onRestored)
    const closing = this.server ? closeServer(this.server) : Promise.resolve()
    for (const socket of this.sockets) socket.destroy()
    await closing
  }

  /** A device the server says has left (or was removed) may no longer read our folder. */
  peerLeft(id: string): void {
    for (const session of this.sessions) if (session.peerId === id) session.connection.close()
  }

  private accept(raw: Socket): void {
    if (!this.handshakes.admit(raw)) return
    this.sockets.add(raw)
    raw.once('close', () => this.sockets.delete(raw))
    acceptTls(raw, this.options.identity, DEFAULT_HELLO_TIMEOUT_MS, (socket, id) => {
      // eslint-disable-next-line prefer-const -- the connection's admit needs the session it is in
      let session: FolderSession
      const connection: Connection = new Connection(socket, {
        side: 'acceptor',
        role: 'client',
        name: this.options.name,
        heartbeatMs: DEFAULT_HEARTBEAT_MS,
        helloTimeoutMs: DEFAULT_HELLO_TIMEOUT_MS,
        maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
        admit: () => this.admit(session, id),
        ...(this.options.upload ? { writeRate: this.options.upload } : {}),
      })
      session = new FolderSession(connection)
      this.sessions.add(session)
      connection.once('ready', () => this.handshakes.done(raw))
      connection.on('message', (message, bytes) => {
        session.request(bytes, () => this.answer(session, message), (error) => this.fail(session, error))
      })
      connection.on('close', (info) => {
        this.sessions.delete(session)
        if (info.code && info.reason !== 'remote-error' && info.code !== 'not-a-member') {
          this.options.onEvent({ type: 'error', code: info.code, message: `${session.peer ?? connection.remote}: ${whyClosed(info)}` })
        }
      })
    })
  }

  /**
   * Only a device the server announced, and still lists as online, may read the folder. Its
   * USER_ON may still be on its way to us: it gets ANNOUNCE_WAIT_MS to arrive.
   */
  private async admit(session: FolderSession, id: Buffer): Promise<ProtocolError | null> {
    const hex = id.toString('hex')
    const peers = this.options.peers
    const key = peers.lookup(hex) ?? (await peers.waitFor(hex, ANNOUNCE_WAIT_MS))
    if (key === null) {
      const idText = formatDeviceId(id)
      // Before the server's list (it is down, or not reached yet), peers of the last run call back
      // as usual: refused, and admitted once the server announces them; that is no error.
      if (peers.listed()) {
        this.options.onEvent({
          type: 'error',
          code: 'unknown-peer',
          message: `refused ${session.connection.remote}, device ${idText}: not a client the server announced`,
        })
      }
      return new ProtocolError('not-a-member', `device ${idText} is not a client the server announced as online`)
    }
    session.peer = key
    session.peerId = hex
    return null
  }

  private fail(session: FolderSession, error: unknown): void {
    const problem = error instanceof ProtocolError ? error : new ProtocolError('internal', String(error))
    session.connection.fail(problem)
  }

  private async answer(session: FolderSession, message: Message): Promise<void> {
    const { connection } = session
    if (connection.isClosed) return
    connection.coalesceUntilIdle()
    switch (message.type) {
      case 'GET_FILE_LIST':
        return this.sendList(connection)
      case 'GET_FILE':
        return this.fileSender.sendFile(connection, message.path, message.version)
      case 'GET_FILES':
        return this.fileSender.sendFiles(connection, message.files)
      case 'GET_BLOCK_LIST':
        return this.blocks.sendList(connection, message.path)
      case 'GET_BLOCKS':
        return this.blocks.sendBlocks(connection, message.path, message.version, message.first, message.count)
      case 'SUBSCRIBE':
        // Acknowledged with an empty INDEX_CHANGED: from here on every change is pushed. Then where
        // the folder stands, so a peer subscribing again after a lost connection knows for sure.
        session.subscribed = true
        connection.send({ type: 'INDEX_CHANGED', changes: [] })
        connection.send({ type: 'FOLDER_STATE', present: !this.options.index.missing })
        return
      default:
        throw new ProtocolError('unexpected-message', `${message.type} is not a request a client answers`)
    }
  }

  private async sendList(connection: Connection): Promise<void> {
    // While the shared folder is gone its list would name files nobody can have: the answer
    // waits until the folder is back (later requests on this connection wait behind it).
    await this.options.index.whenPresent()
    const batches = splitForFrames(this.options.index.list().map((file) => ({ path: file.path, version: file.version, size: file.size, snapshot: file.snapshot === true })))
    for (const [i, files] of batches.entries()) {
      const frame = encodeMessage({ type: 'FILE_LIST', last: i === batches.length - 1, files })
      await connection.throttle(frame.length)
      connection.sendFrame(frame)
      await connection.paced()
    }
  }

  /** Sends `frames` to every subscriber, in order, after what each one is already owed. */
  private push(frames: Message[]): void {
    for (const session of this.sessions) {
      if (!session.subscribed || !session.peer) continue
      // Queued behind the session's requests and paced: a burst of changes waits for the socket.
      session.after(async () => {
        for (const frame of frames) {
          if (session.connection.isClosed) return
          session.connection.send(frame)
          await session.connection.paced()
        }
      })
    }
  }
}
