// The message codec: exact wire bytes, round trips of every message type, encoder refusals and
// the ProtocolError code for each kind of malformed body.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeBody, encodeClientEntry, encodeClientList, encodeMessage } from '../../src/main/engine/protocol/codec'
import { HELLO_MAGIC, MAX_DEVICE_NAME_BYTES, MAX_FRAME_BYTES, MessageType, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { ProtocolError } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { ClientEntry, Message } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import { OPEN_ENDED_TYPES, bodyOf, endpointBytes, expectProtocolError, feed, frameOf, sampleMessages, u16, u32 } from './support'

const hex = (b: Buffer) => b.toString('hex')
/** PROTOCOL_VERSION as the 4 hex digits of HELLO's version field. */
const VERSION_HEX = PROTOCOL_VERSION.toString(16).padStart(4, '0')

/** encode → length prefix checked → FrameDecoder → decodeBody → deep-equal. */
function roundTrip(input: Message, expected: Message = input): Buffer {
  const frame = encodeMessage(input)
  expect(frame.length).toBeGreaterThan(4)
  expect(frame.readUInt32BE(0)).toBe(frame.length - 4)
  expect(frame[4]).toBe(MessageType[input.type])
  const bodies = new FrameDecoder().push(frame)
  expect(bodies).toHaveLength(1)
  expect(hex(bodies[0]!)).toBe(hex(frame.subarray(4)))
  const decoded = decodeBody(bodies[0]!)
  expect(decoded).toStrictEqual(expected)
  // The decoded message encodes to exactly the bytes of the canonical form.
  expect(hex(encodeMessage(decoded))).toBe(hex(encodeMessage(expected)))
  return frame
}

const ENDPOINT_TYPES = ['LOG_ON', 'LOG_ON_OK', 'LOG_OFF', 'LOG_OFF_OK', 'ERROR_IP_PORT_NOT_FOUND_IN_LIST'] as const
/** Device IDs for the examples: bytes 0 to 31, and 32 bytes of 0xee. */
const ID0 = Buffer.from([...Array(32).keys()])
const IDE = Buffer.alloc(32, 0xee)
const ID0_HEX = ID0.toString('hex')

/** [ip given to the encoder, ip the decoder must return] */
const IPS: Array<[string, string]> = [
  ['127.0.0.1', '127.0.0.1'],
  ['10.0.0.1', '10.0.0.1'],
  ['1.0.0.0', '1.0.0.0'],
  ['192.168.1.254', '192.168.1.254'],
  ['223.255.255.255', '223.255.255.255'],
  ['::1', '::1'],
  ['2001:db8::1', '2001:db8::1'],
  ['fe80::1:2', 'fe80::1:2'],
  ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::8a2e:370:7334'],
  ['fd12:3456:789a:1::1', 'fd12:3456:789a:1::1'],
  ['1::', '1::'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['::ffff:10.0.0.1', '10.0.0.1'],
  ['::FFFF:192.168.0.1', '192.168.0.1'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ['FE80:0000:0000:0000:0000:0000:0001:0002', 'fe80::1:2'],
]
const PORTS = [1, 4000, 65535]

describe('wire bytes (known answers)', () => {
  const cases: Array<[string, Message, string]> = [
    ['PING', { type: 'PING' }, '00000001' + '03'],
    ['PONG', { type: 'PONG' }, '00000001' + '04'],
    ['GET_CLIENTS', { type: 'GET_CLIENTS' }, '00000001' + '14'],
    ['LOG_ON 10.0.0.1:4000', { type: 'LOG_ON', endpoint: { ip: '10.0.0.1', port: 4000 } }, '00000008' + '10' + '04' + '0a000001' + '0fa0'],
    [
      'LOG_ON_OK [::1]:1',
      { type: 'LOG_ON_OK', endpoint: { ip: '::1', port: 1 } },
      '00000014' + '11' + '06' + '00000000000000000000000000000001' + '0001',
    ],
    [
      'LOG_OFF [::ffff:10.0.0.1] is sent as IPv4',
      { type: 'LOG_OFF', endpoint: { ip: '::ffff:10.0.0.1', port: 2 } },
      '00000008' + '12' + '04' + '0a000001' + '0002',
    ],
    ['LOG_OFF_OK', { type: 'LOG_OFF_OK', endpoint: { ip: '1.2.3.4', port: 258 } }, '00000008' + '13' + '04' + '01020304' + '0102'],
    ['USER_ON', { type: 'USER_ON', endpoint: { ip: '1.2.3.4', port: 1 }, id: ID0, name: 'b' }, '0000002b' + '16' + '04' + '01020304' + '0001' + ID0_HEX + '0001' + '62'],
    [
      'USER_OFF timeout',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 65535 }, id: ID0, reason: 'timeout' },
      '00000029' + '17' + '04' + 'c0a80102' + 'ffff' + ID0_HEX + '02',
    ],
    [
      'USER_OFF log-off',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 1 }, id: ID0, reason: 'log-off' },
      '00000029' + '17' + '04' + 'c0a80102' + '0001' + ID0_HEX + '00',
    ],
    [
      'USER_OFF connection-lost',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 1 }, id: ID0, reason: 'connection-lost' },
      '00000029' + '17' + '04' + 'c0a80102' + '0001' + ID0_HEX + '01',
    ],
    [
      'USER_OFF removed',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 1 }, id: ID0, reason: 'removed' },
      '00000029' + '17' + '04' + 'c0a80102' + '0001' + ID0_HEX + '03',
    ],
    ['JOIN without a token', { type: 'JOIN', token: Buffer.alloc(0) }, '00000003' + '19' + '0000'],
    ['JOIN with a token', { type: 'JOIN', token: Buffer.alloc(16, 0xa5) }, '00000013' + '19' + '0010' + 'a5'.repeat(16)],
    ['JOIN_OK', { type: 'JOIN_OK' }, '00000001' + '1a'],
    ['JOIN_PENDING', { type: 'JOIN_PENDING' }, '00000001' + '1b'],
    [
      'ERROR_IP_PORT_NOT_FOUND_IN_LIST',
      { type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint: { ip: '1.2.3.4', port: 1 } },
      '00000008' + '18' + '04' + '01020304' + '0001',
    ],
    ['ERROR', { type: 'ERROR', code: 3, text: 'hé' }, '00000008' + '02' + '0003' + '0003' + '68c3a9'],
    ['empty CLIENT_LIST', { type: 'CLIENT_LIST', clients: [] }, '00000005' + '15' + '00000000'],
    [
      'CLIENT_LIST of two',
      {
        type: 'CLIENT_LIST',
        clients: [
          { endpoint: { ip: '10.0.0.1', port: 1 }, id: ID0, name: 'a' },
          { endpoint: { ip: '2001:db8::1', port: 2 }, id: IDE, name: 'é' },
        ],
      },
      '00000066' + '15' + '00000002' + '04' + '0a000001' + '0001' + ID0_HEX + '0001' + '61' + '06' + '20010db8000000000000000000000001' + '0002' + 'ee'.repeat(32) + '0002' + 'c3a9',
    ],
    [
      'HELLO',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 5000, name: 'alice' },
      '00000013' + '01' + hex(Buffer.from('DBSY')) + VERSION_HEX + '02' + '00001388' + '0005' + hex(Buffer.from('alice')),
    ],
    [
      'HELLO server, a name of one byte',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'server', heartbeatMs: 0xffffffff, name: 's' },
      '0000000f' + '01' + '44425359' + VERSION_HEX + '01' + 'ffffffff' + '0001' + '73',
    ],
  ]

  it.each(cases)('%s', (_name, message, expectedHex) => {
    const frame = encodeMessage(message)
    expect(hex(frame)).toBe(expectedHex)
    // ...and those exact bytes decode back to the (canonical) message.
    const decoded = decodeBody(Buffer.from(expectedHex, 'hex').subarray(4))
    expect(hex(encodeMessage(decoded))).toBe(expectedHex)
  })

  it('every message type has a distinct type code, and the samples used below cover them all', () => {
    const codes = Object.values(MessageType) as number[]
    expect(new Set(codes).size).toBe(codes.length)
    const samples = sampleMessages()
    expect([...new Set(samples.map((m) => m.type))].sort()).toEqual(Object.keys(MessageType).sort())
    for (const m of samples) {
      const frame = encodeMessage(m)
      expect(frame[4]).toBe(MessageType[m.type])
      expect(decodeBody(frame.subarray(4))).toStrictEqual(m)
    }
  })
})

