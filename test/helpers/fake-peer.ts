// A folder server written by hand for tests: it speaks the protocol itself and answers whatever
// the test scripts, honest or not, at full speed or trickling.
import { createServer, type Server, type TLSSocket } from 'node:tls'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { BATCH_FILE_BYTES, FILE_CHUNK_BYTES, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { FileEntry, FileRecord, IndexChange, Message, MessageOf } from '../../src/main/engine/protocol/messages'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { blockListFrames } from '../../src/main/engine/protocol/block-list-frames'
import { ALPN_PROTOCOL, peerDeviceId } from '../../src/main/engine/net/tls'
import { rememberDevice } from './devices-by-port'
import { RawPeer } from './raw-peer'
import { newIdentity, type TestIdentity } from './test-identity'
import { sha256 } from './tree'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'

type Socket = TLSSocket

export interface FakeFile {
  path: string
  /** What is announced (version defaults to the version of `content`, size to its length). */
  announce?: { version?: Buffer; size?: number }
  /** What is actually sent. */
  content: Buffer
}

export interface FakePeerOptions {
  /** Send file content in chunks of this many bytes, one chunk every `everyMs`. */
  trickle?: { chunkBytes: number; everyMs: number }
  /** FILE_LIST frames the list is split into (default 1). */
  listFrames?: number
  /** Replaces the honest FILES reply to a GET_FILES with whatever frames this returns. */
  filesReply?: (honest: FileRecord[]) => Message[]
  /** Each GET_FILES is answered only once the promise this returns resolves (a connection's replies keep their order). */
  filesGate?: () => Promise<void>
  /** Sends block `index` of `path` with one byte flipped, the first `times` times it is asked for (default always). */
  corruptBlock?: { path: string; index: number; times?: number }
  /** The first GET_FILE_LIST is answered with these pushes, and the connection ends before any list. */
  firstListLost?: IndexChange[]
  /** Replaces the honest reply to every GET_FILE_LIST with whatever frames this returns (given the honest entries). */
  listReply?: (honest: FileEntry[]) => Message[]
}

/** The version of this content (docs/PROTOCOL.md, blocks). */
/** What a mirror of these files holds, as treeOf reads it: each path with its content's SHA-256. */
export function mirroredTree(files: FakeFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, sha256(f.content).toString('hex')]))
}

export function contentVersion(data: Buffer | string): Buffer {
  return versionOfBytes(typeof data === 'string' ? Buffer.from(data) : data)
}

export class FakePeer {
  /** Every message received, with the device ID (hex) of its sender's certificate. */
  /** `connection`: which of the connections made to this peer (0, 1, ... in the order they came); `at`: when it came (ms). */
  readonly requests: Array<{ from: string; connection: number; message: Message; at: number }> = []
  private connections = 0
  private listLost = false
  /** The device this fake peer is (made at start). */
  identity: TestIdentity | null = null
  private server: Server | null = null
  private registration: RawPeer | null = null
  private readonly sockets = new Set<Socket>()
  private readonly subscribers = new Set<Socket>()
  /** While true, every file asked for is aborted, as a folder server whose folder is gone does. */
  away = false
  private readonly timers = new Set<NodeJS.Timeout>()
  port = 0

  constructor(
    private readonly files: FakeFile[],
    private readonly options: FakePeerOptions = {},
  ) {}

  /** This peer's device ID (hex), what a connection to it pins; known once started. */
  get id(): string {
    if (!this.identity) throw new Error('the fake peer has no identity before start()')
    return this.identity.id.toString('hex')
  }

  /** Where it listens and which device it is: what PeerSession.open and peerJoined take. */
  get ref(): { ip: string; port: number; id: string } {
    return { ip: '127.0.0.1', port: this.port, id: this.id }
  }

  entries(): FileEntry[] {
    return this.files.map((f) => this.entryOf(f))
  }

  /** What the list says of one file. */
  entryOf(f: FakeFile): FileEntry {
    return { path: f.path, version: f.announce?.version ?? contentVersion(f.content), size: f.announce?.size ?? f.content.length, snapshot: false }
  }

