// The port a client serves its shared folder on, over mutual TLS. Only devices the registry
// server announced may use it: the certificate a peer proves is its device ID, which must be one
// the server listed as online (checked before our HELLO goes; refused with ERROR not-a-member).
// Then: GET_FILE_LIST, GET_FILE (streamed), SUBSCRIBE (pushed INDEX_CHANGED), GET_FILES (many
// small files in FILES frames). Requests on one connection are answered in order, one at a time.
import { closeSync, fstatSync, read, readSync, statSync, type Stats } from 'node:fs'
import type { Server, Socket } from 'node:net'
import { formatDeviceId } from '../../../shared/device-id'
import type { EventSink } from '../../../shared/events'
import { relativePathProblem } from '../../../shared/paths'
import { Connection } from '../net/connection'
import { HandshakeLimit } from '../net/handshake-limit'
import { closeServer, listen } from '../net/listen'
import { acceptTls, type TlsCredentials } from '../net/tls'
import type { TokenBucket } from '../net/token-bucket'
import { encodeMessage, FilesFrame } from '../protocol/codec'
import { BATCH_FILE_BYTES, FILE_CHUNK_BYTES, FILES_FRAME_TARGET_BYTES, LIST_FIRST_FRAME_BYTES, LIST_FRAME_TARGET_BYTES } from '../protocol/constants'
import { ProtocolError } from '../protocol/errors'
import type { IndexChange, Message, WantedFile } from '../protocol/messages'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_HANDSHAKES_PER_IP, DEFAULT_MAX_QUEUE_BYTES } from '../defaults'
import type { FolderIndex, IndexedFile } from '../folder/folder-index'
import { FolderSession } from './folder-session'
import { VersionHasher, versionOfBytes } from '../blocks/version-hasher'
import { loadBlockHash } from '../blocks/block-hash'
import { BlockSender } from './block-sender'

/** Who may connect: the devices the registry server has announced, by device ID (hex). */
export interface PeerDirectory {
  /** The announced `ip:port` of that device, or null. */
  lookup(id: string): string | null
  /** Waits up to `ms` for the server to announce the device (its USER_ON may trail its call). */
  waitFor(id: string, ms: number): Promise<string | null>
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
/** Files up to this size are read with one synchronous call. */
const SMALL_READ_BYTES = 64 * 1024
const CHANGED_WHILE_READ = 'the file changed while being read; a new version follows'
/** Under an upload limit, a large file's chunk is at most this long a share of a second... */
const CHUNKS_PER_SECOND = 4
/** ...and at least this big, so a low limit costs no more frames than it must. */
const MIN_LIMITED_CHUNK_BYTES = 16 * 1024
const SHRANK_WHILE_READ = 'the file shrank while being sent'

/**
 * Whether bytes read for a small file are the indexed version. Its stats were checked just
 * before the read, but a rewrite between that check and the read, or within one tick of the
 * file system's clock (same size, same mtime), passes them: sent under the indexed version, such
 * bytes would make an honest peer look like a liar.
 */
function sameAsIndexed(stats: Stats, file: IndexedFile): boolean {
  return stats.size === file.size && stats.mtimeMs === file.mtimeMs
}

/**
 * A snapshot's file grown since (still being written): its first `size` bytes are most likely the
 * snapshot (a log appended to), sent only as far as they hash to it.
 */
function stillGrowing(stats: Stats, file: IndexedFile): boolean {
  return file.snapshot === true && stats.size >= file.size
}

function holdsVersion(data: Buffer, file: IndexedFile): boolean {
  return versionOfBytes(data).equals(file.version)
}

/** Chunk buffers kept for reuse once the socket has sent them: a few files' worth in flight. */
const CHUNKS_KEPT = 8

/**
 * Memory for the chunks of large files being sent, reused once the socket is done with each: a
 * fresh megabyte per read costs more to fault in and collect than reading into it does.
 */
class ChunkBuffers {
  private readonly free: Buffer[] = []

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES)
  }

  give(chunk: Buffer): void {
    if (this.free.length < CHUNKS_KEPT) this.free.push(chunk)
  }
}

