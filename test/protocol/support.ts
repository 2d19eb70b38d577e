// Shared helpers and fast-check arbitraries for the wire-protocol tests. Everything here is
// written independently of the code under test (the expected canonical address text comes
// from a small reference implementation below, not from address.ts).
import fc from 'fast-check'
import { expect } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION, VERSION_BYTES } from '../../src/main/engine/protocol/constants'
import { ErrorCodes, ProtocolError, type ErrorCodeName } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { FileEntry, FileRecord, IndexChange, Message } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import type { LeaveReason } from '../../src/shared/events'

/** Field bytes for hand-made bodies, big-endian as on the wire. */
export const u8 = (n: number): Buffer => Buffer.from([n])
export const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff])
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n, 0)
  return b
}
export const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(n, 0)
  return b
}
/** A `str` field: u16 length, then the bytes. */
export const str = (text: string | Buffer): Buffer => {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  return Buffer.concat([u16(bytes.length), bytes])
}


export const FC_RUNS = Number(process.env.FC_RUNS ?? 2000)

/** Runs fn and returns the code of the ProtocolError it throws; any other outcome fails. */
export function protocolErrorCode(fn: () => unknown): ErrorCodeName {
  let result: unknown
  try {
    result = fn()
  } catch (error) {
    if (error instanceof ProtocolError) {
      expect(Object.keys(ErrorCodes)).toContain(error.code)
      return error.code
    }
    throw error
  }
  throw new Error(`expected a ProtocolError, got a result: ${JSON.stringify(result)}`)
}

export function expectProtocolError(fn: () => unknown, code: ErrorCodeName): ProtocolError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected a ProtocolError to be thrown').toBeInstanceOf(ProtocolError)
  expect((caught as ProtocolError).code).toBe(code)
  expect((caught as ProtocolError).name).toBe('ProtocolError')
  return caught as ProtocolError
}

/** The body of an encoded frame (the frame minus its 4-byte length prefix). */
export function bodyOf(message: Message): Buffer {
  const frame = encodeMessage(message)
  return Buffer.from(frame.subarray(4))
}

/** A frame around an arbitrary body, prefixed with its real length. */
export function frameOf(body: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32BE(body.length, 0)
  return Buffer.concat([prefix, body])
}

/** Wire bytes of an endpoint: family, address, port. */
export function endpointBytes(family: number, address: number[] | Buffer, port: number): Buffer {
  const p = Buffer.alloc(2)
  p.writeUInt16BE(port, 0)
  return Buffer.concat([Buffer.from([family]), Buffer.from(address), p])
}

/** Cuts a buffer at the given (sorted, deduplicated, in-range) offsets. */
export function cut(stream: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), stream.length)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let from = 0
  for (const p of points) {
    chunks.push(stream.subarray(from, p))
    from = p
  }
  chunks.push(stream.subarray(from))
  return chunks
}

export interface FeedResult {
  messages: Message[]
  error: ProtocolError | null
}

/**
 * Feeds chunks to a fresh FrameDecoder and decodes each body, in order, the way a connection
 * does. Stops at the first error (decoder or codec), which
 * must be a ProtocolError: anything else (RangeError, TypeError, ...) is rethrown so that the
 * calling test fails.
 */
export function feed(chunks: Uint8Array[], decoder = new FrameDecoder()): FeedResult {
  const messages: Message[] = []
  try {
    for (const chunk of chunks) {
      for (const body of decoder.push(chunk)) messages.push(decodeBody(body))
      // Frames completed before a broken length prefix are returned, with `failure` set.
      if (decoder.failure) throw decoder.failure
    }
  } catch (error) {
    if (error instanceof ProtocolError) {
      expect(Object.keys(ErrorCodes)).toContain(error.code)
      return { messages, error }
    }
    throw error
  }
  return { messages, error: null }
}

/**
 * A decoded message must be a well-formed Message: it re-encodes without error, and the
 * re-encoded frame decodes to the same message.
 */
