// The fuzzer's input side: a seeded PRNG, a valid frame of every message type, and the mutations
// applied to them (bit flips, inserted and deleted bytes, length prefixes of 0 / max / max + 1 /
// off by one, truncated bodies, swapped type bytes, hostile strings and endpoints, huge counts,
// splices of two frames, HELLOs and JOINs with hostile names and tokens, the bytes of v3's
// IDENTIFY / IDENTIFY_OK, now unknown types). Pure: no sockets here. Every case is a function of
// (seed, target, index), so FUZZ_SEED replays a run exactly.
import { createHash } from 'node:crypto'
import { encodeMessage } from '../../src/main/engine/protocol/codec'
import { DEVICE_ID_BYTES, JOIN_TOKEN_BYTES, LENGTH_PREFIX_BYTES, MAX_DEVICE_NAME_BYTES, MAX_FRAME_BYTES, MessageType, PROTOCOL_VERSION, VERSION_BYTES } from '../../src/main/engine/protocol/constants'
import type { Message } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import { sampleMessages } from '../protocol/support'

// ---------------------------------------------------------------------------------------------
// Seeds and the PRNG

/** The run's seed: FUZZ_SEED (decimal or 0x hex), or a fixed default so `npm test` is repeatable. */
export function runSeed(): number {
  const text = process.env.FUZZ_SEED
  if (text === undefined || text === '') return 0x18ad5eed
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, not "${text}"`)
  return n >>> 0
}

/** A whole number from an environment variable, or `fallback`. */
export function envCount(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${text}"`)
  return n
}

/** sfc32: small, fast, good enough, and the same on every machine. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: Buffer) {
    this.a = seed.readUInt32BE(0)
    this.b = seed.readUInt32BE(4)
    this.c = seed.readUInt32BE(8)
    this.d = seed.readUInt32BE(12) | 1
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** A generator for case `index` of `target` in the run seeded `seed`. */
  static forCase(seed: number, target: string, index: number): Rng {
    return new Rng(createHash('sha256').update(`${seed}:${target}:${index}`).digest())
  }

  u32(): number {
    this.a >>>= 0
    this.b >>>= 0
    this.c >>>= 0
    this.d >>>= 0
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** 0 ≤ n < max */
  int(max: number): number {
    return max <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * max)
  }

  /** min ≤ n ≤ max */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing')
    return items[this.int(items.length)]!
  }

  /** One of `choices`, by weight. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0)
    let r = this.int(total)
    for (const [w, value] of choices) {
      if (r < w) return value
      r -= w
    }
    return choices[choices.length - 1]![1]
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff
    return b
  }
}

// ---------------------------------------------------------------------------------------------
// Building frames by hand (independently of the encoder, so bytes the encoder refuses can be made)

export const u8 = (n: number): Buffer => Buffer.from([n & 0xff])
export function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n & 0xffff, 0)
  return b
}
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0, 0)
  return b
}
export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(n, 0)
  return b
}
/** A `str`/`blob` field: u16 length, then the raw bytes (which need not be UTF-8). */
export const str = (raw: Buffer): Buffer => Buffer.concat([u16(raw.length), raw])
/** A whole frame around a body, with its true length. */
export const framed = (body: Buffer): Buffer => Buffer.concat([u32(body.length), body])
export const frameOf = (type: number, ...fields: Buffer[]): Buffer => framed(Buffer.concat([u8(type), ...fields]))

export function endpointBytes(family: number, address: number[], port: number): Buffer {
  return Buffer.concat([u8(family), Buffer.from(address), u16(port)])
}

// ---------------------------------------------------------------------------------------------
// What a target is, as far as making cases for it goes

export interface FolderFile {
  path: string
  content: Buffer
  version: Buffer
}

/**
 * The type bytes of protocol 3's IDENTIFY and IDENTIFY_OK: no message of protocols 4 and 5, so a frame
 * of either earns ERROR unknown-type like any other unknown type.
 */
export const V3_IDENTIFY = 0x20
export const V3_IDENTIFY_OK = 0x21

export interface CaseContext {
  kind: 'registry' | 'folder'
  /**
   * The fuzzing connections are no members: a stranger to the registry (it may only JOIN and
   * be held), a device the registry never announced to the folder server (refused at HELLO).
   */
  outsider?: boolean
  /** Folder targets: the files shared (path → file) and the endpoint the fuzzer is announced as. */
  files?: ReadonlyMap<string, FolderFile>
  announced?: Endpoint
  /** Absolute path of a file outside the shared folder (asked for by name, it must never be served). */
  outsidePath?: string
}

