// A folder server written by hand for tests: it speaks the protocol itself and answers whatever
// the test scripts, honest or not, at full speed or trickling.
import { createServer, type Server, type TLSSocket } from 'node:tls'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { BATCH_FILE_BYTES, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { FileEntry, FileRecord, Message } from '../../src/main/engine/protocol/messages'
import { ALPN_PROTOCOL, peerDeviceId } from '../../src/main/engine/net/tls'
import { rememberDevice } from './devices-by-port'
import { RawPeer } from './raw-peer'
import { newIdentity, type TestIdentity } from './test-identity'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'

type Socket = TLSSocket

export interface FakeFile {
  path: string
  /** What is announced (version defaults to the SHA-256 of `content`, size to its length). */
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
}

/** The version of this content (docs/PROTOCOL.md, blocks). */
export function contentVersion(data: Buffer | string): Buffer {
  return versionOfBytes(typeof data === 'string' ? Buffer.from(data) : data)
}

export class FakePeer {
  /** Every message received, with the device ID (hex) of its sender's certificate. */
  readonly requests: Array<{ from: string; message: Message }> = []
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
    return this.files.map((f) => ({
      path: f.path,
      version: f.announce?.version ?? contentVersion(f.content),
      size: f.announce?.size ?? f.content.length,
      snapshot: false,
    }))
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
    const send = (m: Message): void => void socket.write(encodeMessage(m))
    const from = peerDeviceId(socket)?.toString('hex') ?? ''
    socket.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) {
        const message = decodeBody(body)
        this.requests.push({ from, message })
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
              const entry = this.entries().find((e) => e.path === file.path)!
              return { status: 'content', version: entry.version, data: file.content }
            })
            for (const reply of this.options.filesReply?.(records) ?? [{ type: 'FILES', last: true, records }]) send(reply)
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
            const entry = this.entries().find((e) => e.path === file.path)!
            send({ type: 'FILE_SIZE', path: file.path, version: entry.version, size: entry.size })
            this.sendContent(socket, file.content, send)
            break
          }
        }
      }
    })
  }

  private sendContent(socket: Socket, content: Buffer, send: (m: Message) => void): void {
    const trickle = this.options.trickle
    if (!trickle) {
      if (content.length) send({ type: 'FILE_DATA', data: content })
      return
    }
    let offset = 0
    const timer = setInterval(() => {
      if (socket.destroyed || offset >= content.length) {
        clearInterval(timer)
        this.timers.delete(timer)
        return
      }
      send({ type: 'FILE_DATA', data: content.subarray(offset, offset + trickle.chunkBytes) })
      offset += trickle.chunkBytes
    }, trickle.everyMs)
    this.timers.add(timer)
  }
}