export function expectWellFormed(message: Message): void {
  const again = encodeMessage(message)
  expect(again.readUInt32BE(0)).toBe(again.length - 4)
  // Both sides come out of decodeBody, so their JSON (Buffers as byte arrays) is comparable
  // field for field; much cheaper than a deep-equal over Buffers in a hot property loop.
  const text = messageKey(message)
  const back = messageKey(decodeBody(again.subarray(4)))
  if (back !== text) expect(back).toBe(text)
}

/**
 * The message with every Buffer replaced by `{ bytes: hex }`, for deep-equality checks that stay
 * fast on megabyte payloads (vitest compares Buffers element by element).
 */
export function comparable(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') }
  if (Array.isArray(value)) return value.map(comparable)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]))
  }
  return value
}

/** A string that identifies a decoded message (same key order for everything decodeBody builds). */
export function messageKey(message: Message): string {
  return JSON.stringify(message)
}

// ---------------------------------------------------------------------------------------------
// Reference address text (independent of address.ts)

/** RFC 5952 text of 8 groups: lower-case hex, first longest run (>= 2) of zeros as `::`. */
export function refRfc5952(groups: number[]): string {
  let bestStart = -1
  let bestLength = 0
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) continue
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i >= 2 && j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

export function isMapped(groups: number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff
}

function dotted(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
}

/** The canonical text the product uses: mapped IPv4 as dotted quad, otherwise RFC 5952. */
export function refCanonical(groups: number[]): string {
  return isMapped(groups) ? dotted(groups[6]!, groups[7]!) : refRfc5952(groups)
}

export function groupsFromBytes(bytes: Uint8Array): number[] {
  return Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!)
}

export function bytesFromGroups(groups: number[]): Buffer {
  const b = Buffer.alloc(16)
  groups.forEach((g, i) => b.writeUInt16BE(g, 2 * i))
  return b
}

/** Whether the reference considers a canonical address usable as a peer's address. */
function refUsable(canonical: string): boolean {
  if (canonical.includes(':')) {
    // Multicast is ff00::/8: the first 16-bit group is 0xff00 or more. A first group merely
    // spelled with a leading "ff" (00ff → 'ff::', 0ff0 → 'ff0::', 0fff → 'fff::') is usable.
    const firstGroup = canonical.startsWith('::') ? 0 : parseInt(canonical.slice(0, canonical.indexOf(':')), 16)
    return canonical !== '::' && firstGroup < 0xff00
  }
  const octets = canonical.split('.').map(Number)
  return !octets.every((o) => o === 0) && octets[0]! < 224
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/**
 * A 16-bit group biased towards 0 (so that `::` compression happens), 0xffff, and the values
 * around the ff00::/8 multicast boundary whose text starts with "ff" (00ff, 0ff0..0fff, feff,
 * ff00, ff02).
 */
export const groupArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(0xffff) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(0x00ff, 0x0ff0, 0x0fff, 0xfeff, 0xff00, 0xff02), fc.integer({ min: 0x0ff0, max: 0x0fff })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
)

export const groupsArb = fc.oneof(
  fc.array(groupArb, { minLength: 8, maxLength: 8 }),
  // IPv4-mapped addresses
  fc.tuple(groupArb, groupArb).map(([a, b]) => [0, 0, 0, 0, 0, 0xffff, a, b]),
)

/**
 * Some valid textual spelling of an IPv6 address (RFC 4291 syntax): plain, zero-padded and
 * upper-case, `::` over any zero run (even a single group), or with a dotted IPv4 tail.
 */