export class FolderServer {
  private server: Server | null = null
  private readonly sessions = new Set<FolderSession>()
  /** Every accepted TCP socket until it closes: stop() ends them all, whatever their stage. */
  private readonly sockets = new Set<Socket>()
  private readonly handshakes = new HandshakeLimit(DEFAULT_MAX_HANDSHAKES_PER_IP)
  private readonly chunks = new ChunkBuffers()
  private readonly onChanges = (changes: IndexChange[]): void => {
    // Never an empty push: an empty INDEX_CHANGED means "subscribed".
    if (changes.length) this.push(splitForFrames(changes).map((batch) => ({ type: 'INDEX_CHANGED', changes: batch })))
  }
  // Subscribers hear that the folder is gone for now, so they wait for its files instead of giving up.
  private readonly onMissing = (): void => this.push([{ type: 'FOLDER_STATE', present: false }])
  private readonly onRestored = (): void => this.push([{ type: 'FOLDER_STATE', present: true }])

  private readonly blocks = new BlockSender({
    lookup: (relPath) => this.lookup(relPath),
    blockList: (relPath) => this.options.index.blockList(relPath),
    open: (relPath, file) => this.open(relPath, file),
    abort: (connection, relPath, reason) => this.abort(connection, relPath, reason),
    changedWhileRead: (connection, relPath) => this.changedWhileRead(connection, relPath),
    statsCannotVouch: (relPath, file) => this.statsCannotVouch(relPath, file),
    chunkBytes: () => this.chunkBytes(),
    take: () => this.chunks.take(),
    give: (chunk) => this.chunks.give(chunk),
  })

  constructor(private readonly options: FolderServerOptions) {}

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
          this.options.onEvent({ type: 'error', code: info.code, message: `${session.peer ?? connection.remote}: ${info.message ?? info.reason}` })
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
      this.options.onEvent({
        type: 'error',
        code: 'unknown-peer',
        message: `refused ${session.connection.remote}, device ${idText}: not a client the server announced`,
      })
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
        return this.sendFile(connection, message.path, message.version)
      case 'GET_FILES':
        return this.sendFiles(connection, message.files)
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

  private async sendFile(connection: Connection, relPath: string, have: Buffer | null): Promise<void> {
    const file = this.lookup(relPath)
    if (!file) {
      connection.send({ type: 'FILE_NOT_FOUND', path: relPath })
      return
    }
    if (have && have.equals(file.version)) {
      connection.send({ type: 'FILE_UP_TO_DATE', path: relPath })
      return
    }
    // A small file is paid for before it is read; a large one chunk by chunk, below.
    if (file.size <= SMALL_READ_BYTES) await connection.throttle(file.size)
    const opened = this.open(relPath, file)
    if (typeof opened === 'string') return this.abort(connection, relPath, opened)
    const fd = opened
    try {
      connection.send({ type: 'FILE_SIZE', path: relPath, version: file.version, size: file.size })
      if (file.size <= SMALL_READ_BYTES) {
        // One synchronous read: cheaper than a thread-pool round trip for a small file.
        const chunk = Buffer.allocUnsafe(file.size)
        const bytesRead = file.size ? readSync(fd, chunk, 0, file.size, 0) : 0
        if (bytesRead < file.size) return this.abort(connection, relPath, SHRANK_WHILE_READ)
        if (!holdsVersion(chunk, file)) return this.changedWhileRead(connection, relPath)
        if (file.size) connection.sendFileData(chunk)
        // Pipelined requests for many small files must not pile up past the queue bound.
        await connection.paced()
        return
      }
      // Large files: the next chunk is read while the socket drains the current one.
      const chunkBytes = this.chunkBytes()
      const readAt = (position: number): Promise<{ memory: Buffer; chunk: Buffer }> => {
        const memory = this.chunks.take()
        return new Promise((resolve, reject) =>
          read(fd, memory, 0, Math.min(chunkBytes, file.size - position), position, (error, n) => {
            if (!error) return resolve({ memory, chunk: memory.subarray(0, n) })
            this.chunks.give(memory)
            reject(error)
          }),
        )
      }
      // Hashed as it is read only while its stats cannot vouch for it (see racy-files.ts), or a
      // snapshot's file has grown past it.
      const hash = this.statsCannotVouch(relPath, file) ? new VersionHasher(file.size) : null
      let sent = 0
      let next: Promise<{ memory: Buffer; chunk: Buffer }> | null = readAt(0)
      while (next && !connection.isClosed) {
        const { memory, chunk } = await next
        if (chunk.length === 0) {
          this.chunks.give(memory)
          return this.abort(connection, relPath, SHRANK_WHILE_READ)
        }
        sent += chunk.length
        next = sent < file.size ? readAt(sent) : null
        hash?.update(chunk)
        // The last chunk waits until what was read is known to be the version named.
        const problem = next ? null : this.readProblem(fd, file, hash)
        if (problem) {
          this.chunks.give(memory)
          if (problem === 'rewritten') return this.changedWhileRead(connection, relPath)
          return this.abort(connection, relPath, SHRANK_WHILE_READ)
        }
        await connection.throttle(chunk.length)
        // The memory goes back once the socket has the chunk (or never will).
        connection.sendFileData(chunk, () => this.chunks.give(memory))
        await connection.paced()
      }
      await next?.catch(() => {})
    } finally {
      closeSync(fd)
    }
  }

