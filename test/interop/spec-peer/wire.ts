// Written from docs/PROTOCOL.md (protocol 5) alone: §1.2 framing, §2 field encodings, §3 types.
// Nothing here is taken from src/: it is a second implementation to hold the spec to.

export const T = {
  HELLO: 0x01,
  ERROR: 0x02,
  PING: 0x03,
  PONG: 0x04,
  LOG_ON: 0x10,
  LOG_ON_OK: 0x11,
  LOG_OFF: 0x12,
  LOG_OFF_OK: 0x13,
  GET_CLIENTS: 0x14,
  CLIENT_LIST: 0x15,
  USER_ON: 0x16,
  USER_OFF: 0x17,
  ERROR_IP_PORT_NOT_FOUND_IN_LIST: 0x18,
  JOIN: 0x19,
  JOIN_OK: 0x1a,
  JOIN_PENDING: 0x1b,
  GET_FILE_LIST: 0x22,
  FILE_LIST: 0x23,
  GET_FILE: 0x24,
  FILE_UP_TO_DATE: 0x25,
  FILE_NOT_FOUND: 0x26,
  FILE_SIZE: 0x27,
  FILE_DATA: 0x28,
  FILE_ABORT: 0x29,
  SUBSCRIBE: 0x2a,
  INDEX_CHANGED: 0x2b,
  GET_FILES: 0x2c,
  FILES: 0x2d,
  FOLDER_STATE: 0x2e,
  GET_BLOCK_LIST: 0x2f,
  BLOCK_LIST: 0x30,
  GET_BLOCKS: 0x31,
  BLOCKS: 0x32,
} as const

export const TYPE_NAMES = new Map<number, string>(Object.entries(T).map(([name, byte]) => [byte, name]))

export const MAX_FRAME_BYTES = 1_048_576
export const FILE_CHUNK_BYTES = 1_047_552
export const PROTOCOL_VERSION = 5
export const ALPN = 'dropbox-sync/5'
export const MAGIC = Buffer.from('DBSY', 'ascii')

export interface Frame {
  type: number
  payload: Buffer
}

/** §1.2: u32 body length (type byte + payload), type, payload. */
export function frame(type: number, ...parts: Buffer[]): Buffer {
  const payload = Buffer.concat(parts)
  if (payload.length + 1 > MAX_FRAME_BYTES) throw new Error(`frame of type 0x${type.toString(16)} too large`)
  const head = Buffer.alloc(5)
  head.writeUInt32BE(payload.length + 1, 0)
  head[4] = type
  return Buffer.concat([head, payload])
}

/** Splits a byte stream into frames; a frame may come split at any byte (§1.2). */
export class FrameSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
    const out: Frame[] = []
    while (buf.length >= 4) {
      const length = buf.readUInt32BE(0)
      if (length === 0) throw new Error('bad-frame: frame length 0')
      if (length > MAX_FRAME_BYTES) throw new Error(`frame-too-large: ${length}`)
      if (buf.length < 4 + length) break
      out.push({ type: buf[4]!, payload: Buffer.from(buf.subarray(5, 4 + length)) })
      buf = buf.subarray(4 + length)
    }
    this.pending = buf.length ? [buf] : []
    this.pendingBytes = buf.length
    return out
  }
}

export const u8 = (n: number): Buffer => Buffer.from([n])
export function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}
export function u64(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`u64 ${n} out of range`)
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}
export function blob(bytes: Buffer): Buffer {
  if (bytes.length > 65_535) throw new Error('blob over 65535 bytes')
  return Buffer.concat([u16(bytes.length), bytes])
}
export const str = (text: string): Buffer => blob(Buffer.from(text, 'utf8'))

export interface Endpoint {
  ip: string
  port: number
}

/** §2 endpoint: family 4 (4 bytes) or 6 (16 bytes), then the port. Only what this peer needs: IPv4 and ::1-style IPv6. */
export function endpoint(e: Endpoint): Buffer {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(e.ip)
  const ip = mapped ? mapped[1]! : e.ip
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return Buffer.concat([u8(4), Buffer.from(ip.split('.').map(Number)), u16(e.port)])
  return Buffer.concat([u8(6), ipv6Bytes(ip), u16(e.port)])
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined]
  const a = head ? head.split(':') : []
  const b = tail !== undefined && tail !== '' ? tail.split(':') : []
  const groups = tail === undefined ? a : [...a, ...Array(8 - a.length - b.length).fill('0'), ...b]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

/** Reads fields in order; running past the end or leaving bytes over is the spec's `bad-frame`. */
export class Reader {
  at = 0
  constructor(
    readonly buf: Buffer,
    readonly what: string,
  ) {}
  private take(n: number, field: string): Buffer {
    if (this.at + n > this.buf.length) throw new Error(`bad-frame: ${this.what}: frame ends inside ${field}`)
    const out = this.buf.subarray(this.at, this.at + n)
    this.at += n
    return out
  }
  u8(field = 'u8'): number {
    return this.take(1, field)[0]!
  }
  u16(field = 'u16'): number {
    return this.take(2, field).readUInt16BE(0)
  }
  u32(field = 'u32'): number {
    return this.take(4, field).readUInt32BE(0)
  }
  u64(field = 'u64'): number {
    const n = this.take(8, field).readBigUInt64BE(0)
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`bad-frame: ${this.what}: ${field} ${n} is too large`)
    return Number(n)
  }
  flag(field = 'flag'): boolean {
    const v = this.u8(field)
    if (v > 1) throw new Error(`bad-frame: ${this.what}: ${field} must be 0 or 1, not ${v}`)
    return v === 1
  }
  bytes(n: number, field = 'bytes'): Buffer {
    return Buffer.from(this.take(n, field))
  }
  blob(field = 'blob'): Buffer {
    return this.bytes(this.u16(field), field)
  }
  str(field = 'str'): string {
    const raw = this.blob(field)
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw)
    return text
  }
  endpoint(): Endpoint {
    const family = this.u8('family')
    if (family === 4) {
      const ip = [...this.take(4, 'address')].join('.')
      return { ip, port: this.u16('port') }
    }
    if (family === 6) {
      const raw = this.take(16, 'address')
      const groups: string[] = []
      for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16))
      return { ip: groups.join(':'), port: this.u16('port') }
    }
    throw new Error(`bad-address: ${this.what}: family ${family}`)
  }
  rest(): Buffer {
    return Buffer.from(this.take(this.buf.length - this.at, 'rest'))
  }
  left(): number {
    return this.buf.length - this.at
  }
  end(): void {
    if (this.at !== this.buf.length) throw new Error(`bad-frame: ${this.what}: ${this.buf.length - this.at} unexpected bytes after the last field`)
  }
}

export function endpointText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`
}