export function ipv6TextArb(groups: number[]): fc.Arbitrary<string> {
  const zeroRuns: Array<[number, number]> = []
  for (let i = 0; i < 8; i++) for (let j = i + 1; j <= 8; j++) if (groups.slice(i, j).every((g) => g === 0)) zeroRuns.push([i, j])
  const h = (g: number) => g.toString(16)
  const compress = (gs: string[], limit: number, run: [number, number]) =>
    run[1] <= limit ? `${gs.slice(0, run[0]).join(':')}::${gs.slice(run[1], limit).join(':')}` : null
  const spellings: Array<fc.Arbitrary<string>> = [
    fc.constant(groups.map(h).join(':')),
    fc.constant(groups.map((g) => g.toString(16).padStart(4, '0').toUpperCase()).join(':')),
    fc.constant(`${groups.slice(0, 6).map(h).join(':')}:${dotted(groups[6]!, groups[7]!)}`),
  ]
  if (zeroRuns.length > 0) {
    spellings.push(
      fc.constantFrom(...zeroRuns).map((run) => compress(groups.map(h), 8, run)!),
      fc.constantFrom(...zeroRuns).chain((run) => {
        const head = compress(groups.map(h), 6, run)
        if (head === null) return fc.constant(groups.map(h).join(':'))
        const tail = dotted(groups[6]!, groups[7]!)
        return fc.constant(head.endsWith('::') ? `${head}${tail}` : `${head}:${tail}`)
      }),
    )
  }
  return fc.oneof(...spellings)
}

/** An IP as some spelling (`input`) and the canonical text the codec must produce (`canonical`). */
export interface IpCase {
  input: string
  canonical: string
}

export const ipv4CaseArb: fc.Arbitrary<IpCase> = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((o) => o.join('.'))
  .chain((text) =>
    fc.oneof(
      fc.constant({ input: text, canonical: text }),
      fc.constant({ input: `::ffff:${text}`, canonical: text }),
      fc.constant({ input: `::FFFF:${text}`, canonical: text }),
    ),
  )

export const ipv6CaseArb: fc.Arbitrary<IpCase> = groupsArb.chain((groups) =>
  ipv6TextArb(groups).map((input) => ({ input, canonical: refCanonical(groups) })),
)

export const ipCaseArb = fc.oneof(ipv4CaseArb, ipv6CaseArb)

export const portArb = fc.oneof(fc.constantFrom(1, 65535), fc.integer({ min: 1, max: 65535 }))

/** An endpoint some peer could be reached at, as given to the encoder and as decoded. */
export const endpointCaseArb: fc.Arbitrary<{ input: Endpoint; expected: Endpoint }> = fc
  .tuple(ipCaseArb.filter((c) => refUsable(c.canonical)), portArb)
  .map(([ip, port]) => ({ input: { ip: ip.input, port }, expected: { ip: ip.canonical, port } }))

const bufferArb = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a))

const reasonArb = fc.constantFrom<LeaveReason>('log-off', 'connection-lost', 'timeout', 'removed')
/** A device name: 1 to 64 bytes of UTF-8, no control characters. */
const nameArb = fc.string({ minLength: 1, maxLength: 16, unit: 'grapheme' }).filter((t) => {
  const bytes = Buffer.byteLength(t, 'utf8')
  return bytes >= 1 && bytes <= 64 && !/[\u0000-\u001f\u007f-\u009f]/.test(t)
})

/** Text that starts with one or more U+FEFF (a BOM must survive the round trip as text). */
const leadingBomArb = (rest: fc.Arbitrary<string>) =>
  fc.tuple(fc.integer({ min: 1, max: 2 }), rest).map(([n, t]) => '\uFEFF'.repeat(n) + t)

// ERROR text: any well-formed Unicode, a leading U+FEFF included (the decoder keeps it).
const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.string(),
  leadingBomArb(fc.string({ unit: 'binary', maxLength: 16 })),
)