  async start(): Promise<number> {
    this.identity = await newIdentity('fake-peer')
    this.server = createServer(
      {
        cert: this.identity.certPem,
        key: this.identity.keyPem,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: [ALPN_PROTOCOL],
      },
      (socket) => this.serve(socket),
    )
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
    return this.port
  }

  /** Logs on with the registry server like any client; returns this peer's `ip:port`. */
  async register(serverPort: number): Promise<string> {
    this.registration = await RawPeer.logOn(serverPort, { ip: '127.0.0.1', port: this.port }, { identity: this.identity! })
    // Its mirror folders are named after this device: mirrorOf finds them by this port.
    rememberDevice(this.port, this.identity!.idText, this.identity!.name)
    return `127.0.0.1:${this.port}`
  }

  /** Tells every subscriber where the folder stands (FOLDER_STATE); `reannounce` pushes every file first. */
  folderState(present: boolean, reannounce = false): void {
    for (const socket of this.subscribers) {
      if (reannounce) socket.write(encodeMessage({ type: 'INDEX_CHANGED', changes: this.entries().map((e) => ({ op: 'upsert', ...e })) }))
      socket.write(encodeMessage({ type: 'FOLDER_STATE', present }))
    }
  }

  /** Pushes `changes` to every subscriber (INDEX_CHANGED), as a folder server does when its files change. */
  push(changes: IndexChange[]): void {
    for (const socket of this.subscribers) socket.write(encodeMessage({ type: 'INDEX_CHANGED', changes }))
  }

  /** Cuts every subscription: the peer subscribes again, as after a lost connection. */
  dropSubscribers(): void {
    for (const socket of this.subscribers) socket.destroy()
    this.subscribers.clear()
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    this.registration?.close()
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.subscribers.delete(socket)
    })
    socket.on('error', () => {})
    const decoder = new FrameDecoder()
    const outbox = new Outbox(socket, this.options.trickle?.everyMs ?? 0, this.timers)
    const send = (m: Message): void => outbox.send(m)
    const from = peerDeviceId(socket)?.toString('hex') ?? ''
    const connection = this.connections++
    // GET_FILES replies waiting for their gate (filesGate), in order.
    let gated = Promise.resolve()
    socket.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) {
        const message = decodeBody(body)
        this.requests.push({ from, connection, message, at: Date.now() })
        switch (message.type) {
          case 'HELLO':
            send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'fake-peer' })
            break
          case 'SUBSCRIBE':
            send({ type: 'INDEX_CHANGED', changes: [] })
            // "Present" even while `away`: a real folder server notices a moment after its first aborts.
            send({ type: 'FOLDER_STATE', present: true })
            this.subscribers.add(socket)
            break
          case 'GET_FILE_LIST': {
            if (this.options.firstListLost && !this.listLost) {
              this.listLost = true
              send({ type: 'INDEX_CHANGED', changes: this.options.firstListLost })
              socket.end()
              break
            }
            if (this.options.listReply) {
              for (const reply of this.options.listReply(this.entries())) send(reply)
              break
            }
            const entries = this.entries()
            const frames = this.options.listFrames ?? 1
            const per = Math.ceil(entries.length / frames)
            for (let i = 0; i < frames; i++) send({ type: 'FILE_LIST', last: i === frames - 1, files: entries.slice(i * per, (i + 1) * per) })
            break
          }
          case 'GET_FILES': {
            // Each record carries what is announced (version) and what is actually sent (content).
            const records = message.files.map((wanted): FileRecord => {
              if (this.away) return { status: 'abort', reason: 'the shared folder is not there for now' }
              const file = this.files.find((f) => f.path === wanted.path)
              if (!file) return { status: 'not-found' }
              if (file.content.length > BATCH_FILE_BYTES) return { status: 'too-large' }
              const entry = this.entryOf(file)
              return { status: 'content', version: entry.version, data: file.content }
            })
            const replies = this.options.filesReply?.(records) ?? [{ type: 'FILES', last: true, records }]
            if (this.options.filesGate) {
              const gate = this.options.filesGate()
              gated = gated.then(() => gate).then(() => replies.forEach(send))
              break
            }
            for (const reply of replies) send(reply)
            // Never answered: replies go in request order, so nothing after it on this connection is either.
            if (replies.length === 0) outbox.hold()
            break
          }
          case 'GET_FILE': {
            if (this.away) {
              send({ type: 'FILE_ABORT', path: message.path, reason: 'the shared folder is not there for now' })
              break
            }
            const file = this.files.find((f) => f.path === message.path)
            if (!file) {
              send({ type: 'FILE_NOT_FOUND', path: message.path })
              break
            }
            const entry = this.entryOf(file)
            send({ type: 'FILE_SIZE', path: file.path, version: entry.version, size: entry.size })
            outbox.data(pieces(file.content, this.options.trickle?.chunkBytes ?? FILE_CHUNK_BYTES))
            break
          }
          case 'GET_BLOCK_LIST':
          case 'GET_BLOCKS': {
            const file = this.files.find((f) => f.path === message.path)
            if (this.away) send({ type: 'FILE_ABORT', path: message.path, reason: 'the shared folder is not there for now' })
            else if (!file) send({ type: 'FILE_NOT_FOUND', path: message.path })
            else this.sendBlocks(file, message, send, outbox)
            break
          }
        }
      }
    })
  }

  /** A block list (claiming the announced version), or a run of blocks as the content has them. */
  private sendBlocks(file: FakeFile, message: MessageOf<'GET_BLOCK_LIST'> | MessageOf<'GET_BLOCKS'>, send: (m: Message) => void, outbox: Outbox): void {
    const entry = this.entryOf(file)
    const { blockSize, hashes } = versionOf(file.content)
    if (message.type === 'GET_BLOCK_LIST') {
      for (const frame of blockListFrames(file.path, { version: entry.version, size: file.content.length, blockSize, hashes })) send(frame)
      return
    }
    if (!message.version.equals(entry.version) || message.first + message.count > hashes.length) {
      send({ type: 'FILE_ABORT', path: file.path, reason: 'no such blocks' })
      return
    }
    send({ type: 'BLOCKS', path: file.path, version: message.version, first: message.first, count: message.count })
    const chunk = this.options.trickle?.chunkBytes ?? FILE_CHUNK_BYTES
    for (let index = message.first; index < message.first + message.count; index++) {
      let block = file.content.subarray(index * blockSize, Math.min(file.content.length, (index + 1) * blockSize))
      const corrupt = this.options.corruptBlock
      if (corrupt?.path === file.path && corrupt.index === index && (corrupt.times ?? Infinity) > 0) {
        corrupt.times = (corrupt.times ?? Infinity) - 1
        block = Buffer.from(block)
        block[0]! ^= 0xff
      }
      outbox.data(pieces(block, chunk))
    }
  }
}