  /**
   * GET_FILES: one record per file, in request order, packed into FILES frames of about
   * FILES_FRAME_TARGET_BYTES. Each file is read with one synchronous call straight into the
   * frame; the whole batch is one turn of work instead of a promise chain per file.
   */
  private async sendFiles(connection: Connection, wanted: WantedFile[]): Promise<void> {
    let frame = new FilesFrame()
    for (const want of wanted) {
      if (frame.bytes >= FILES_FRAME_TARGET_BYTES) {
        await connection.throttle(frame.bytes)
        connection.sendFrame(frame.finish(false))
        await connection.paced()
        if (connection.isClosed) return
        frame = new FilesFrame()
      }
      this.addRecord(frame, want)
    }
    await connection.throttle(frame.bytes)
    connection.sendFrame(frame.finish(true))
    await connection.paced()
  }

  /**
   * How much of a large file one FILE_DATA carries: FILE_CHUNK_BYTES, or under an upload limit a
   * quarter second's worth, so a file under a low limit moves steadily rather than in bursts.
   */
  private chunkBytes(): number {
    const rate = this.options.upload?.bytesPerSecond ?? 0
    if (rate === 0) return FILE_CHUNK_BYTES
    return Math.min(FILE_CHUNK_BYTES, Math.max(MIN_LIMITED_CHUNK_BYTES, Math.floor(rate / CHUNKS_PER_SECOND)))
  }

  private addRecord(frame: FilesFrame, { path: relPath, version: have }: WantedFile): void {
    const file = this.lookup(relPath)
    if (!file) return frame.status('not-found')
    if (have && have.equals(file.version)) return frame.status('up-to-date')
    if (file.size > BATCH_FILE_BYTES) return frame.status('too-large')
    const opened = this.open(relPath, file)
    if (typeof opened === 'string') {
      this.options.index.recheck(relPath)
      return frame.abort(opened)
    }
    try {
      const record = frame.content(file.version, file.size)
      const bytesRead = file.size ? readSync(opened, record.data, 0, file.size, 0) : 0
      if (bytesRead < file.size) {
        record.undo()
        this.options.index.recheck(relPath)
        frame.abort(SHRANK_WHILE_READ)
      } else if (!holdsVersion(record.data, file)) {
        record.undo()
        this.options.index.distrust(relPath)
        frame.abort(CHANGED_WHILE_READ)
      }
    } finally {
      closeSync(opened)
    }
  }

