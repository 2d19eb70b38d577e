// A peer whose folder trickles out: it registers with a real server like any client, and serves
// its files in small timed chunks, so a transfer stays in flight long enough to be watched.
import { createServer, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { sha256 } from './fake-peer'
import { RawPeer } from './raw-peer'

export class SlowPeer {
  private server: Server | null = null
  private registration: RawPeer | null = null
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  port = 0

  constructor(
    private readonly files: Array<{ path: string; content: Buffer }>,
    private readonly chunkBytes: number,
    private readonly everyMs: number,
  ) {}

  /** Listens on 127.0.0.1 and logs on with the server at `serverPort`. */
  async start(serverPort: number): Promise<string> {
    this.server = createServer((socket) => this.serve(socket))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
    this.registration = await RawPeer.logOn(serverPort, { ip: '127.0.0.1', port: this.port })
    return `127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    this.registration?.close()
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    const decoder = new FrameDecoder()
    const send = (m: Message): void => void socket.write(encodeMessage(m))
    socket.on('data', (chunk) => {
      for (const body of decoder.push(chunk)) {
        const message = decodeBody(body)
        switch (message.type) {
          case 'HELLO':
            send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId: randomBytes(16), heartbeatMs: 0, auth: Buffer.alloc(0) })
            break
          case 'IDENTIFY':
            send({ type: 'IDENTIFY_OK' })
            break
          case 'SUBSCRIBE':
            send({ type: 'INDEX_CHANGED', changes: [] })
            break
          case 'GET_FILE_LIST':
            send({ type: 'FILE_LIST', last: true, files: this.files.map((f) => ({ path: f.path, version: sha256(f.content), size: f.content.length })) })
            break
          case 'GET_FILE': {
            const file = this.files.find((f) => f.path === message.path)
            if (!file) {
              send({ type: 'FILE_NOT_FOUND', path: message.path })
              break
            }
            send({ type: 'FILE_SIZE', path: file.path, version: sha256(file.content), size: file.content.length })
            let offset = 0
            const timer = setInterval(() => {
              if (socket.destroyed || offset >= file.content.length) {
                clearInterval(timer)
                this.timers.delete(timer)
                return
              }
              send({ type: 'FILE_DATA', data: file.content.subarray(offset, offset + this.chunkBytes) })
              offset += this.chunkBytes
            }, this.everyMs)
            this.timers.add(timer)
            break
          }
        }
      }
    })
  }
}
