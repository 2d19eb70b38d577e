// The field encodings of docs/PROTOCOL.md §2: a Writer that appends them to a frame and a Reader
// that takes them from a frame body, turning any shortfall or bad value into one `bad-frame`
// (or `bad-address`) ProtocolError that names the message and the field.
import type { Endpoint } from '../../../shared/endpoint'
import { ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, normalizeIp, unusableAddressReason, unusableIpv4 } from './address'
import { DEVICE_ID_BYTES, FileFlag, LENGTH_PREFIX_BYTES, MAX_DEVICE_NAME_BYTES, MAX_FRAME_BYTES, VERSION_BYTES } from './constants'
import { ProtocolError } from './errors'
import type { ClientEntry, FileEntry } from './messages'

export const MAX_STRING_BYTES = 0xffff
// ignoreBOM: a leading U+FEFF is part of the text (a file name may start with one).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Family byte + address bytes of an IP. A registry lists the same few thousand addresses over and
 * over (1,000 clients ask for 1,000 entries each), so the parsed form is remembered.
 */
const addressCache = new Map<string, Buffer>()
const ADDRESS_CACHE_LIMIT = 65536

function addressBytes(ip: string): Buffer {
  let bytes = addressCache.get(ip)
  if (bytes) return bytes
  const canonical = normalizeIp(ip)
  bytes = canonical.includes(':')
    ? Buffer.concat([Buffer.from([6]), ipv6ToBytes(canonical)])
    : Buffer.concat([Buffer.from([4]), ipv4ToBytes(canonical)])
  if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache.clear()
  addressCache.set(ip, bytes)
  return bytes
}

/** Appends fields into one growing buffer; the frame's length prefix is filled in at the end. */
export class Writer {
  private buf: Buffer
  private size = LENGTH_PREFIX_BYTES

  constructor(type: number, capacity = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 16))
    this.u8(type)
  }

  private room(n: number): void {
    if (this.size + n <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.size + n))
    this.buf.copy(bigger, 0, 0, this.size)
    this.buf = bigger
  }

  u8(v: number): this {
    this.room(1)
    this.buf.writeUInt8(v, this.size)
    this.size += 1
    return this
  }

  u16(v: number): this {
    this.room(2)
    this.buf.writeUInt16BE(v, this.size)
    this.size += 2
    return this
  }

  u32(v: number): this {
    this.room(4)
    this.buf.writeUInt32BE(v, this.size)
    this.size += 4
    return this
  }

  /** `n` bytes at the end of the frame for the caller to fill (a file read straight into it). */
  reserve(n: number): Buffer {
    this.room(n)
    this.size += n
    return this.buf.subarray(this.size - n, this.size)
  }

  /** Where the next field goes; `rewind` drops everything written after it. */
  get mark(): number {
    return this.size
  }

  rewind(mark: number): void {
    this.size = mark
  }

  /** Overwrites a field written earlier (a count known only at the end). */
  patchU8(offset: number, v: number): void {
    this.buf.writeUInt8(v, offset)
  }

  patchU16(offset: number, v: number): void {
    this.buf.writeUInt16BE(v, offset)
  }

  raw(bytes: Uint8Array): this {
    this.room(bytes.length)
    this.buf.set(bytes, this.size)
    this.size += bytes.length
    return this
  }

  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${v} is not a size the protocol carries`)
    this.room(8)
    this.buf.writeBigUInt64BE(BigInt(v), this.size)
    this.size += 8
    return this
  }

  version(bytes: Uint8Array): this {
    if (bytes.length !== VERSION_BYTES) throw new RangeError(`a version has ${VERSION_BYTES} bytes, not ${bytes.length}`)
    return this.raw(bytes)
  }

  fileEntry(entry: FileEntry): this {
    return this.str(entry.path).version(entry.version).u64(entry.size).u8(entry.snapshot ? FileFlag.snapshot : 0)
  }

  blob(bytes: Uint8Array): this {
    if (bytes.length > MAX_STRING_BYTES) throw new RangeError(`a field of ${bytes.length} bytes exceeds ${MAX_STRING_BYTES}`)
    return this.u16(bytes.length).raw(bytes)
  }

  str(text: string): this {
    return this.blob(Buffer.from(text, 'utf8'))
  }

  endpoint({ ip, port }: Endpoint): this {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port ${port} is not 1..65535`)
    return this.raw(addressBytes(ip)).u16(port)
  }

  deviceId(id: Uint8Array): this {
    if (id.length !== DEVICE_ID_BYTES) throw new RangeError(`a device ID has ${DEVICE_ID_BYTES} bytes, not ${id.length}`)
    return this.raw(id)
  }

  deviceName(name: string): this {
    const problem = deviceNameProblem(name)
    if (problem) throw new RangeError(problem)
    return this.str(name)
  }

  client(entry: ClientEntry): this {
    return this.endpoint(entry.endpoint).deviceId(entry.id).deviceName(entry.name)
  }

  finish(): Buffer {
    const bodyLength = this.size - LENGTH_PREFIX_BYTES
    if (bodyLength > MAX_FRAME_BYTES) throw new RangeError(`a frame of ${bodyLength} bytes exceeds ${MAX_FRAME_BYTES}`)
    this.buf.writeUInt32BE(bodyLength, 0)
    return this.buf.subarray(0, this.size)
  }
}