// Paths are carried as `str` without validation (the receiver validates), so any text goes,
// a leading U+FEFF included.
const pathArb = fc.oneof(
  fc.array(fc.stringMatching(/^[a-z0-9._ -]{1,12}$/), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  leadingBomArb(fc.stringMatching(/^[a-z0-9._ -]{0,12}$/)),
)
const versionArb = bufferArb(VERSION_BYTES, VERSION_BYTES)
const sizeArb = fc.oneof(fc.constantFrom(0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.nat(), fc.maxSafeNat())
const fileEntryArb: fc.Arbitrary<FileEntry> = fc.record({ path: pathArb, version: versionArb, size: sizeArb, snapshot: fc.boolean() }, { noNullPrototype: true })
const u32Arb = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat(0xffffffff))
const blockHashesArb = fc.array(versionArb, { maxLength: 20 })
const changeArb: fc.Arbitrary<IndexChange> = fc.oneof(
  fileEntryArb.map((e): IndexChange => ({ op: 'upsert', ...e })),
  pathArb.map((path): IndexChange => ({ op: 'delete', path })),
)

const recordArb: fc.Arbitrary<FileRecord> = fc.oneof(
  fc.record({ version: versionArb, data: fc.oneof(bufferArb(0, 0), bufferArb(1, 300)) }).map((r): FileRecord => ({ status: 'content', ...r })),
  fc.constantFrom<FileRecord>({ status: 'up-to-date' }, { status: 'not-found' }, { status: 'too-large' }),
  textArb.map((reason): FileRecord => ({ status: 'abort', reason })),
)

export interface MessageCase {
  input: Message
  expected: Message
}

const same = (m: Message): MessageCase => ({ input: m, expected: m })

type EndpointMessageType = 'LOG_ON' | 'LOG_ON_OK' | 'LOG_OFF' | 'LOG_OFF_OK' | 'ERROR_IP_PORT_NOT_FOUND_IN_LIST'

const deviceIdArb = bufferArb(32, 32)
const clientCaseArb = fc.tuple(endpointCaseArb, deviceIdArb, nameArb).map(([e, id, name]) => ({
  input: { endpoint: e.input, id, name },
  expected: { endpoint: e.expected, id, name },
}))

const endpointMessage = (type: EndpointMessageType): fc.Arbitrary<MessageCase> =>
  endpointCaseArb.map(({ input, expected }): MessageCase => ({ input: { type, endpoint: input }, expected: { type, endpoint: expected } }))

/** Every member of the Message union, with the message the decoder must return for it. */
export const messageCaseArb: fc.Arbitrary<MessageCase> = fc.oneof(
  fc
    .record({
      version: fc.constant(PROTOCOL_VERSION),
      role: fc.constantFrom<'server' | 'client'>('server', 'client'),
      heartbeatMs: fc.oneof(fc.constantFrom(0, 0xffffffff), fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([hi, lo]) => hi * 0x10000 + lo)),
      name: nameArb,
    })
    .map((r) => same({ type: 'HELLO', ...r })),
  fc.record({ code: fc.nat(0xffff), text: textArb }).map((r) => same({ type: 'ERROR', ...r })),
  fc.constantFrom<Message['type']>('PING', 'PONG', 'GET_CLIENTS', 'JOIN_OK', 'JOIN_PENDING').map((type) => same({ type } as Message)),
  fc.oneof(bufferArb(0, 0), bufferArb(16, 16)).map((token) => same({ type: 'JOIN', token })),
  endpointMessage('LOG_ON'),
  endpointMessage('LOG_ON_OK'),
  endpointMessage('LOG_OFF'),
  endpointMessage('LOG_OFF_OK'),
  clientCaseArb.map((c): MessageCase => ({ input: { type: 'USER_ON', ...c.input }, expected: { type: 'USER_ON', ...c.expected } })),
  endpointMessage('ERROR_IP_PORT_NOT_FOUND_IN_LIST'),
  fc.tuple(endpointCaseArb, deviceIdArb, reasonArb).map(
    ([e, id, reason]): MessageCase => ({
      input: { type: 'USER_OFF', endpoint: e.input, id, reason },
      expected: { type: 'USER_OFF', endpoint: e.expected, id, reason },
    }),
  ),
  fc.array(clientCaseArb, { maxLength: 24 }).map(
    (list): MessageCase => ({
      input: { type: 'CLIENT_LIST', clients: list.map((e) => e.input) },
      expected: { type: 'CLIENT_LIST', clients: list.map((e) => e.expected) },
    }),
  ),
  // folder messages (client ↔ client)
  fc.constantFrom<Message['type']>('GET_FILE_LIST', 'SUBSCRIBE').map((type) => same({ type } as Message)),
  fc.record({ last: fc.boolean(), files: fc.array(fileEntryArb, { maxLength: 8 }) }).map((r) => same({ type: 'FILE_LIST', ...r })),
  fc.record({ path: pathArb, version: fc.option(versionArb, { nil: null }) }).map((r) => same({ type: 'GET_FILE', ...r })),
  pathArb.map((path) => same({ type: 'FILE_UP_TO_DATE', path })),
  pathArb.map((path) => same({ type: 'FILE_NOT_FOUND', path })),
  fc.record({ path: pathArb, version: versionArb, size: sizeArb }).map((e) => same({ type: 'FILE_SIZE', ...e })),
  fc.oneof(bufferArb(0, 0), bufferArb(1, 300)).map((data) => same({ type: 'FILE_DATA', data })),
  fc.record({ path: pathArb, reason: textArb }).map((r) => same({ type: 'FILE_ABORT', ...r })),
  fc.array(changeArb, { maxLength: 8 }).map((changes) => same({ type: 'INDEX_CHANGED', changes })),
  fc
    .array(fc.record({ path: pathArb, version: fc.option(versionArb, { nil: null }) }, { noNullPrototype: true }), { minLength: 1, maxLength: 8 })
    .map((files) => same({ type: 'GET_FILES', files })),
  fc.record({ last: fc.boolean(), records: fc.array(recordArb, { maxLength: 8 }) }).map((r) => same({ type: 'FILES', ...r })),
  fc.boolean().map((present) => same({ type: 'FOLDER_STATE', present })),
  // block messages
  fc.record({ path: pathArb, version: versionArb }).map((r) => same({ type: 'GET_BLOCK_LIST', ...r })),
  fc
    .record({ path: pathArb, version: versionArb, size: sizeArb, blockSize: u32Arb, first: u32Arb, last: fc.boolean(), hashes: blockHashesArb })
    .map((r) => same({ type: 'BLOCK_LIST', ...r })),
  fc
    .record({ type: fc.constantFrom('GET_BLOCKS' as const, 'BLOCKS' as const), path: pathArb, version: versionArb, first: u32Arb, count: fc.integer({ min: 1, max: 0xffff }) })
    .map((r) => same(r)),
)