  /**
   * The indexed file a peer names, if the path is one we share. An ignored path is refused even
   * while the index, re-evaluating new rules, still holds it.
   */
  private lookup(relPath: string): IndexedFile | undefined {
    if (relativePathProblem(relPath) || this.options.index.ignores(relPath)) return undefined
    return this.options.index.get(relPath)
  }

  /**
   * Opens an indexed file for sending: its descriptor, or why it cannot be sent. As open-inside.ts
   * opens: a link is not followed as its last name; non-blocking, so one swapped for a named pipe
   * does not stop this thread, and every peer with it (the fstat below then turns it down).
   */
  private open(relPath: string, file: IndexedFile): number | string {
    if (this.options.index.missing) return 'the shared folder is not there for now; it is sent again when it is back'
    const inside = this.options.index.inside
    let fd: number
    try {
      fd = inside.open(relPath)
    } catch {
      return 'the file could not be opened; a new version follows'
    }
    let problem: string | null = null
    try {
      const stats = fstatSync(fd)
      // O_NOFOLLOW guards the last name only; a folder on the way swapped for a link must not
      // lead out either: the file actually opened has to lie inside the shared folder.
      if (!this.isIndexedInode(stats, file) && !inside.proves(fd, relPath)) problem = 'the path now leads outside the shared folder'
      else if (!stats.isFile() || !(sameAsIndexed(stats, file) || stillGrowing(stats, file))) {
        problem = 'the file changed since it was indexed; a new version follows'
      }
    } catch (error) {
      problem = `the file could not be read: ${(error as Error).message}`
    }
    if (problem === null) return fd
    closeSync(fd)
    return problem
  }

  private rootDevice: number | null = null

  /**
   * The cheap proof: the opened file is the very inode the index found inside the folder (same
   * device as the folder, same inode; its size and mtime are checked next, for every file).
   * Safe since the index hashes only descriptors proven inside (open-inside.ts), and a live
   * inode's number is no other file's on its device: at worst, that very file moved out since.
   * Anything else, such as a mount point inside the folder, gets the full proof of where it leads.
   */
  private isIndexedInode(stats: Stats, file: IndexedFile): boolean {
    this.rootDevice ??= statSync(this.options.index.root).dev
    return stats.dev === this.rootDevice && stats.ino === file.ino
  }

  /**
   * Whether a streamed file's bytes, all read, may not be the indexed version: rewritten in place
   * meanwhile (its mtime moved, its size did not grow), or, for a racy file, not hashing to it.
   * A file that only grew is sent: its first `size` bytes are most likely the version named (a
   * log being appended to), and the receiver's hash check settles it. Null: send the last chunk.
   */
  private readProblem(fd: number, file: IndexedFile, hash: VersionHasher | null): 'shrank' | 'rewritten' | null {
    const after = fstatSync(fd)
    if (after.size < file.size) return 'shrank'
    const written = after.mtimeMs !== file.mtimeMs
    // A snapshot's bytes are hashed as read: that hash, not its stats, says what was sent.
    if (written && after.size === file.size && !file.snapshot) return 'rewritten'
    if (written) this.options.index.recheck(file.path)
    if (hash && !hash.digest().equals(file.version)) return 'rewritten'
    return null
  }

  /** Whether a file's bytes must be hashed as read: a racy file, a snapshot of one still written. */
  private statsCannotVouch(relPath: string, file: IndexedFile): boolean {
    return this.options.index.isRacy(relPath) || file.snapshot === true
  }

  private changedWhileRead(connection: Connection, relPath: string): void {
    this.options.index.distrust(relPath)
    connection.send({ type: 'FILE_ABORT', path: relPath, reason: CHANGED_WHILE_READ })
  }

  private abort(connection: Connection, relPath: string, reason: string): void {
    this.options.index.recheck(relPath)
    connection.send({ type: 'FILE_ABORT', path: relPath, reason })
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