describe('round trips of every message type', () => {
  it('HELLO with both roles, boundary heartbeats', () => {
    for (const role of ['server', 'client'] as const) {
      for (const heartbeatMs of [0, 1, 15_000, 0xffffffff]) {
        const frame = roundTrip({ type: 'HELLO', version: PROTOCOL_VERSION, role, heartbeatMs, name: 'n' })
        expect(frame.length).toBe(4 + 15)
      }
    }
  })

  it('HELLO with a name of 1 and of MAX_DEVICE_NAME_BYTES bytes, in any script', () => {
    const base = { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 10 } as const
    roundTrip({ ...base, name: 'x' })
    roundTrip({ ...base, name: 'a'.repeat(MAX_DEVICE_NAME_BYTES) })
    roundTrip({ ...base, name: 'Büro-Rechner 日本 ✓' })
  })

  it('a decoded HELLO owns its name and a JOIN its token (no aliasing of the frame buffer)', () => {
    const body = bodyOf({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 1, name: 'alice' })
    const decoded = decodeBody(body)
    body.fill(0xaa)
    expect(decoded).toStrictEqual({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 1, name: 'alice' })
    const join = bodyOf({ type: 'JOIN', token: Buffer.alloc(16, 7) })
    const decodedJoin = decodeBody(join)
    join.fill(0xaa)
    expect(decodedJoin).toStrictEqual({ type: 'JOIN', token: Buffer.alloc(16, 7) })
  })

  it('ERROR with unicode, empty, control-character and maximum-length text', () => {
    const texts = [
      '',
      'plain ascii',
      'héllo wörld',
      '日本語のテキスト',
      'emoji 🎉👩‍👩‍👧‍👦 and flags 🇫🇷',
      'combining e\u0301 and RTL \u05e9\u05dc\u05d5\u05dd',
      'nul \u0000 inside, and \n newlines \r\n',
      'BOM in the middle \uFEFF is kept',
      '\u{10FFFF}\u{1F600}\uFFFD',
      'a'.repeat(0xffff),
      'é'.repeat(0x7fff), // 65534 bytes
      '😀'.repeat(0x3fff), // 65532 bytes
    ]
    for (const text of texts) for (const code of [0, 1, 13, 0xffff]) roundTrip({ type: 'ERROR', code, text })
  })

  it('ERROR text: a leading U+FEFF (BOM) is sent and kept by the decoder', () => {
    const body = bodyOf({ type: 'ERROR', code: 1, text: '\uFEFFhi' })
    expect(body.toString('hex')).toBe('02' + '0001' + '0005' + 'efbbbf' + '6869')
    expect(decodeBody(body)).toStrictEqual({ type: 'ERROR', code: 1, text: '\uFEFFhi' })
    for (const text of ['\uFEFF', '\uFEFF\uFEFFhi', '\uFEFF日本語', '\uFEFF\u{1F600}']) {
      for (const code of [0, 1, 0xffff]) roundTrip({ type: 'ERROR', code, text })
    }
  })

  it('PING, PONG and GET_CLIENTS', () => {
    roundTrip({ type: 'PING' })
    roundTrip({ type: 'PONG' })
    roundTrip({ type: 'GET_CLIENTS' })
  })

  it.each(ENDPOINT_TYPES)('%s with IPv4, IPv6 and mapped addresses, ports 1 and 65535', (type) => {
    for (const [ip, canonical] of IPS) {
      for (const port of PORTS) {
        const frame = roundTrip({ type, endpoint: { ip, port } } as Message, { type, endpoint: { ip: canonical, port } } as Message)
        // family 4 → 8-byte body, family 6 → 20-byte body
        expect(frame.readUInt32BE(0)).toBe(canonical.includes(':') ? 20 : 8)
        expect(frame[5]).toBe(canonical.includes(':') ? 6 : 4)
        expect(frame.readUInt16BE(frame.length - 2)).toBe(port)
      }
    }
  })

  it('USER_OFF with every reason, IPv4 and IPv6', () => {
    for (const reason of ['log-off', 'connection-lost', 'timeout', 'removed'] as const) {
      for (const [ip, canonical] of IPS) {
        for (const port of PORTS) {
          roundTrip({ type: 'USER_OFF', endpoint: { ip, port }, id: ID0, reason }, { type: 'USER_OFF', endpoint: { ip: canonical, port }, id: ID0, reason })
        }
      }
    }
  })

  it('an empty CLIENT_LIST', () => {
    const frame = roundTrip({ type: 'CLIENT_LIST', clients: [] })
    expect(frame.length).toBe(4 + 1 + 4)
  })

  it('a CLIENT_LIST of 1000 mixed IPv4/IPv6 entries, order preserved', () => {
    const input: Endpoint[] = []
    const expected: Endpoint[] = []
    const entry = (endpoint: Endpoint, i: number) => ({ endpoint, id: Buffer.alloc(32, i & 0xff), name: `device ${i}` })
    for (let i = 0; i < 1000; i++) {
      const port = i === 0 ? 1 : i === 999 ? 65535 : 1 + ((i * 7919) % 65535)
      if (i % 3 === 0) {
        const g6 = (0x100 + (i >> 8)).toString(16)
        const g7 = (i & 0xff).toString(16)
        input.push({ ip: `2001:DB8:0:0:0:0:${g6.toUpperCase()}:${g7.toUpperCase()}`, port })
        expected.push({ ip: `2001:db8::${g6}:${g7}`, port })
      } else if (i % 3 === 1) {
        input.push({ ip: `::ffff:10.${i >> 8}.${i & 0xff}.1`, port })
        expected.push({ ip: `10.${i >> 8}.${i & 0xff}.1`, port })
      } else {
        input.push({ ip: `192.168.${i >> 8}.${(i & 0xff) || 1}`, port })
        expected.push({ ip: `192.168.${i >> 8}.${(i & 0xff) || 1}`, port })
      }
    }
    const frame = roundTrip({ type: 'CLIENT_LIST', clients: input.map(entry) }, { type: 'CLIENT_LIST', clients: expected.map(entry) })
    expect(frame.readUInt32BE(5)).toBe(1000)
  })

  it('a CLIENT_LIST that fills a frame of exactly MAX_FRAME_BYTES; one more entry is refused', () => {
    // An entry = endpoint (7 IPv4 / 19 IPv6) + 32 (ID) + 2 + n (an n-byte name): 41 + n / 53 + n
    // bytes, so 42 / 54 with one-byte names. Those alone cannot add up to the limit (42 and 54 are
    // multiples of 6, MAX_FRAME_BYTES - 5 is not): the first entry's name takes the remainder.
    // body = 1 (type) + 4 (count) + 42·a + 54·b + extra = MAX_FRAME_BYTES
    const a = 9
    const b = Math.floor((MAX_FRAME_BYTES - 5 - 42 * a) / 54)
    const extra = MAX_FRAME_BYTES - 5 - 42 * a - 54 * b
    expect(extra).toBeGreaterThan(0)
    expect(1 + extra).toBeLessThanOrEqual(MAX_DEVICE_NAME_BYTES)
    const clients: ClientEntry[] = []
    const id = Buffer.alloc(32, 9)
    for (let i = 0; i < a; i++) clients.push({ endpoint: { ip: `10.0.0.${i + 1}`, port: 1 + i }, id, name: i === 0 ? 'n'.repeat(1 + extra) : 'n' })
    for (let i = 0; i < b; i++) clients.push({ endpoint: { ip: `2001:db8::${(i >> 12) + 1}:${(i & 0xfff).toString(16)}`, port: 1 + (i % 65535) }, id, name: 'n' })
    const frame = encodeMessage({ type: 'CLIENT_LIST', clients })
    expect(frame.readUInt32BE(0)).toBe(MAX_FRAME_BYTES)
    const bodies = new FrameDecoder().push(frame)
    expect(bodies).toHaveLength(1)
    const decoded = decodeBody(bodies[0]!)
    if (decoded.type !== 'CLIENT_LIST') throw new Error(`decoded a ${decoded.type}`)
    expect(decoded.clients).toHaveLength(clients.length)
    for (const i of [0, 1, a - 1, a, a + 1, a + 4096, a + b - 1]) expect(decoded.clients[i]).toStrictEqual(clients[i])
    // (a deep-equal of 19 000 entries is slow; the byte-exact re-encoding covers every entry)
    expect(encodeMessage(decoded).equals(frame)).toBe(true)

    expect(() => encodeMessage({ type: 'CLIENT_LIST', clients: [...clients, clients[0]!] })).toThrow(RangeError)
  })
})