/** One or more concrete messages of every type (the codec tests check that none is missing). */
export function sampleMessages(): Message[] {
  const v = (byte: number) => Buffer.alloc(VERSION_BYTES, byte)
  return [
    { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 5000, name: 'alice-laptop' },
    { type: 'HELLO', version: PROTOCOL_VERSION, role: 'server', heartbeatMs: 0, name: 'Bürö ✓' },
    { type: 'JOIN', token: Buffer.alloc(0) },
    { type: 'JOIN', token: Buffer.alloc(16, 0xa0) },
    { type: 'JOIN_OK' },
    { type: 'JOIN_PENDING' },
    { type: 'ERROR', code: 7, text: 'duplicate: ünïcødé ✓' },
    { type: 'ERROR', code: 0, text: '' },
    { type: 'PING' },
    { type: 'PONG' },
    { type: 'GET_CLIENTS' },
    { type: 'LOG_ON', endpoint: { ip: '10.0.0.1', port: 4000 } },
    { type: 'LOG_ON_OK', endpoint: { ip: '2001:db8::1', port: 1 } },
    { type: 'LOG_OFF', endpoint: { ip: '::1', port: 65535 } },
    { type: 'LOG_OFF_OK', endpoint: { ip: '192.168.0.7', port: 22 } },
    { type: 'USER_ON', endpoint: { ip: 'fe80::1:2', port: 8080 }, id: Buffer.alloc(32, 1), name: 'bob' },
    { type: 'USER_OFF', endpoint: { ip: '10.1.2.3', port: 5 }, id: Buffer.alloc(32, 2), reason: 'connection-lost' },
    { type: 'USER_OFF', endpoint: { ip: '10.1.2.3', port: 5 }, id: Buffer.alloc(32, 2), reason: 'removed' },
    { type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint: { ip: '172.16.0.1', port: 443 } },
    { type: 'CLIENT_LIST', clients: [] },
    {
      type: 'CLIENT_LIST',
      clients: [
        { endpoint: { ip: '10.0.0.1', port: 1 }, id: Buffer.alloc(32, 3), name: 'a' },
        { endpoint: { ip: '2001:db8::1', port: 65535 }, id: Buffer.alloc(32, 4), name: 'Ünïcødé name' },
      ],
    },
    { type: 'GET_FILE_LIST' },
    { type: 'FILE_LIST', last: true, files: [] },
    {
      type: 'FILE_LIST',
      last: false,
      files: [
        { path: 'a.txt', version: v(1), size: 0, snapshot: false },
        { path: 'dir/sub/ünï 😀.bin', version: v(2), size: Number.MAX_SAFE_INTEGER, snapshot: true },
      ],
    },
    { type: 'GET_FILE', path: 'docs/readme.md', version: null },
    { type: 'GET_FILE', path: 'docs/readme.md', version: v(0xab) },
    { type: 'FILE_UP_TO_DATE', path: 'a/b' },
    { type: 'FILE_NOT_FOUND', path: 'gone.txt' },
    { type: 'FILE_SIZE', path: 'big.iso', version: v(0x42), size: 2 ** 40 + 3 },
    { type: 'FILE_DATA', data: Buffer.from('hello, world') },
    { type: 'FILE_DATA', data: Buffer.alloc(0) },
    { type: 'FILE_ABORT', path: 'x.bin', reason: 'the file changed while it was being sent' },
    { type: 'SUBSCRIBE' },
    { type: 'INDEX_CHANGED', changes: [] },
    {
      type: 'INDEX_CHANGED',
      changes: [
        { op: 'upsert', path: 'new.txt', version: v(9), size: 12, snapshot: false },
        { op: 'upsert', path: 'growing.log', version: v(10), size: 1 << 20, snapshot: true },
        { op: 'delete', path: 'old.txt' },
      ],
    },
    { type: 'GET_FILES', files: [{ path: 'a.txt', version: null }, { path: 'dir/ünï.bin', version: v(3) }] },
    { type: 'FILES', last: true, records: [] },
    {
      type: 'FILES',
      last: false,
      records: [
        { status: 'content', version: v(4), data: Buffer.from('small file') },
        { status: 'content', version: v(5), data: Buffer.alloc(0) },
        { status: 'up-to-date' },
        { status: 'not-found' },
        { status: 'too-large' },
        { status: 'abort', reason: 'the file shrank while being sent' },
      ],
    },
    { type: 'FOLDER_STATE', present: false },
    { type: 'FOLDER_STATE', present: true },
    { type: 'GET_BLOCK_LIST', path: 'big.iso', version: v(0x42) },
    { type: 'BLOCK_LIST', path: 'big.iso', version: v(0x42), size: 300 * 1024, blockSize: 128 * 1024, first: 0, last: true, hashes: [v(0x61), v(0x62), v(0x63)] },
    { type: 'BLOCK_LIST', path: 'empty', version: v(0x43), size: 0, blockSize: 128 * 1024, first: 0, last: true, hashes: [] },
    { type: 'GET_BLOCKS', path: 'big.iso', version: v(0x42), first: 1, count: 2 },
    { type: 'BLOCKS', path: 'big.iso', version: v(0x42), first: 0xffffffff, count: 0xffff },
  ]
}

/** Types whose last field runs to the end of the frame: a prefix or extension is still valid. */
export const OPEN_ENDED_TYPES: ReadonlySet<Message['type']> = new Set(['FILE_DATA'])

/** Encodes `message` as one frame and checks it decodes back to the same; the frame. */
export function encodeOnce(message: Message): Buffer {
  const frame = encodeMessage(message)
  expect(frame.readUInt32BE(0)).toBe(frame.length - 4)
  const bodies = new FrameDecoder().push(frame)
  expect(bodies).toHaveLength(1)
  expect(comparable(decodeBody(bodies[0]!))).toStrictEqual(comparable(message))
  return frame
}
