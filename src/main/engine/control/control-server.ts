// The control socket of a running client (`dropbox-sync ctl`): a Unix domain socket, mode 0600,
// in a folder of mode 0700 (only the owner can reach it). One JSON line in, one JSON line out
// (control-protocol.ts); anything else gets an error reply and the connection is closed.
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import path from 'node:path'
import { MAX_REQUEST_BYTES, parseControlRequest, type ControlReply, type ControlRequest } from './control-protocol'

/** A connection that says nothing whole in this long is closed. */
const IDLE_MS = 10_000

export type ControlHandler = (request: ControlRequest) => Promise<ControlReply>

export class ControlServer {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()

  constructor(
    readonly socketPath: string,
    private readonly handle: ControlHandler,
  ) {}

  async start(): Promise<void> {
    const folder = path.dirname(this.socketPath)
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    const stats = lstatSync(folder)
    // A folder someone else made (a shared temp folder) or a link: not ours to listen in.
    if (!stats.isDirectory() || (typeof process.getuid === 'function' && stats.uid !== process.getuid())) {
      throw new Error(`${folder} is not a folder of this user`)
    }
    chmodSync(folder, 0o700)
    // Another client of this config folder (the same device) answers there: it keeps its socket.
    if (await answers(this.socketPath)) throw new Error(`another dropbox-sync client with this config folder answers there`)
    // A socket left by a client that did not stop cleanly: nobody answers on it.
    rmSync(this.socketPath, { force: true })
    // Half-open allowed: a request whose sender closes its side at once still gets its reply.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.socketPath, () => {
        server.off('error', reject)
        resolve()
      })
    })
    chmodSync(this.socketPath, 0o600)
    this.server = server
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (!server) return
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(this.socketPath, { force: true })
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    let pending = Buffer.alloc(0)
    let answered = false
    socket.setTimeout(IDLE_MS, () => {
      if (answered) return socket.destroy()
      answered = true
      this.reply(socket, { ok: false, error: 'no request came; closing' })
    })
    socket.on('data', (chunk: Buffer) => {
      if (answered) return
      pending = Buffer.concat([pending, chunk])
      const end = pending.indexOf(0x0a)
      if (end === -1) {
        if (pending.length > MAX_REQUEST_BYTES) {
          answered = true
          this.reply(socket, { ok: false, error: `request too long (at most ${MAX_REQUEST_BYTES} bytes, one line)` })
        }
        return
      }
      answered = true
      if (end > MAX_REQUEST_BYTES) return this.reply(socket, { ok: false, error: `request too long (at most ${MAX_REQUEST_BYTES} bytes, one line)` })
      const parsed = parseControlRequest(pending.subarray(0, end).toString('utf8'))
      if ('error' in parsed) return this.reply(socket, { ok: false, error: parsed.error })
      this.handle(parsed.request).then(
        (reply) => this.reply(socket, reply),
        (error: unknown) => this.reply(socket, { ok: false, error: error instanceof Error ? error.message : String(error) }),
      )
    })
    socket.on('end', () => {
      if (!answered) {
        answered = true
        this.reply(socket, { ok: false, error: 'not a request: send one line of JSON ending in a newline' })
      }
    })
  }

  private reply(socket: Socket, reply: ControlReply): void {
    if (socket.destroyed) return
    socket.end(`${JSON.stringify(reply)}\n`)
  }
}

/** Whether something accepts connections on the socket (a stale one refuses, a missing one is absent). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