/** The high u32 of the largest safe integer (2^53 - 1): a u64 above it does not fit a number. */
const MAX_SAFE_HIGH = 2 ** 21 - 1

/** Reads fields from one frame body; any shortfall or leftover is a `bad-frame` error. */
export class Reader {
  private offset = 1

  constructor(
    private readonly body: Buffer,
    private readonly what: string,
  ) {}

  take(n: number, field: string): Buffer {
    const at = this.skip(n, field)
    return this.body.subarray(at, at + n)
  }

  /** Moves past `n` bytes and returns where they start: fields read in place, no slice each. */
  private skip(n: number, field: string): number {
    const at = this.offset
    if (at + n > this.body.length) {
      throw new ProtocolError('bad-frame', `${this.what}: frame ends inside ${field}`)
    }
    this.offset = at + n
    return at
  }

  u8(field: string): number {
    return this.body[this.skip(1, field)]!
  }

  u16(field: string): number {
    return this.body.readUInt16BE(this.skip(2, field))
  }

  u32(field: string): number {
    return this.body.readUInt32BE(this.skip(4, field))
  }

  /** Read as two u32 (a size in every list entry): no view and no BigInt unless it is too large. */
  u64(field: string): number {
    const at = this.skip(8, field)
    const high = this.body.readUInt32BE(at)
    if (high > MAX_SAFE_HIGH) throw new ProtocolError('bad-frame', `${this.what}: ${field} ${this.body.readBigUInt64BE(at)} is too large`)
    return high * 2 ** 32 + this.body.readUInt32BE(at + 4)
  }

  /** A copy: the frame's memory may be reused (a decoder's pool). */
  version(field = 'version'): Buffer {
    const at = this.skip(VERSION_BYTES, field)
    const version = Buffer.allocUnsafe(VERSION_BYTES)
    this.body.copy(version, 0, at, at + VERSION_BYTES)
    return version
  }

  bool(field: string): boolean {
    const v = this.u8(field)
    if (v > 1) throw new ProtocolError('bad-frame', `${this.what}: ${field} must be 0 or 1, not ${v}`)
    return v === 1
  }

  fileEntry(): FileEntry {
    const path = this.str('path')
    const version = this.version()
    const size = this.u64('size')
    const flags = this.u8('flags')
    if (flags & ~FileFlag.snapshot) {
      throw new ProtocolError('bad-frame', `${this.what}: flags 0x${flags.toString(16).padStart(2, '0')} of "${path}" set bits other than snapshot (0x01)`)
    }
    return { path, version, size, snapshot: flags === FileFlag.snapshot }
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.body.length - this.offset
  }