describe('the encoder refuses what it cannot send', () => {
  it('ports outside 1..65535 or not integers (RangeError)', () => {
    for (const port of [0, -1, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => encodeMessage({ type: 'LOG_ON', endpoint: { ip: '10.0.0.1', port } })).toThrow(RangeError)
      expect(() => encodeMessage({ type: 'CLIENT_LIST', clients: [{ endpoint: { ip: '::1', port }, id: ID0, name: 'n' }] })).toThrow(RangeError)
    }
  })

  it('text that is not an IP (ProtocolError bad-address)', () => {
    for (const ip of ['', 'localhost', '1.2.3.256', '10.0.0', 'fe80::1%eth0', '[::1]']) {
      expectProtocolError(() => encodeMessage({ type: 'USER_ON', endpoint: { ip, port: 1 }, id: ID0, name: 'n' }), 'bad-address')
    }
  })

  it('ERROR text over 65535 UTF-8 bytes (RangeError)', () => {
    expect(() => encodeMessage({ type: 'ERROR', code: 1, text: 'a'.repeat(0x10000) })).toThrow(RangeError)
    expect(() => encodeMessage({ type: 'ERROR', code: 1, text: 'é'.repeat(0x8000) })).toThrow(RangeError)
  })

  const hello = (name: string): Message => ({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 1000, name })

  it('HELLO whose name is empty, over MAX_DEVICE_NAME_BYTES or holds a control character (RangeError)', () => {
    for (const name of ['', 'a'.repeat(MAX_DEVICE_NAME_BYTES + 1), 'é'.repeat(33), 'a\nb', 'tab\there', '\u0085']) {
      expect(() => encodeMessage(hello(name)), JSON.stringify(name)).toThrow(RangeError)
    }
    expect(decodeBody(encodeMessage(hello('a'.repeat(MAX_DEVICE_NAME_BYTES))).subarray(4))).toStrictEqual(hello('a'.repeat(MAX_DEVICE_NAME_BYTES)))
  })

  it('a device ID that is not 32 bytes, a JOIN token that is neither 0 nor 16 bytes (RangeError)', () => {
    for (const n of [0, 16, 31, 33]) {
      expect(() => encodeMessage({ type: 'USER_OFF', endpoint: { ip: '10.0.0.1', port: 1 }, id: Buffer.alloc(n), reason: 'log-off' })).toThrow(RangeError)
    }
    for (const n of [1, 15, 17, 32]) expect(() => encodeMessage({ type: 'JOIN', token: Buffer.alloc(n) })).toThrow(RangeError)
  })
})