const TYPE_CODES = Object.values(MessageType) as number[]

/**
 * Path texts that must never reach outside a folder or crash a decoder, as raw bytes: `..`,
 * absolute paths, NUL, links, drive letters, backslashes, overlong names and paths, and byte
 * sequences that are not UTF-8 (overlong `/`, surrogates, beyond U+10FFFF, cut in half).
 */
export function hostilePaths(context: CaseContext): Buffer[] {
  const t = (s: string) => Buffer.from(s, 'utf8')
  const paths: Buffer[] = [
    t(''),
    t('.'),
    t('..'),
    t('../'),
    t('../secret.txt'),
    t('../../../../../../etc/passwd'),
    t('/etc/passwd'),
    t('/'),
    t('a.txt\0'),
    t('\0'),
    t('a.txt\0../../etc/passwd'),
    t('./a.txt'),
    t('a.txt/'),
    t('a.txt/.'),
    t('dir//sub/b.bin'),
    t('dir/sub/../../a.txt'),
    t('dir/./sub/b.bin'),
    t('C:\\Windows\\win.ini'),
    t('c:a.txt'),
    t('dir\\sub\\b.bin'),
    t('\\\\server\\share'),
    t('link-file'),
    t('link-dir/secret.txt'),
    t('link-dir'),
    t('link-dir/../a.txt'),
    t('A.TXT'),
    t('a.txt '),
    t('\uFEFFa.txt'),
    t('u\u0308n\u0131\u0308 \u20ac.txt'), // the shared name, decomposed
    t('x'.repeat(256)),
    t(`${'d/'.repeat(2049)}x`),
    t('a'.repeat(4097)),
    t('%2e%2e/secret.txt'),
    t('..%2fsecret.txt'),
    t('\u202ea.txt'),
    Buffer.from([0xff]),
    Buffer.from([0xfe, 0xff, 0x00, 0x61]),
    Buffer.from([0xc0, 0xaf]), // overlong "/"
    Buffer.from([0x2e, 0x2e, 0xc0, 0xaf, 0x65, 0x74, 0x63]), // "..<overlong />etc"
    Buffer.from([0xe0, 0x80, 0xae, 0xe0, 0x80, 0xae, 0x2f]), // overlong ".."
    Buffer.from([0xed, 0xa0, 0x80]), // a lone surrogate
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
    Buffer.from([0x61, 0xc3]), // cut inside a character
    Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x2e, 0x74, 0x78, 0x74]), // BOM + a.txt (valid)
  ]
  if (context.outsidePath) paths.push(t(context.outsidePath), t(`..${context.outsidePath}`))
  for (const file of context.files?.values() ?? []) paths.push(t(file.path))
  return paths
}

/** Device names as raw bytes: the valid (1 to 64 bytes of UTF-8), the empty, the too long, control characters, not UTF-8. */
function hostileNames(): Buffer[] {
  const t = (x: string) => Buffer.from(x, 'utf8')
  return [
    t('laptop'),
    t('Bürö ✓'),
    t('x'.repeat(MAX_DEVICE_NAME_BYTES)),
    t('x'.repeat(MAX_DEVICE_NAME_BYTES + 1)),
    t('é'.repeat(32)),
    t(`${'é'.repeat(32)}x`),
    t(''),
    t('evil\u001b[2Jname'),
    t('line\nbreak'),
    t('\u0085'),
    t('\u007f'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0x61, 0xc3]),
    t('\u202eevil'),
  ]
}

/** Endpoint encodings: the valid, the refused (family, port 0, unspecified, multicast) and the short. */
function hostileEndpoints(context: CaseContext, rng: Rng): Buffer[] {
  const port = context.announced?.port ?? 40001
  const v6 = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff])
  return [
    endpointBytes(4, [127, 0, 0, 1], port),
    endpointBytes(4, [127, 0, 0, 1], rng.range(1, 65535)),
    endpointBytes(6, v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]), port), // ::ffff:127.0.0.1 is 127.0.0.1
    endpointBytes(6, v6([0, 0, 0, 0, 0, 0, 0, 1]), port), // ::1
    endpointBytes(4, [127, 0, 0, 1], 0),
    endpointBytes(4, [0, 0, 0, 0], port),
    endpointBytes(4, [255, 255, 255, 255], port),
    endpointBytes(4, [224, 0, 0, 1], port),
    endpointBytes(4, [10, 1, 2, 3], port),
    endpointBytes(6, v6([0, 0, 0, 0, 0, 0, 0, 0]), port),
    endpointBytes(6, v6([0xff02, 0, 0, 0, 0, 0, 0, 1]), port),
    Buffer.concat([u8(0), Buffer.from([127, 0, 0, 1]), u16(port)]),
    Buffer.concat([u8(5), Buffer.from([127, 0, 0, 1]), u16(port)]),
    Buffer.concat([u8(6), Buffer.from([127, 0, 0, 1]), u16(port)]), // family 6, IPv4 length
    Buffer.concat([u8(4), Buffer.from([127, 0, 0, 1])]), // no port
    u8(4),
    Buffer.alloc(0),
    Buffer.concat([endpointBytes(4, [127, 0, 0, 1], port), u8(0)]), // a trailing byte
  ]
}