  rest(): Buffer {
    return this.take(this.remaining, 'data')
  }

  blob(field: string, max = MAX_STRING_BYTES): Buffer {
    const length = this.u16(`${field} length`)
    if (length > max) throw new ProtocolError('bad-frame', `${this.what}: ${field} of ${length} bytes exceeds ${max}`)
    return this.take(length, field)
  }

  str(field: string): string {
    const length = this.u16(`${field} length`)
    const at = this.skip(length, field)
    // Plain ASCII (most names and paths) is its own UTF-8: read without the strict decoder.
    if (isAscii(this.body, at, at + length)) return this.body.toString('latin1', at, at + length)
    try {
      return utf8.decode(this.body.subarray(at, at + length))
    } catch {
      throw new ProtocolError('bad-frame', `${this.what}: ${field} is not valid UTF-8`)
    }
  }

  endpoint(field = 'address'): Endpoint {
    const family = this.u8(`${field} family`)
    let ip: string
    let unusable: string | null
    if (family === 4) {
      // A registry's lists are mostly IPv4 entries: text and checks straight from the bytes.
      const at = this.skip(4, field)
      const b = this.body
      ip = `${b[at]!}.${b[at + 1]!}.${b[at + 2]!}.${b[at + 3]!}`
      unusable = unusableIpv4(b, at)
    } else if (family === 6) {
      ip = normalizeIp(ipv6FromBytes(this.take(16, field)))
      unusable = unusableAddressReason(ip)
    } else throw new ProtocolError('bad-address', `${this.what}: address family ${family} is neither 4 nor 6`)
    const port = this.u16(`${field} port`)
    if (port === 0) throw new ProtocolError('bad-address', `${this.what}: port 0 cannot be reached`)
    if (unusable) throw new ProtocolError('bad-address', `${this.what}: ${ip}: ${unusable}`)
    return { ip, port }
  }

  deviceId(): Buffer {
    const at = this.skip(DEVICE_ID_BYTES, 'device ID')
    // A copy: the ID outlives the frame, which may be a slice of a much larger read.
    const id = Buffer.allocUnsafe(DEVICE_ID_BYTES)
    this.body.copy(id, 0, at, at + DEVICE_ID_BYTES)
    return id
  }

  deviceName(field = 'name'): string {
    const name = this.str(field)
    const problem = deviceNameProblem(name)
    if (problem) throw new ProtocolError('bad-frame', `${this.what}: ${problem}`)
    return name
  }

  client(field: string): ClientEntry {
    return { endpoint: this.endpoint(field), id: this.deviceId(), name: this.deviceName(`${field} name`) }
  }

  end(): void {
    const extra = this.body.length - this.offset
    if (extra !== 0) throw new ProtocolError('bad-frame', `${this.what}: ${extra} unexpected bytes after the last field`)
  }
}

/**
 * Why a device name cannot travel, or null: 1 to MAX_DEVICE_NAME_BYTES bytes of UTF-8, no
 * control characters (it is printed to terminals). A name is for display only, never an identity.
 */
export function deviceNameProblem(name: string): string | null {
  if (isPlainName(name)) return null
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes < 1 || bytes > MAX_DEVICE_NAME_BYTES) return `a device name has 1 to ${MAX_DEVICE_NAME_BYTES} bytes, not ${bytes}`
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'a device name holds no control characters'
  return null
}

/** Printable ASCII of a fitting length: the common name, judged without a pattern or a byte count. */
function isPlainName(name: string): boolean {
  if (name.length < 1 || name.length > MAX_DEVICE_NAME_BYTES) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return false
  }
  return true
}

function isAscii(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i]! > 0x7f) return false
  return true
}