/** `content` cut into pieces of at most `size` bytes (none for empty content). */
function pieces(content: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < content.length; at += size) out.push(content.subarray(at, at + size))
  return out
}

/**
 * What a connection sends, in order: at once, or (trickling) one FILE_DATA every `everyMs` with
 * whatever was queued behind it waiting its turn, so pipelined replies never interleave.
 */
class Outbox {
  private readonly queue: Message[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly socket: Socket,
    private readonly everyMs: number,
    private readonly timers: Set<NodeJS.Timeout>,
  ) {}

  private held = false

  /** From now on nothing more is sent (a request left unanswered holds up every reply behind it). */
  hold(): void {
    this.held = true
  }

  send(m: Message): void {
    if (this.held) return
    if (this.queue.length) this.queue.push(m)
    else this.socket.write(encodeMessage(m))
  }

  data(chunks: Buffer[]): void {
    if (this.held) return
    if (this.everyMs === 0) {
      for (const data of chunks) this.send({ type: 'FILE_DATA', data })
      return
    }
    for (const data of chunks) this.queue.push({ type: 'FILE_DATA', data })
    if (this.timer || this.queue.length === 0) return
    this.timer = setInterval(() => this.tick(), this.everyMs)
    this.timers.add(this.timer)
  }

  private tick(): void {
    // Everything up to and including the next FILE_DATA.
    while (this.queue.length && !this.socket.destroyed) {
      const m = this.queue.shift()!
      this.socket.write(encodeMessage(m))
      if (m.type === 'FILE_DATA') break
    }
    if (this.queue.length && !this.socket.destroyed) return
    clearInterval(this.timer!)
    this.timers.delete(this.timer!)
    this.timer = null
  }
}