function version(rng: Rng, context: CaseContext): Buffer {
  const files = [...(context.files?.values() ?? [])]
  if (files.length && rng.chance(0.5)) return rng.pick(files).version
  return rng.chance(0.5) ? Buffer.alloc(VERSION_BYTES, 0) : rng.bytes(VERSION_BYTES)
}

/** Valid messages a well-behaved peer of this target sends (with real paths, versions, endpoints). */
export function legitimateMessages(context: CaseContext, rng: Rng): Message[] {
  if (context.kind === 'registry') {
    return [
      { type: 'GET_CLIENTS' },
      { type: 'PING' },
      { type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: rng.range(1, 65535) } },
      { type: 'LOG_OFF', endpoint: { ip: '127.0.0.1', port: rng.range(1, 65535) } },
      { type: 'JOIN', token: Buffer.alloc(0) },
      { type: 'JOIN', token: rng.bytes(JOIN_TOKEN_BYTES) },
    ]
  }
  const files = [...(context.files?.values() ?? [])]
  const some = files.filter(() => rng.chance(0.5))
  return [
    { type: 'GET_FILE_LIST' },
    { type: 'PING' },
    ...files.map((f): Message => ({ type: 'GET_FILE', path: f.path, version: rng.chance(0.3) ? f.version : null })),
    { type: 'GET_FILES', files: (some.length ? some : files).map((f) => ({ path: f.path, version: rng.chance(0.2) ? f.version : null })) },
    ...files.map((f): Message => ({ type: 'GET_BLOCK_LIST', path: f.path, version: f.version })),
    // A run inside the file, or reaching past its last block (refused with FILE_ABORT).
    ...files.map((f): Message => ({ type: 'GET_BLOCKS', path: f.path, version: f.version, first: rng.range(0, 1), count: rng.range(1, 3) })),
    { type: 'SUBSCRIBE' },
  ]
}

/**
 * A valid frame of every message type (sampleMessages covers them all: the HELLO, JOIN,
 * JOIN_OK, JOIN_PENDING, the lists with device IDs and names), plus this target's own requests.
 */
function seedMessage(context: CaseContext, rng: Rng): Message {
  return rng.chance(0.5) ? rng.pick(sampleMessages()) : rng.pick(legitimateMessages(context, rng))
}

