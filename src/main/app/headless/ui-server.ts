// The headless app's front: the built renderer over HTTP and the bridge over a WebSocket, on
// loopback unless told otherwise. Every request needs the random token, from the URL the app
// prints or from the cookie the page gets with it: without it, 401. The Host and Origin headers
// must name this server, so a page on another site cannot reach it through a rebound name. The
// app icon alone is public (a favicon is not secret, and browsers ask for it without the token).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { formatEndpoint } from '../../../shared/endpoint'
import { MAX_WS_FRAME_BYTES, WS_PATH, wsRequestSchema, type WsServerFrame } from '../../../shared/ws-frames'
import { BridgeError, type BridgeDispatch } from '../bridge'
import { reachableAddresses } from '../network-addresses'
import type { BatchSink } from '../event-forwarder'

/** The cookie's name carries the port: a browser keeps one jar for 127.0.0.1 whatever the port, so two apps would overwrite each other's. */
const cookieName = (port: number): string => `dbs_token_${port}`
/** A window that leaves this much unread is too slow to follow the events: it is closed. */
const MAX_UNSENT_BYTES = 16 * 1024 * 1024

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  // The token is in the page's URL: never send it on.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
}

export interface UiBackend {
  handle: BridgeDispatch
  subscribe(sink: BatchSink): () => void
}

export interface UiServerOptions {
  backend: UiBackend
  rendererDir: string
  host?: string
  port: number
  /** Fixed only by tests; normally random. */
  token?: string
  /** The app icon (a PNG), answered at /favicon.ico. */
  iconFile?: string
}

export class UiServer {
  readonly token: string
  private server: Server | null = null
  private readonly sockets = new Set<WebSocket>()
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME_BYTES })
  private allowedHosts = new Set<string>()
  private cookie = cookieName(0)

  constructor(private readonly options: UiServerOptions) {
    this.token = options.token ?? randomBytes(24).toString('base64url')
  }

  async start(): Promise<{ url: string; host: string; port: number }> {
    const host = this.options.host ?? '127.0.0.1'
    const server = createServer((req, res) => this.serve(req, res))
    server.on('upgrade', (req, socket: Socket, head) => this.upgrade(req, socket, head))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    const port = (server.address() as { port: number }).port
    this.cookie = cookieName(port)
    // The names a browser may use for this server: loopback, plus the machine's addresses when it
    // listens on all of them. Anything else in Host is another site's name rebound to us.
    const names = host === '0.0.0.0' || host === '::' ? ['127.0.0.1', '::1', ...reachableAddresses()] : [host, '127.0.0.1', '::1']
    this.allowedHosts = new Set([`localhost:${port}`, ...names.map((name) => formatEndpoint(name, port))])
    // A wildcard listener is reached on loopback from this machine.
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
    return { url: `http://${formatEndpoint(shown, port)}/?token=${this.token}`, host, port }
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate()
    this.wss.close()
    const server = this.server
    this.server = null
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private tokenOf(req: IncomingMessage): { token: string | null; fromQuery: boolean } {
    const url = new URL(req.url ?? '/', 'http://x')
    const query = url.searchParams.get('token')
    if (query) return { token: query, fromQuery: true }
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=')
      if (name === this.cookie) return { token: value.join('='), fromQuery: false }
    }
    return { token: null, fromQuery: false }
  }

  private authorized(req: IncomingMessage): { ok: boolean; fromQuery: boolean } {
    if (!this.allowedHosts.has(req.headers.host ?? '')) return { ok: false, fromQuery: false }
    const { token, fromQuery } = this.tokenOf(req)
    if (!token) return { ok: false, fromQuery }
    const given = Buffer.from(token)
    const expected = Buffer.from(this.token)
    return { ok: given.length === expected.length && timingSafeEqual(given, expected), fromQuery }
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    if (this.options.iconFile && (req.method === 'GET' || req.method === 'HEAD') && new URL(req.url ?? '/', 'http://x').pathname === '/favicon.ico') {
      this.sendFile(req, res, this.options.iconFile, { 'Content-Type': 'image/png', 'Cache-Control': 'max-age=86400' })
      return
    }
    const auth = this.authorized(req)
    if (!auth.ok) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
      res.end('401: open the address dropbox-sync printed, with its token.\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS }).end()
      return
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const root = path.resolve(this.options.rendererDir)
    const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`)
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('404: no such file\n')
      return
    }
    const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }
    // The page's own scripts and the socket carry no token in their URLs: the cookie does.
    if (auth.fromQuery) headers['Set-Cookie'] = `${this.cookie}=${this.token}; HttpOnly; SameSite=Strict; Path=/`
    this.sendFile(req, res, file, headers)
  }

  /** A regular file with these headers, or 404. */
  private sendFile(req: IncomingMessage, res: ServerResponse, file: string, headers: Record<string, string>): void {
    let size = -1
    try {
      const stat = statSync(file)
      if (stat.isFile()) size = stat.size
    } catch {
      // Not there: 404 below.
    }
    if (size < 0) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('404: no such file\n')
      return
    }
    res.writeHead(200, { ...headers, 'Content-Length': size, ...SECURITY_HEADERS })
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const origin = req.headers.origin
    const sameOrigin = origin === undefined || origin === `http://${req.headers.host}`
    if (url.pathname !== WS_PATH || !this.authorized(req).ok || !sameOrigin) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws))
  }

  private attach(ws: WebSocket): void {
    this.sockets.add(ws)
    const send = (frame: WsServerFrame): void => {
      if (ws.readyState !== ws.OPEN) return
      if (ws.bufferedAmount > MAX_UNSENT_BYTES) {
        ws.close(1008, 'too slow to follow the events')
        return
      }
      ws.send(JSON.stringify(frame))
    }
    const unsubscribe = this.options.backend.subscribe((events) => send({ kind: 'events', events }))
    ws.on('message', (data, isBinary) => void this.onMessage(data.toString(), isBinary, send))
    ws.on('close', () => {
      unsubscribe()
      this.sockets.delete(ws)
    })
    ws.on('error', () => ws.terminate())
  }

  private async onMessage(text: string, isBinary: boolean, send: (frame: WsServerFrame) => void): Promise<void> {
    let frame: unknown
    try {
      frame = isBinary ? undefined : JSON.parse(text)
    } catch {
      frame = undefined
    }
    const request = wsRequestSchema.safeParse(frame)
    if (!request.success) {
      const id = typeof (frame as { id?: unknown })?.id === 'number' ? (frame as { id: number }).id : null
      send({ kind: 'reply', id, ok: false, error: { code: 'bad-frame', message: 'expected {"kind":"request","id":N,"channel":"…","payload":…} as JSON text' } })
      return
    }
    const { id, channel, payload } = request.data
    try {
      const reply = await this.options.backend.handle(channel, payload)
      send({ kind: 'reply', id, ok: true, reply })
    } catch (error) {
      const bridgeError = error instanceof BridgeError ? error : new BridgeError('failed', String(error))
      send({ kind: 'reply', id, ok: false, error: { code: bridgeError.code, message: bridgeError.message } })
    }
  }
}