// ---------------------------------------------------------------------------------------------

const LOG_ON = MessageType.LOG_ON
const v4 = (ip: string) => ip.split('.').map(Number)
/** A device ID and a name as a CLIENT_LIST / USER_ON entry carries them after its endpoint. */
const idAndName = (id: Buffer = ID0, name = 'n') => Buffer.concat([id, u16(Buffer.byteLength(name)), Buffer.from(name)])
/** A whole CLIENT_LIST entry: endpoint, device ID, name. */
const clientBytes = (family: number, address: number[] | Buffer, port: number) => Buffer.concat([endpointBytes(family, address, port), idAndName()])
const helloBody = (patch: { magic?: Buffer; version?: number; role?: number; nameLength?: number; name?: Buffer } = {}) =>
  Buffer.concat([
    Buffer.from([MessageType.HELLO]),
    patch.magic ?? HELLO_MAGIC,
    u16(patch.version ?? PROTOCOL_VERSION),
    Buffer.from([patch.role ?? 2]),
    u32(1000),
    u16(patch.nameLength ?? patch.name?.length ?? 4),
    patch.name ?? Buffer.from('name'),
  ])

describe('malformed bodies give the right ProtocolError code', () => {
  it('an empty body is bad-frame', () => {
    expectProtocolError(() => decodeBody(Buffer.alloc(0)), 'bad-frame')
  })

  it('every type byte that is not a message type is unknown-type (alone or with a payload)', () => {
    const known = new Set<number>(Object.values(MessageType))
    let unknown = 0
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue
      unknown++
      const e = expectProtocolError(() => decodeBody(Buffer.from([t])), 'unknown-type')
      expect(e).toBeInstanceOf(Error)
      expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([t]), endpointBytes(4, [10, 0, 0, 1], 1)])), 'unknown-type')
    }
    expect(unknown).toBe(256 - known.size)
  })

  it('every truncation of every message type is bad-frame', () => {
    const samples = [...sampleMessages(), { type: 'CLIENT_LIST', clients: [{ endpoint: { ip: '10.0.0.1', port: 1 }, id: ID0, name: 'n' }] } as Message]
    for (const message of samples) {
      if (OPEN_ENDED_TYPES.has(message.type)) continue
      const body = bodyOf(message)
      for (let n = 0; n < body.length; n++) {
        expectProtocolError(() => decodeBody(body.subarray(0, n)), 'bad-frame')
      }
    }
  })

  it('a frame whose length prefix stops short of its fields is bad-frame after framing', () => {
    const body = bodyOf({ type: 'LOG_ON', endpoint: { ip: '2001:db8::1', port: 9 } })
    const short = Buffer.concat([u32(10), body.subarray(0, 10)])
    const bodies = new FrameDecoder().push(short)
    expect(bodies).toHaveLength(1)
    expectProtocolError(() => decodeBody(bodies[0]!), 'bad-frame')
  })

  it('trailing bytes after the last field of every message type are bad-frame', () => {
    for (const message of sampleMessages()) {
      if (OPEN_ENDED_TYPES.has(message.type)) continue
      const body = bodyOf(message)
      for (const extra of [Buffer.from([0]), Buffer.from([0xff]), Buffer.alloc(10, 1), body]) {
        expectProtocolError(() => decodeBody(Buffer.concat([body, extra])), 'bad-frame')
      }
    }
  })

  it('an address family other than 4 or 6 is bad-address', () => {
    for (const family of [0, 1, 5, 7, 46, 255]) {
      for (const addr of [[10, 0, 0, 1], Array(16).fill(1) as number[]]) {
        expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([LOG_ON]), endpointBytes(family, addr, 80)])), 'bad-address')
      }
      // refused on the family byte itself, however little follows
      expectProtocolError(() => decodeBody(Buffer.from([LOG_ON, family])), 'bad-address')
    }
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(2), clientBytes(4, [1, 2, 3, 4], 1), clientBytes(5, [1, 2, 3, 4], 1)])),
      'bad-address',
    )
  })

  const unusable: Array<[string, number, number[]]> = [
    ['0.0.0.0', 4, [0, 0, 0, 0]],
    ['224.0.0.1', 4, v4('224.0.0.1')],
    ['239.255.255.250', 4, v4('239.255.255.250')],
    ['240.0.0.1', 4, v4('240.0.0.1')],
    ['255.255.255.255', 4, v4('255.255.255.255')],
    ['::', 6, Array(16).fill(0) as number[]],
    ['ff02::1', 6, [0xff, 0x02, ...Array(13).fill(0), 1]],
    ['ff05::1:3', 6, [0xff, 0x05, ...Array(11).fill(0), 1, 0, 3]],
    ['ff00::', 6, [0xff, 0x00, ...Array(14).fill(0)]],
    ['ffff:ffff:…:ffff', 6, Array(16).fill(0xff) as number[]],
    ['::ffff:0.0.0.0 sent as family 6', 6, [...Array(10).fill(0), 0xff, 0xff, 0, 0, 0, 0]],
    ['::ffff:224.0.0.1 sent as family 6', 6, [...Array(10).fill(0), 0xff, 0xff, 224, 0, 0, 1]],
  ]

  it.each(unusable)('the unreachable address %s is bad-address in every endpoint-carrying message', (_name, family, addr) => {
    for (const type of ENDPOINT_TYPES) {
      expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([MessageType[type]]), endpointBytes(family, addr, 4000)])), 'bad-address')
    }
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([MessageType.USER_ON]), clientBytes(family, addr, 4000)])), 'bad-address')
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(family, addr, 4000), ID0, Buffer.from([0])])),
      'bad-address',
    )
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(2), clientBytes(4, [10, 0, 0, 1], 1), clientBytes(family, addr, 4000)])),
      'bad-address',
    )
  })

  it('port 0 is bad-address for IPv4 and IPv6', () => {
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([LOG_ON]), endpointBytes(4, [10, 0, 0, 1], 0)])), 'bad-address')
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([LOG_ON]), endpointBytes(6, [0x20, 0x01, ...Array(13).fill(0), 1], 0)])), 'bad-address')
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(4, [10, 0, 0, 1], 0), ID0, Buffer.from([1])])),
      'bad-address',
    )
  })

  it('a mapped IPv4 address sent as family 6 is accepted and reported as IPv4', () => {
    const body = Buffer.concat([Buffer.from([LOG_ON]), endpointBytes(6, [...Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1], 7)])
    expect(decodeBody(body)).toStrictEqual({ type: 'LOG_ON', endpoint: { ip: '10.0.0.1', port: 7 } })
  })

  it('invalid UTF-8 in ERROR text is bad-frame', () => {
    const invalid = [
      [0xff],
      [0xfe],
      [0x80], // lone continuation byte
      [0xc3], // truncated two-byte sequence
      [0x61, 0xe6, 0x97], // truncated three-byte sequence at the end
      [0xc0, 0xaf], // overlong '/'
      [0xe0, 0x80, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // UTF-16 surrogate D800 encoded
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xf8, 0x88, 0x80, 0x80, 0x80], // five-byte form
    ]
    for (const bytes of invalid) {
      const body = Buffer.concat([Buffer.from([MessageType.ERROR]), u16(6), u16(bytes.length), Buffer.from(bytes)])
      expectProtocolError(() => decodeBody(body), 'bad-frame')
    }
  })

  it('ERROR whose text length runs past the frame is bad-frame', () => {
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([MessageType.ERROR]), u16(1), u16(10), Buffer.from('abc')])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([MessageType.ERROR]), u16(1), u16(0xffff)])), 'bad-frame')
  })

  it('HELLO with the wrong magic is bad-frame', () => {
    expect(decodeBody(helloBody()).type).toBe('HELLO') // the baseline is valid
    for (const magic of ['DBSX', 'dbsy', 'YSBD', '\0\0\0\0', 'HTTP']) {
      expectProtocolError(() => decodeBody(helloBody({ magic: Buffer.from(magic, 'latin1') })), 'bad-frame')
    }
  })

  it('HELLO of another protocol version is version-mismatch', () => {
    for (const version of [0, 1, 2, 3, 0x100, 0xffff].filter((v) => v !== PROTOCOL_VERSION)) {
      const error = expectProtocolError(() => decodeBody(helloBody({ version })), 'version-mismatch')
      expect(error.message).toContain(String(version))
    }
  })

  it('HELLO with an unknown role is bad-frame', () => {
    for (const role of [0, 3, 0x7f, 0xff]) expectProtocolError(() => decodeBody(helloBody({ role })), 'bad-frame')
  })

  it('HELLO whose name is empty, over MAX_DEVICE_NAME_BYTES, not UTF-8, or holds a control character is bad-frame', () => {
    expect(decodeBody(helloBody({ name: Buffer.alloc(MAX_DEVICE_NAME_BYTES, 0x61) })).type).toBe('HELLO')
    for (const name of [Buffer.alloc(0), Buffer.alloc(MAX_DEVICE_NAME_BYTES + 1, 0x61), Buffer.from([0xff]), Buffer.from('a\u0007b'), Buffer.from('\u009b')]) {
      expectProtocolError(() => decodeBody(helloBody({ name })), 'bad-frame')
    }
    expectProtocolError(() => decodeBody(helloBody({ nameLength: 5, name: Buffer.from('ab') })), 'bad-frame')
  })

  it('JOIN with a token neither 0 nor 16 bytes long is bad-frame', () => {
    for (const n of [1, 15, 17, 32]) {
      expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([MessageType.JOIN]), u16(n), Buffer.alloc(n)])), 'bad-frame')
    }
  })

  it('CLIENT_LIST announcing a huge count in a small frame is refused up front', () => {
    const entry = clientBytes(4, [10, 0, 0, 1], 1)
    for (const [count, entries] of [
      [0xffffffff, 0],
      [0xffffffff, 1],
      [0x7fffffff, 3],
      [1_000_000, 3],
    ] as const) {
      const body = Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(count), ...Array<Buffer>(entries).fill(entry)])
      const error = expectProtocolError(() => decodeBody(body), 'bad-frame')
      // The up-front size check fired (it names the count), not a failure inside some entry.
      expect(error.message).toContain(String(count))
    }
  })

  it('CLIENT_LIST whose count disagrees with its entries is bad-frame', () => {
    const entry = clientBytes(4, [10, 0, 0, 1], 1)
    const list = (count: number, n: number) => Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(count), ...Array<Buffer>(n).fill(entry)])
    const decoded = { endpoint: { ip: '10.0.0.1', port: 1 }, id: ID0, name: 'n' }
    expect(decodeBody(list(2, 2))).toStrictEqual({ type: 'CLIENT_LIST', clients: [decoded, decoded] })
    expectProtocolError(() => decodeBody(list(3, 2)), 'bad-frame')
    expectProtocolError(() => decodeBody(list(1, 2)), 'bad-frame')
    expectProtocolError(() => decodeBody(list(0, 1)), 'bad-frame')
  })

  it('USER_OFF with an unknown or missing reason is bad-frame', () => {
    const head = Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(4, [10, 0, 0, 1], 1), ID0])
    for (const reason of [4, 5, 0x80, 0xff]) expectProtocolError(() => decodeBody(Buffer.concat([head, Buffer.from([reason])])), 'bad-frame')
    expectProtocolError(() => decodeBody(head), 'bad-frame')
    // a USER_OFF without its device ID: the reason byte is read as the ID's first byte, and short
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(4, [10, 0, 0, 1], 1), Buffer.from([2])])), 'bad-frame')
    expect(decodeBody(Buffer.concat([head, Buffer.from([2])]))).toStrictEqual({
      type: 'USER_OFF',
      endpoint: { ip: '10.0.0.1', port: 1 },
      id: ID0,
      reason: 'timeout',
    })
    expect(decodeBody(Buffer.concat([head, Buffer.from([3])]))).toMatchObject({ type: 'USER_OFF', reason: 'removed' })
  })

  it('errors are ProtocolError instances, also Errors, carrying a message', () => {
    const error = expectProtocolError(() => decodeBody(Buffer.from([0x99])), 'unknown-type')
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error.message).toMatch(/0x99/)
  })
})