/** A structurally valid frame whose strings, endpoints, counts or flags are hostile. */
function hostileFrame(context: CaseContext, rng: Rng): { frame: Buffer; what: string } {
  const path = () => rng.pick(hostilePaths(context))
  const endpoint = () => rng.pick(hostileEndpoints(context, rng))
  const wanted = () => (rng.chance(0.5) ? Buffer.concat([str(path()), u8(0)]) : Buffer.concat([str(path()), u8(1), version(rng, context)]))
  const sized = () => Buffer.concat([str(path()), version(rng, context), u64(rng.pick([0n, 3n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n]))])
  // A list entry ends with its flags: 0 or 1 (snapshot), any other bit refused, or missing (protocol 4's entry).
  const entry = () => Buffer.concat([sized(), rng.chance(0.8) ? Buffer.from([rng.pick([0, 1, 2, 0x80, 0xff])]) : Buffer.alloc(0)])
  const name = () => rng.pick(hostileNames())
  const deviceId = () => (rng.chance(0.9) ? rng.bytes(DEVICE_ID_BYTES) : rng.bytes(rng.pick([0, 16, 31])))
  const kinds: Array<[number, () => { frame: Buffer; what: string }]> = [
    [8, () => ({ frame: frameOf(MessageType.GET_FILE, wanted()), what: 'GET_FILE with a hostile path' })],
    [
      5,
      () => {
        const n = rng.range(1, 6)
        return { frame: frameOf(MessageType.GET_FILES, u16(n), ...Array.from({ length: n }, wanted)), what: 'GET_FILES with hostile paths' }
      },
    ],
    [2, () => ({ frame: frameOf(rng.pick([MessageType.FILE_NOT_FOUND, MessageType.FILE_UP_TO_DATE]), str(path())), what: 'a path reply with a hostile path' })],
    [2, () => ({ frame: frameOf(MessageType.FILE_ABORT, str(path()), str(path())), what: 'FILE_ABORT with hostile strings' })],
    [2, () => ({ frame: frameOf(MessageType.ERROR, u16(rng.int(0x10000)), str(path())), what: 'ERROR with a hostile text' })],
    [1, () => ({ frame: frameOf(MessageType.FILE_SIZE, sized()), what: 'FILE_SIZE with hostile fields' })],
    [
      3,
      () => {
        // Protocol 5's block requests: hostile paths, versions, runs (count 0, past any file).
        const type = rng.pick([MessageType.GET_BLOCK_LIST, MessageType.GET_BLOCKS, MessageType.BLOCKS])
        const run = type === MessageType.GET_BLOCK_LIST ? [] : [u32(rng.pick([0, 1, 0xffffffff])), u16(rng.pick([0, 1, 2, 0xffff]))]
        return { frame: frameOf(type, str(path()), version(rng, context), ...run), what: `type 0x${type.toString(16)} with a hostile path or run` }
      },
    ],
    [
      1,
      () => {
        const n = rng.pick([0, 1, 8192, 8193, 0xffffffff])
        const fields = [str(path()), version(rng, context), u64(rng.pick([0n, 3n, 2n ** 53n])), u32(rng.pick([0, 131072, 0xffffffff])), u32(0), u32(n), u8(rng.int(3))]
        return { frame: frameOf(MessageType.BLOCK_LIST, ...fields, rng.bytes(rng.pick([0, 32, 33]))), what: `BLOCK_LIST claiming ${n} hashes` }
      },
    ],
    [1, () => ({ frame: frameOf(MessageType.FILE_LIST, u8(rng.int(3)), u32(1), entry()), what: 'FILE_LIST with a hostile entry' })],
    [
      1,
      () => ({
        frame: frameOf(MessageType.INDEX_CHANGED, u32(1), rng.chance(0.5) ? Buffer.concat([u8(1), entry()]) : Buffer.concat([u8(rng.pick([2, 0, 3, 255])), str(path())])),
        what: 'INDEX_CHANGED with a hostile change',
      }),
    ],
    [
      6,
      () => {
        const type = rng.pick([MessageType.LOG_ON, MessageType.LOG_OFF, MessageType.LOG_ON_OK, MessageType.ERROR_IP_PORT_NOT_FOUND_IN_LIST])
        return { frame: frameOf(type, endpoint()), what: `type 0x${type.toString(16)} with a hostile endpoint` }
      },
    ],
    [
      3,
      () => {
        // Protocol 3's IDENTIFY (a registered endpoint) and IDENTIFY_OK: unknown types now.
        const type = rng.pick([V3_IDENTIFY, V3_IDENTIFY_OK])
        const announced = context.announced ?? { ip: '127.0.0.1', port: 40001 }
        const fields = rng.chance(0.7) ? endpointBytes(4, [127, 0, 0, 1], announced.port) : endpoint()
        return { frame: frameOf(type, fields), what: `protocol 3's ${type === V3_IDENTIFY ? 'IDENTIFY' : 'IDENTIFY_OK'} (type 0x${type.toString(16)}, gone in 4)` }
      },
    ],
    [1, () => ({ frame: frameOf(MessageType.USER_OFF, endpoint(), deviceId(), u8(rng.pick([0, 1, 2, 3, 4, 255]))), what: 'USER_OFF with hostile fields' })],
    [2, () => ({ frame: frameOf(MessageType.USER_ON, endpoint(), deviceId(), str(name())), what: 'USER_ON with hostile fields' })],
    [
      2,
      () => {
        const n = rng.pick([0, 1, 2, 0xffffffff, 0x7fffffff, 149796])
        return { frame: frameOf(MessageType.CLIENT_LIST, u32(n), endpoint(), deviceId(), str(name())), what: `CLIENT_LIST claiming ${n} entries` }
      },
    ],
    [
      4,
      () => {
        // JOIN's token: 0 or 16 bytes, announced by a u16 length that may lie.
        const length = rng.pick([0, 0, 1, JOIN_TOKEN_BYTES - 1, JOIN_TOKEN_BYTES, JOIN_TOKEN_BYTES, JOIN_TOKEN_BYTES + 1, 32, 0xffff])
        const have = rng.chance(0.8) ? length : rng.pick([0, length - 1, length + 1, 3]) & 0xffff
        const tail = rng.chance(0.15) ? rng.bytes(rng.range(1, 3)) : Buffer.alloc(0)
        return { frame: frameOf(MessageType.JOIN, u16(length), rng.bytes(Math.min(have, 64)), tail), what: `JOIN with a token said to have ${length} bytes (${Math.min(have, 64)} there)${tail.length ? ' and a tail' : ''}` }
      },
    ],
    [
      2,
      () => {
        const type = rng.pick([MessageType.JOIN_OK, MessageType.JOIN_PENDING])
        const tail = rng.chance(0.5) ? rng.bytes(rng.range(1, 4)) : Buffer.alloc(0)
        return { frame: frameOf(type, tail), what: `${type === MessageType.JOIN_OK ? 'JOIN_OK' : 'JOIN_PENDING'} sent to a server${tail.length ? ` with ${tail.length} stray bytes` : ''}` }
      },
    ],
    [
      1,
      () => {
        const flag = rng.pick([0, 1, 2, 0x80, 0xff])
        const type = rng.pick([MessageType.FOLDER_STATE, MessageType.FILES, MessageType.FILE_LIST])
        const rest = type === MessageType.FOLDER_STATE ? [] : type === MessageType.FILES ? [u16(0)] : [u32(0)]
        return { frame: frameOf(type, u8(flag), ...rest), what: `type 0x${type.toString(16)} with flag ${flag}` }
      },
    ],
    [
      2,
      () => {
        const status = rng.pick([0, 1, 2, 3, 4, 5, 0xff])
        const record =
          status === 0
            ? Buffer.concat([u8(0), version(rng, context), u32(rng.pick([0, 3, 65536, 65537, 0xffffffff])), Buffer.from('hi\n')])
            : status === 4
              ? Buffer.concat([u8(4), str(path())])
              : u8(status)
        return { frame: frameOf(MessageType.FILES, u8(1), u16(rng.pick([1, 2, 256, 257, 0xffff])), record), what: `FILES with record status ${status}` }
      },
    ],
    [
      5,
      () => {
        const magic = rng.chance(0.8) ? Buffer.from('DBSY') : rng.pick([Buffer.from('DBSX'), Buffer.from('GET '), rng.bytes(4)])
        const ver = rng.chance(0.6) ? PROTOCOL_VERSION : rng.pick([0, 1, 2, 3, 4, PROTOCOL_VERSION + 1, 0xffff])
        const role = rng.chance(0.6) ? rng.range(1, 2) : rng.pick([0, 3, 0xff])
        const tail = rng.chance(0.2) ? rng.bytes(rng.range(1, 4)) : Buffer.alloc(0)
        // The layout of protocols 4 and 5 (a name), or protocol 3's (node id, heartbeat, auth) under either version.
        const v3 = rng.chance(0.2)
        const rest = v3 ? [rng.bytes(16), u32(rng.u32()), str(rng.bytes(rng.pick([0, 1, 32])))] : [u32(rng.u32()), str(name())]
        const fields = [magic, u16(ver), u8(role), ...rest, tail]
        const cut = rng.chance(0.2) ? rng.int(fields.length) : fields.length
        return { frame: frameOf(MessageType.HELLO, ...fields.slice(0, cut)), what: `HELLO magic ${magic.toString('hex')} version ${ver} role ${role}${v3 ? " in protocol 3's layout" : ''}${cut < fields.length ? ` cut after field ${cut}` : ''}` }
      },
    ],
    [
      2,
      () => {
        // A string whose length field promises more (or far more) than the frame holds.
        const claimed = rng.pick([0xffff, 0x8000, 10, 1])
        return { frame: frameOf(rng.pick([MessageType.GET_FILE, MessageType.ERROR, MessageType.FILE_ABORT]), u16(claimed), Buffer.from('ab')), what: `a string claiming ${claimed} bytes` }
      },
    ],
  ]
  return rng.weighted(kinds)()
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid frame

const COUNT_AT: Partial<Record<number, { at: number; bytes: 2 | 4 }>> = {
  [MessageType.CLIENT_LIST]: { at: 1, bytes: 4 },
  [MessageType.INDEX_CHANGED]: { at: 1, bytes: 4 },
  [MessageType.GET_FILES]: { at: 1, bytes: 2 },
  [MessageType.FILE_LIST]: { at: 2, bytes: 4 },
  [MessageType.FILES]: { at: 2, bytes: 2 },
}

function withLength(frame: Buffer, length: number): Buffer {
  const copy = Buffer.from(frame)
  copy.writeUInt32BE(length >>> 0, 0)
  return copy
}

/** Applies one mutation to a valid frame; says what it did. */
function mutate(frame: Buffer, context: CaseContext, rng: Rng): { frame: Buffer; what: string } {
  const body = frame.subarray(LENGTH_PREFIX_BYTES)
  const fixLength = rng.chance(0.5)
  const refit = (b: Buffer) => (fixLength ? framed(b) : Buffer.concat([frame.subarray(0, LENGTH_PREFIX_BYTES), b]))
  const lengthNote = fixLength ? 'length fixed' : 'length kept'
  const op = rng.weighted<string>([
    [10, 'bitflip'],
    [4, 'bitflip-prefix'],
    [6, 'insert'],
    [6, 'delete'],
    [8, 'length'],
    [6, 'truncate'],
    [6, 'type'],
    [4, 'count'],
    [4, 'splice'],
    [3, 'overwrite'],
    [2, 'duplicate'],
  ])
  switch (op) {
    case 'bitflip': {
      const copy = Buffer.from(frame)
      const flips = rng.range(1, 4)
      const at: number[] = []
      for (let i = 0; i < flips && body.length > 0; i++) {
        const byte = LENGTH_PREFIX_BYTES + rng.int(body.length)
        copy[byte]! ^= 1 << rng.int(8)
        at.push(byte)
      }
      return { frame: copy, what: `bit flips at ${at.join(', ')}` }
    }
    case 'bitflip-prefix': {
      const copy = Buffer.from(frame)
      const byte = rng.int(LENGTH_PREFIX_BYTES)
      copy[byte]! ^= 1 << rng.int(8)
      return { frame: copy, what: `a bit flip in the length prefix (byte ${byte})` }
    }
    case 'insert': {
      const at = rng.int(body.length + 1)
      const n = rng.range(1, 16)
      return { frame: refit(Buffer.concat([body.subarray(0, at), rng.bytes(n), body.subarray(at)])), what: `${n} random bytes inserted at body offset ${at} (${lengthNote})` }
    }
    case 'delete': {
      const at = rng.int(body.length)
      const n = Math.min(rng.range(1, 8), body.length - at)
      return { frame: refit(Buffer.concat([body.subarray(0, at), body.subarray(at + n)])), what: `${n} bytes deleted at body offset ${at} (${lengthNote})` }
    }
    case 'length': {
      const length = rng.pick([0, 1, MAX_FRAME_BYTES, MAX_FRAME_BYTES + 1, MAX_FRAME_BYTES - 1, 0xffffffff, 0x80000000, body.length - 1, body.length + 1, body.length + rng.range(2, 300), rng.u32()])
      return { frame: withLength(frame, length), what: `length prefix set to ${length >>> 0} (body has ${body.length})` }
    }
    case 'truncate': {
      const keep = rng.int(body.length)
      return { frame: refit(Buffer.from(body.subarray(0, keep))), what: `body cut to ${keep} of ${body.length} bytes (${lengthNote})` }
    }
    case 'type': {
      const copy = Buffer.from(frame)
      const type = rng.chance(0.6) ? rng.pick(TYPE_CODES) : rng.int(256)
      copy[LENGTH_PREFIX_BYTES] = type
      return { frame: copy, what: `type byte 0x${(body[0] ?? 0).toString(16)} → 0x${type.toString(16)}` }
    }
    case 'count': {
      // Counts only exist in some types: put another such frame's body under this count if need be.
      const place = COUNT_AT[body[0] ?? 0]
      if (!place) return hostileFrame(context, rng)
      const copy = Buffer.from(frame)
      const base = place.bytes === 2 ? copy.readUInt16BE(LENGTH_PREFIX_BYTES + place.at) : copy.readUInt32BE(LENGTH_PREFIX_BYTES + place.at)
      const max = place.bytes === 2 ? 0xffff : 0xffffffff
      const value = rng.pick([0, 1, base - 1, base + 1, 256, 257, max, max - 1, Math.floor(max / 2) + 1]) & max
      if (place.bytes === 2) copy.writeUInt16BE(value >>> 0, LENGTH_PREFIX_BYTES + place.at)
      else copy.writeUInt32BE(value >>> 0, LENGTH_PREFIX_BYTES + place.at)
      return { frame: copy, what: `count ${base} set to ${value >>> 0}` }
    }
    case 'splice': {
      const other = encodeMessage(seedMessage(context, rng))
      const a = rng.int(frame.length + 1)
      const b = rng.int(other.length + 1)
      return { frame: Buffer.concat([frame.subarray(0, a), other.subarray(b)]), what: `first ${a} bytes of this frame + another frame from byte ${b}` }
    }
    case 'overwrite': {
      const copy = Buffer.from(frame)
      const at = LENGTH_PREFIX_BYTES + rng.int(Math.max(1, body.length))
      const n = Math.min(rng.range(1, 8), copy.length - at)
      const value = rng.pick([0x00, 0xff, 0x7f, 0x80])
      copy.fill(value, at, at + n)
      return { frame: copy, what: `${n} bytes at ${at} set to 0x${value.toString(16)}` }
    }
    default: {
      // The body twice under one length prefix, or the frame glued to a mutated copy of itself.
      if (rng.chance(0.5)) return { frame: refit(Buffer.concat([body, body])), what: `body doubled (${lengthNote})` }
      const second = Buffer.from(frame)
      if (second.length > LENGTH_PREFIX_BYTES) second[LENGTH_PREFIX_BYTES + rng.int(second.length - LENGTH_PREFIX_BYTES)]! ^= 0xff
      return { frame: Buffer.concat([frame, second]), what: 'the frame, then a copy with one byte inverted' }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

/**
 * Where a case starts: `fresh`, a new connection with TLS done and nothing sent; `hello`, HELLO
 * exchanged (registry only: not joined yet); `ready`, as far as the lane's device gets: a member
 * joined (JOIN_OK), a stranger held for the operator (JOIN_PENDING), a device announced to a
 * folder server admitted at its HELLO. A device a folder server was never told of only ever
 * starts fresh: its HELLO is refused.
 */
export type StartState = 'fresh' | 'hello' | 'ready'

export interface FuzzCase {
  index: number
  start: StartState
  /** Everything sent, in order (padding included). */
  bytes: Buffer
  /** Offsets at which the bytes are split into separate writes (empty: one write). */
  splits: number[]
  /** Half-close after the last byte instead of waiting for the replies. */
  fin: boolean
  /** Zero bytes appended to finish a frame the mutation left incomplete (0 = none). */
  padding: number
  what: string
}

/** How a byte stream splits into frames, as a receiver sees it. */
export interface Walk {
  bodies: Buffer[]
  /** What ends the stream: nothing, a length prefix of 0 / over the maximum, or a frame still missing bytes. */
  tail: { kind: 'none' } | { kind: 'zero' } | { kind: 'too-large'; length: number } | { kind: 'partial'; missing: number }
}

export function walk(bytes: Buffer): Walk {
  const bodies: Buffer[] = []
  let at = 0
  while (at < bytes.length) {
    if (bytes.length - at < LENGTH_PREFIX_BYTES) return { bodies, tail: { kind: 'partial', missing: LENGTH_PREFIX_BYTES - (bytes.length - at) } }
    const length = bytes.readUInt32BE(at)
    if (length === 0) return { bodies, tail: { kind: 'zero' } }
    if (length > MAX_FRAME_BYTES) return { bodies, tail: { kind: 'too-large', length } }
    const end = at + LENGTH_PREFIX_BYTES + length
    if (end > bytes.length) return { bodies, tail: { kind: 'partial', missing: end - bytes.length } }
    bodies.push(bytes.subarray(at + LENGTH_PREFIX_BYTES, end))
    at = end
  }
  return { bodies, tail: { kind: 'none' } }
}

/** The valid HELLO of this protocol a fuzzing device says. */
export function fuzzHello(): Message {
  return { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'fuzzer' }
}

/** Valid frames a peer in `start` may send before or after the case's own frame. */
function companions(context: CaseContext, start: StartState, rng: Rng): Buffer[] {
  if (start === 'fresh') return [encodeMessage(fuzzHello())]
  // Before JOIN (or while held for the operator) nothing but PING keeps a registry connection open.
  if (context.kind === 'registry' && (start === 'hello' || context.outsider)) return [encodeMessage({ type: 'PING' })]
  return legitimateMessages(context, rng)
    .filter((m) => m.type !== 'SUBSCRIBE' && m.type !== 'JOIN')
    .map((m) => encodeMessage(m))
}

export function makeCase(seed: number, target: string, index: number, context: CaseContext): FuzzCase {
  const rng = Rng.forCase(seed, target, index)
  const style = rng.weighted<string>([
    [55, 'mutated'],
    [25, 'hostile'],
    [10, 'valid'],
    [5, 'garbage'],
    [5, 'glued'],
    [3, 'burst'],
  ])
  let frame: Buffer
  let what: string
  let type = 0
  if (style === 'hostile') {
    ;({ frame, what } = hostileFrame(context, rng))
    type = frame[LENGTH_PREFIX_BYTES] ?? 0
  } else if (style === 'garbage') {
    frame = rng.bytes(rng.range(1, 64))
    what = 'random bytes'
  } else if (style === 'burst') {
    // Hundreds of pipelined requests, then a broken frame: all of them are answered first.
    const m = mutate(encodeMessage(seedMessage(context, rng)), context, rng)
    const n = rng.range(50, 700)
    const pool = legitimateMessages(context, rng).filter((x) => x.type !== 'JOIN' && x.type !== 'SUBSCRIBE' && x.type !== 'GET_FILE_LIST')
    const requests = Array.from({ length: n }, () => encodeMessage(rng.pick(pool)))
    frame = Buffer.concat([...requests, m.frame])
    what = `${n} valid requests, then ${m.what}`
  } else if (style === 'glued') {
    // Two mutated frames in one write.
    const first = mutate(encodeMessage(seedMessage(context, rng)), context, rng)
    const second = mutate(encodeMessage(seedMessage(context, rng)), context, rng)
    frame = Buffer.concat([first.frame, second.frame])
    what = `${first.what}; then ${second.what}`
  } else {
    const message = seedMessage(context, rng)
    type = MessageType[message.type]
    const valid = encodeMessage(message)
    if (style === 'valid') {
      frame = valid
      what = `a valid ${message.type}`
    } else {
      const m = mutate(valid, context, rng)
      frame = m.frame
      what = `${message.type}: ${m.what}`
    }
  }

  let start: StartState
  if (style === 'burst') start = 'ready'
  else if (type === MessageType.HELLO || style === 'garbage') start = rng.chance(0.8) ? 'fresh' : 'ready'
  else if (type === MessageType.JOIN && context.kind === 'registry') start = rng.chance(0.6) ? 'hello' : 'ready'
  else start = rng.weighted<StartState>([
    [85, 'ready'],
    [10, 'hello'],
    [5, 'fresh'],
  ])
  // A folder server admits (or refuses) at HELLO: there is no state between.
  if (context.kind === 'folder' && start === 'hello') start = 'ready'
  if (context.kind === 'folder' && context.outsider) start = 'fresh'

  const parts: Buffer[] = []
  const before = rng.chance(0.3) || start === 'fresh' ? rng.range(1, 3) : 0
  const pool = companions(context, start, rng)
  if (start === 'fresh') parts.push(...pool.slice(0, 1))
  else for (let i = 0; i < before; i++) parts.push(rng.pick(pool))
  parts.push(frame)
  if (rng.chance(0.2)) parts.push(rng.pick(companions(context, start === 'fresh' ? 'ready' : start, rng)))
  if (start === 'fresh' && rng.chance(0.25)) {
    // The broken frame as the very first bytes of a connection.
    parts.shift()
  }
  let bytes = Buffer.concat(parts)
  if (before > 0 || parts.length > 1) what += ` (${parts.length} frames in the write)`

  let fin = rng.chance(0.1)
  let padding = 0
  const w = walk(bytes)
  if (w.tail.kind === 'partial') {
    if (rng.chance(0.3)) fin = true
    else {
      // Finish the frame with zeros (a prefix cut short may need two rounds) so the stream stays
      // in step and every reply can be checked.
      for (let round = 0; round < 3; round++) {
        const t = walk(bytes).tail
        if (t.kind !== 'partial') break
        padding += t.missing
        bytes = Buffer.concat([bytes, Buffer.alloc(t.missing)])
      }
    }
  }
  const splits: number[] = []
  if (bytes.length > 1 && rng.chance(0.3)) {
    const n = rng.range(1, 3)
    for (let i = 0; i < n; i++) splits.push(rng.range(1, bytes.length - 1))
    splits.sort((a, b) => a - b)
  }
  return { index, start, bytes, splits: [...new Set(splits)], fin, padding, what }
}

/** The case's bytes for a failure report: hex, the zero padding summarised. */
export function describeBytes(c: FuzzCase, limit = 600): string {
  const sent = c.bytes.subarray(0, c.bytes.length - c.padding)
  const hex = sent.length > limit ? `${sent.subarray(0, limit).toString('hex')}… (${sent.length} bytes)` : sent.toString('hex')
  return `${hex}${c.padding ? ` + ${c.padding} zero bytes of padding` : ''}${c.splits.length ? `; split into writes at ${c.splits.join(', ')}` : ''}${c.fin ? '; then FIN' : ''}`
}
