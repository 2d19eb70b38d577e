// Written from docs/PROTOCOL.md (protocol 5) alone: §1.1 TLS and pinning, §4 HELLO, §5 heartbeat.
import { EventEmitter } from 'node:events'
import tls from 'node:tls'
import { deviceIdOf, type Identity } from './identity'
import { ALPN, FrameSplitter, MAGIC, PROTOCOL_VERSION, Reader, T, TYPE_NAMES, frame, str, u16, u32, u8, type Frame } from './wire'

export const ROLE_SERVER = 1
export const ROLE_CLIENT = 2

export function helloFrame(role: number, heartbeatMs: number, name: string): Buffer {
  return frame(T.HELLO, MAGIC, u16(PROTOCOL_VERSION), u8(role), u32(heartbeatMs), str(name))
}

export interface Hello {
  role: number
  heartbeatMs: number
  name: string
}

export function readHello(payload: Buffer): Hello {
  const r = new Reader(payload, 'HELLO')
  if (!r.bytes(4, 'magic').equals(MAGIC)) throw new Error('bad-frame: not a dropbox-sync peer')
  const version = r.u16('version')
  if (version !== PROTOCOL_VERSION) throw new Error(`version-mismatch: ${version}`)
  const role = r.u8('role')
  if (role !== ROLE_SERVER && role !== ROLE_CLIENT) throw new Error(`bad-frame: role ${role}`)
  const heartbeatMs = r.u32('heartbeat')
  const name = r.str('name')
  r.end()
  return { role, heartbeatMs, name }
}

export function readError(payload: Buffer): { code: number; text: string } {
  const r = new Reader(payload, 'ERROR')
  const code = r.u16('code')
  const text = r.str('text')
  r.end()
  return { code, text }
}

export function tlsOptions(me: Identity): tls.SecureContextOptions & tls.CommonConnectionOptions {
  return {
    key: me.keyPem,
    cert: me.certPem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ALPNProtocols: [ALPN],
    rejectUnauthorized: false,
  }
}

/**
 * One framed connection after TLS. Frames other than PING/PONG go to `next()` in order; PING is
 * answered with PONG (§5), and the initiator pings every H ms once it has the acceptor's HELLO.
 */
export class Link extends EventEmitter {
  readonly inbox: Frame[] = []
  private waiters: Array<(f: Frame | null) => void> = []
  private splitter = new FrameSplitter()
  private pinger: NodeJS.Timeout | null = null
  closed = false
  peerId: Buffer | null = null
  /** Every frame type received, in order (PING/PONG included), for the report of what a peer asked. */
  readonly seen: string[] = []

  constructor(readonly socket: tls.TLSSocket) {
    super()
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[]
      try {
        frames = this.splitter.push(chunk)
      } catch (error) {
        this.emit('protocol-error', error)
        socket.destroy()
        return
      }
      for (const f of frames) this.deliver(f)
    })
    socket.on('close', () => this.onClose())
    socket.on('error', () => {})
  }

  private deliver(f: Frame): void {
    this.seen.push(TYPE_NAMES.get(f.type) ?? `0x${f.type.toString(16)}`)
    if (f.type === T.PING) {
      void this.send(frame(T.PONG))
      return
    }
    if (f.type === T.PONG) return
    const waiter = this.waiters.shift()
    if (waiter) waiter(f)
    else this.inbox.push(f)
    this.emit('frame', f)
  }

  private onClose(): void {
    this.closed = true
    if (this.pinger) clearInterval(this.pinger)
    for (const w of this.waiters.splice(0)) w(null)
    this.emit('closed')
  }

  /** Writes a frame; resolves once the socket has room again (back-pressure for big replies). */
  send(bytes: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve()
    if (this.socket.write(bytes)) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.once('drain', done)
      this.socket.once('close', done)
    })
  }

  /** The next frame that is not PING/PONG, or null once the connection has closed (deadline 0: none). */
  next(deadlineMs = 30_000): Promise<Frame | null> {
    const queued = this.inbox.shift()
    if (queued) return Promise.resolve(queued)
    if (this.closed) return Promise.resolve(null)
    return new Promise((resolve, reject) => {
      const timer = deadlineMs <= 0 ? undefined : setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`no frame within ${deadlineMs} ms`))
      }, deadlineMs)
      const waiter = (f: Frame | null): void => {
        clearTimeout(timer)
        resolve(f)
      }
      this.waiters.push(waiter)
    })
  }

  startPinging(intervalMs: number): void {
    if (intervalMs > 0) this.pinger = setInterval(() => void this.send(frame(T.PING)), intervalMs)
  }

  close(): void {
    if (this.pinger) clearInterval(this.pinger)
    this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }
}

export class PinMismatch extends Error {}

/**
 * §1.1 + §4 as the initiator: TLS 1.3 with our certificate, the peer's SHA-256(DER) pinned on
 * secureConnect before any byte, then HELLO and wait for the acceptor's. A close or an ERROR
 * before its HELLO is a refusal (the TLS 1.3 trap).
 */
export async function dial(me: Identity, host: string, port: number, expectedId: Buffer, name: string, wantRole: number, ping = true): Promise<{ link: Link; hello: Hello }> {
  const socket = tls.connect({ host, port, ...tlsOptions(me) })
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve())
    socket.once('error', reject)
  })
  if (socket.alpnProtocol !== ALPN) {
    socket.destroy()
    throw new Error(`not-dropbox-sync: ALPN ${String(socket.alpnProtocol)}`)
  }
  const raw = socket.getPeerCertificate(false)?.raw
  if (!raw || !deviceIdOf(raw).equals(expectedId)) {
    socket.destroy()
    throw new PinMismatch('peer-id-mismatch')
  }
  const link = new Link(socket)
  link.peerId = deviceIdOf(raw)
  await link.send(helloFrame(ROLE_CLIENT, 0, name))
  const first = await link.next()
  if (!first) throw new Error('refused: the connection closed before the acceptor said HELLO')
  if (first.type === T.ERROR) {
    const e = readError(first.payload)
    link.destroy()
    throw new Error(`refused: ERROR ${e.code} ${e.text}`)
  }
  if (first.type !== T.HELLO) throw new Error(`expected HELLO, got ${TYPE_NAMES.get(first.type)}`)
  const hello = readHello(first.payload)
  if (hello.role !== wantRole) throw new Error(`acceptor said role ${hello.role}, wanted ${wantRole}`)
  if (ping) link.startPinging(hello.heartbeatMs)
  return { link, hello }
}