it('frameOf helper frames a body like the encoder does', () => {
  const frame = encodeMessage({ type: 'PING' })
  expect(hex(frameOf(frame.subarray(4)))).toBe(hex(frame))
})

/** The version of "hi\n" (PROTOCOL.md §12.8; doc-examples.test.ts computes it), the one in §13's folder examples. */
const HI_VERSION = Buffer.from('acea92b4ea653912cf97faf103f19c9ac8ebf0f1f08595afbb994614b803d511', 'hex')

describe('the worked examples of docs/PROTOCOL.md §13', () => {
  const examples: Array<[string, Message, string]> = [
    [
      '13.1 HELLO from a client',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'alice' },
      '000000130144425359' + VERSION_HEX + '02000000000005616c696365',
    ],
    [
      '13.2 HELLO from the server',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'server', heartbeatMs: 5000, name: 'server' },
      '000000140144425359' + VERSION_HEX + '01000013880006736572766572',
    ],
    ['13.3 LOG_ON 127.0.0.1:40001', { type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: 40001 } }, '0000000810047f0000019c41'],
    ['13.3 LOG_ON ::ffff:127.0.0.1:40001', { type: 'LOG_ON', endpoint: { ip: '::ffff:127.0.0.1', port: 40001 } }, '0000000810047f0000019c41'],
    ['13.4 LOG_ON [::1]:40001', { type: 'LOG_ON', endpoint: { ip: '::1', port: 40001 } }, '000000141006000000000000000000000000000000019c41'],
    [
      '13.5 CLIENT_LIST with two entries',
      {
        type: 'CLIENT_LIST',
        clients: [
          { endpoint: { ip: '192.168.1.20', port: 40002 }, id: ID0, name: 'bob' },
          { endpoint: { ip: '2001:db8::7', port: 40003 }, id: createHash('sha256').update('dropbox-sync').digest(), name: 'carol' },
        ],
      },
      '0000006b150000000204c0a801149c42' + ID0_HEX + '0003626f620620010db80000000000000000000000079c43' +
        'ad16fc009533fe29fb1cc56f5078e13bcb6e762323bdaf8ba2146d63f2d5a0c7' + '00056361726f6c',
    ],
    ['13.5 empty CLIENT_LIST', { type: 'CLIENT_LIST', clients: [] }, '000000051500000000'],
    [
      '13.6 USER_OFF timeout',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.20', port: 40002 }, id: ID0, reason: 'timeout' },
      '000000291704c0a801149c42' + ID0_HEX + '02',
    ],
    [
      '13.6 USER_ON',
      { type: 'USER_ON', endpoint: { ip: '192.168.1.20', port: 40002 }, id: ID0, name: 'bob' },
      '0000002d1604c0a801149c42' + ID0_HEX + '0003626f62',
    ],
    ['13.11 JOIN without a token', { type: 'JOIN', token: Buffer.alloc(0) }, '00000003190000'],
    [
      '13.11 JOIN with an invite token',
      { type: 'JOIN', token: Buffer.from([...Array(16).keys()].map((i) => 0xa0 + i)) },
      '00000013190010a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
    ],
    ['13.11 JOIN_OK', { type: 'JOIN_OK' }, '000000011a'],
    ['13.11 JOIN_PENDING', { type: 'JOIN_PENDING' }, '000000011b'],
    [
      '13.7 ERROR duplicate',
      { type: 'ERROR', code: 7, text: '127.0.0.1:40001 is already logged on by another client' },
      '0000003b02000700363132372e302e302e313a343030303120697320616c7265616479206c6f67676564206f6e20627920616e6f7468657220636c69656e74',
    ],
    ['13.8 PING', { type: 'PING' }, '0000000103'],
    ['13.8 PONG', { type: 'PONG' }, '0000000104'],
    ['13.8 GET_CLIENTS', { type: 'GET_CLIENTS' }, '0000000114'],
    [
      '13.19 GET_FILES',
      { type: 'GET_FILES', files: [{ path: 'docs/a.txt', version: null }, { path: 'b.bin', version: HI_VERSION }] },
      '000000382c0002000a646f63732f612e747874000005622e62696e01' + HI_VERSION.toString('hex'),
    ],
    [
      '13.19 FILES',
      { type: 'FILES', last: true, records: [{ status: 'content', version: HI_VERSION, data: Buffer.from('hi\n') }, { status: 'up-to-date' }] },
      '0000002d2d01000200' + HI_VERSION.toString('hex') + '0000000368690a01',
    ],
    [
      '13.19 FILES, the other statuses',
      { type: 'FILES', last: true, records: [{ status: 'not-found' }, { status: 'too-large' }, { status: 'abort', reason: 'gone' }] },
      '0000000d2d0100030203040004676f6e65',
    ],
  ]

  it.each(examples)('%s', (_name, message, expectedHex) => {
    expect(hex(encodeMessage(message))).toBe(expectedHex)
    const result = feed([Buffer.from(expectedHex, 'hex')])
    expect(result.error).toBeNull()
    expect(result.messages).toHaveLength(1)
    expect(hex(encodeMessage(result.messages[0]!))).toBe(expectedHex)
  })

  it.each([
    ['00000000', 'bad-frame'],
    ['00100001', 'frame-too-large'],
    // 0x20 and 0x21 were IDENTIFY and IDENTIFY_OK until version 4: unknown types now
    ['00000001' + '20', 'unknown-type'],
    ['00000008' + '20' + '04c0a801149c42', 'unknown-type'],
    ['00000001' + '21', 'unknown-type'],
    ['00000001' + '00', 'unknown-type'],
    ['00000001' + 'ff', 'unknown-type'],
    ['000000020300', 'bad-frame'],
    ['0000000810047f0000010000', 'bad-address'],
    ['000000081004e000000109c4', 'bad-address'],
    ['00000029' + '17' + '047f0000019c41' + ID0_HEX + '04', 'bad-frame'],
    ['0000000515ffffffff', 'bad-frame'],
    ['00000006020007' + '0001ff', 'bad-frame'],
    ['0000001e0144425359' + (PROTOCOL_VERSION + 1).toString(16).padStart(4, '0') + '02' + '00'.repeat(16) + '00000000' + '0000', 'version-mismatch'],
    // a version-3 HELLO (node id and auth) is refused by its version, whatever follows
    ['0000001e0144425359' + '0003' + '02' + '00'.repeat(16) + '00000000' + '0000', 'version-mismatch'],
    // a version-4 HELLO (the same layout) is refused by its version too
    ['0000000f0144425359' + '0004' + '02' + '00000000' + '0001' + '61', 'version-mismatch'],
    // a FILE_LIST entry whose flags set a bit other than snapshot, and one of protocol 4 (no flags)
    ['00000032' + '23' + '01' + '00000001' + '000161' + '00'.repeat(32) + '0000000000000001' + '02', 'bad-frame'],
    ['00000031' + '23' + '01' + '00000001' + '000161' + '00'.repeat(32) + '0000000000000001', 'bad-frame'],
    // GET_BLOCKS of 0 blocks; BLOCK_LIST claiming 8193 hashes
    ['0000002a' + '31' + '000161' + '00'.repeat(32) + '00000000' + '0000', 'bad-frame'],
    ['00000039' + '30' + '000161' + '00'.repeat(32) + '0000000000000000' + '00020000' + '00000000' + '00002001' + '01', 'bad-frame'],
  ])('13.10 %s → %s', (bytes, code) => {
    const result = feed([Buffer.from(bytes, 'hex')])
    expect(result.messages).toEqual([])
    expect(result.error?.code).toBe(code)
  })
})

describe('a CLIENT_LIST from entries encoded once (the registry\'s way)', () => {
  it('is byte for byte the frame encodeMessage makes, for ASCII, non-ASCII and IPv6 entries alike', () => {
    const clients: ClientEntry[] = [
      { endpoint: { ip: '10.0.0.1', port: 1 }, id: Buffer.alloc(32, 1), name: 'laptop' },
      { endpoint: { ip: '2001:db8::7', port: 65535 }, id: Buffer.alloc(32, 2), name: 'Zoë’s Mac — büro' },
      { endpoint: { ip: '::ffff:192.168.1.9', port: 9 }, id: Buffer.alloc(32, 3), name: '日本' },
      { endpoint: { ip: '223.255.255.254', port: 80 }, id: Buffer.alloc(32, 4), name: '~'.repeat(MAX_DEVICE_NAME_BYTES) },
    ]
    for (let n = 0; n <= clients.length; n++) {
      const some = clients.slice(0, n)
      const frame = encodeClientList(some.map(encodeClientEntry))
      expect(hex(frame)).toBe(hex(encodeMessage({ type: 'CLIENT_LIST', clients: some })))
      const decoded = decodeBody(frame.subarray(4))
      if (decoded.type !== 'CLIENT_LIST') throw new Error(`decoded a ${decoded.type}`)
      expect(decoded.clients.map((c) => c.name)).toStrictEqual(some.map((c) => c.name))
    }
  })

  it('an entry the encoder cannot send is refused when it is encoded', () => {
    expect(() => encodeClientEntry({ endpoint: { ip: '10.0.0.1', port: 1 }, id: Buffer.alloc(32), name: 'tab\there' })).toThrow(RangeError)
    expect(() => encodeClientEntry({ endpoint: { ip: '10.0.0.1', port: 0 }, id: Buffer.alloc(32), name: 'n' })).toThrow(RangeError)
  })
})
