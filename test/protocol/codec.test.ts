// The message codec: exact wire bytes, round trips of every message type, encoder refusals and
// the ProtocolError code for each kind of malformed body.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { HELLO_MAGIC, MAX_AUTH_BYTES, MAX_FRAME_BYTES, MessageType, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { ProtocolError } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import { OPEN_ENDED_TYPES, bodyOf, endpointBytes, expectProtocolError, feed, frameOf, sampleMessages } from './support'

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

const ENDPOINT_TYPES = ['LOG_ON', 'LOG_ON_OK', 'LOG_OFF', 'LOG_OFF_OK', 'USER_ON', 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', 'IDENTIFY'] as const

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
    ['USER_ON', { type: 'USER_ON', endpoint: { ip: '1.2.3.4', port: 1 } }, '00000008' + '16' + '04' + '01020304' + '0001'],
    [
      'USER_OFF timeout',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 65535 }, reason: 'timeout' },
      '00000009' + '17' + '04' + 'c0a80102' + 'ffff' + '02',
    ],
    [
      'USER_OFF log-off',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 1 }, reason: 'log-off' },
      '00000009' + '17' + '04' + 'c0a80102' + '0001' + '00',
    ],
    [
      'USER_OFF connection-lost',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.2', port: 1 }, reason: 'connection-lost' },
      '00000009' + '17' + '04' + 'c0a80102' + '0001' + '01',
    ],
    [
      'ERROR_IP_PORT_NOT_FOUND_IN_LIST',
      { type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint: { ip: '1.2.3.4', port: 1 } },
      '00000008' + '18' + '04' + '01020304' + '0001',
    ],
    ['ERROR', { type: 'ERROR', code: 3, text: 'hé' }, '00000008' + '02' + '0003' + '0003' + '68c3a9'],
    ['empty CLIENT_LIST', { type: 'CLIENT_LIST', clients: [] }, '00000005' + '15' + '00000000'],
    [
      'CLIENT_LIST of two',
      { type: 'CLIENT_LIST', clients: [{ ip: '10.0.0.1', port: 1 }, { ip: '2001:db8::1', port: 2 }] },
      '0000001f' + '15' + '00000002' + '04' + '0a000001' + '0001' + '06' + '20010db8000000000000000000000001' + '0002',
    ],
    [
      'HELLO',
      {
        type: 'HELLO',
        version: PROTOCOL_VERSION,
        role: 'client',
        nodeId: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
        heartbeatMs: 5000,
        auth: Buffer.alloc(0),
      },
      '0000001e' + '01' + hex(Buffer.from('DBSY')) + VERSION_HEX + '02' + '000102030405060708090a0b0c0d0e0f' + '00001388' + '0000',
    ],
    [
      'HELLO server with auth',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'server', nodeId: Buffer.alloc(16, 0xee), heartbeatMs: 0xffffffff, auth: Buffer.from([9, 8]) },
      '00000020' + '01' + '44425359' + VERSION_HEX + '01' + 'ee'.repeat(16) + 'ffffffff' + '0002' + '0908',
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
  it('HELLO with a random 16-byte nodeId, both roles, boundary heartbeats', () => {
    for (const role of ['server', 'client'] as const) {
      for (const heartbeatMs of [0, 1, 15_000, 0xffffffff]) {
        const frame = roundTrip({ type: 'HELLO', version: PROTOCOL_VERSION, role, nodeId: randomBytes(16), heartbeatMs, auth: Buffer.alloc(0) })
        expect(frame.length).toBe(4 + 30)
      }
    }
  })

  it('HELLO with an auth blob of 1 and of MAX_AUTH_BYTES bytes', () => {
    const base = { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId: randomBytes(16), heartbeatMs: 10 } as const
    roundTrip({ ...base, auth: Buffer.from([0]) })
    roundTrip({ ...base, auth: randomBytes(MAX_AUTH_BYTES) })
  })

  it('a decoded HELLO owns its nodeId and auth (no aliasing of the frame buffer)', () => {
    const nodeId = Buffer.from('00112233445566778899aabbccddeeff', 'hex')
    const body = bodyOf({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId, heartbeatMs: 1, auth: Buffer.from([7, 7]) })
    const decoded = decodeBody(body)
    body.fill(0xaa)
    expect(decoded).toStrictEqual({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId, heartbeatMs: 1, auth: Buffer.from([7, 7]) })
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
    for (const reason of ['log-off', 'connection-lost', 'timeout'] as const) {
      for (const [ip, canonical] of IPS) {
        for (const port of PORTS) {
          roundTrip({ type: 'USER_OFF', endpoint: { ip, port }, reason }, { type: 'USER_OFF', endpoint: { ip: canonical, port }, reason })
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
    const frame = roundTrip({ type: 'CLIENT_LIST', clients: input }, { type: 'CLIENT_LIST', clients: expected })
    expect(frame.readUInt32BE(5)).toBe(1000)
  })

  it('a CLIENT_LIST that fills a frame of exactly MAX_FRAME_BYTES; one more entry is refused', () => {
    // body = 1 (type) + 4 (count) + 7·a (IPv4) + 19·b (IPv6) = MAX_FRAME_BYTES with a = 8
    const a = 8
    const b = (MAX_FRAME_BYTES - 5 - 7 * a) / 19
    expect(Number.isInteger(b)).toBe(true)
    const clients: Endpoint[] = []
    for (let i = 0; i < a; i++) clients.push({ ip: `10.0.0.${i + 1}`, port: 1 + i })
    for (let i = 0; i < b; i++) clients.push({ ip: `2001:db8::${(i >> 12) + 1}:${(i & 0xfff).toString(16)}`, port: 1 + (i % 65535) })
    const frame = encodeMessage({ type: 'CLIENT_LIST', clients })
    expect(frame.readUInt32BE(0)).toBe(MAX_FRAME_BYTES)
    const bodies = new FrameDecoder().push(frame)
    expect(bodies).toHaveLength(1)
    const decoded = decodeBody(bodies[0]!)
    if (decoded.type !== 'CLIENT_LIST') throw new Error(`decoded a ${decoded.type}`)
    expect(decoded.clients).toHaveLength(clients.length)
    for (const i of [0, 1, a - 1, a, a + 1, a + 4096, a + b - 1]) expect(decoded.clients[i]).toStrictEqual(clients[i])
    // (a deep-equal of 55 000 entries is slow; the byte-exact re-encoding covers every entry)
    expect(encodeMessage(decoded).equals(frame)).toBe(true)

    expect(() => encodeMessage({ type: 'CLIENT_LIST', clients: [...clients, { ip: '10.0.0.1', port: 1 }] })).toThrow(RangeError)
  })
})

describe('the encoder refuses what it cannot send', () => {
  it('ports outside 1..65535 or not integers (RangeError)', () => {
    for (const port of [0, -1, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => encodeMessage({ type: 'LOG_ON', endpoint: { ip: '10.0.0.1', port } })).toThrow(RangeError)
      expect(() => encodeMessage({ type: 'CLIENT_LIST', clients: [{ ip: '::1', port }] })).toThrow(RangeError)
    }
  })

  it('text that is not an IP (ProtocolError bad-address)', () => {
    for (const ip of ['', 'localhost', '1.2.3.256', '10.0.0', 'fe80::1%eth0', '[::1]']) {
      expectProtocolError(() => encodeMessage({ type: 'USER_ON', endpoint: { ip, port: 1 } }), 'bad-address')
    }
  })

  it('ERROR text over 65535 UTF-8 bytes (RangeError)', () => {
    expect(() => encodeMessage({ type: 'ERROR', code: 1, text: 'a'.repeat(0x10000) })).toThrow(RangeError)
    expect(() => encodeMessage({ type: 'ERROR', code: 1, text: 'é'.repeat(0x8000) })).toThrow(RangeError)
  })

  it('HELLO auth over 65535 bytes (RangeError)', () => {
    expect(() =>
      encodeMessage({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId: Buffer.alloc(16), heartbeatMs: 0, auth: Buffer.alloc(0x10000) }),
    ).toThrow(RangeError)
  })

  const hello = (patch: { nodeId?: Buffer; auth?: Buffer }): Message => ({
    type: 'HELLO',
    version: PROTOCOL_VERSION,
    role: 'client',
    nodeId: patch.nodeId ?? Buffer.alloc(16, 1),
    heartbeatMs: 1000,
    auth: patch.auth ?? Buffer.alloc(0),
  })

  it('HELLO whose nodeId is not 16 bytes (RangeError)', () => {
    for (const n of [0, 1, 15, 17, 32]) {
      expect(() => encodeMessage(hello({ nodeId: Buffer.alloc(n, 2) })), `nodeId of ${n} bytes`).toThrow(RangeError)
    }
    expect(decodeBody(encodeMessage(hello({ nodeId: Buffer.alloc(16, 2) })).subarray(4))).toStrictEqual(hello({ nodeId: Buffer.alloc(16, 2) }))
  })

  it('HELLO auth over MAX_AUTH_BYTES (RangeError); MAX_AUTH_BYTES itself is sent and accepted', () => {
    for (const n of [MAX_AUTH_BYTES + 1, MAX_AUTH_BYTES + 2, 0x8000, 0xffff]) {
      expect(() => encodeMessage(hello({ auth: Buffer.alloc(n, 3) })), `auth of ${n} bytes`).toThrow(RangeError)
    }
    for (const n of [0, 1, MAX_AUTH_BYTES - 1, MAX_AUTH_BYTES]) {
      const message = hello({ auth: Buffer.alloc(n, 3) })
      const result = feed([encodeMessage(message)])
      expect(result.error).toBeNull()
      expect(result.messages).toStrictEqual([message])
    }
  })
})

// ---------------------------------------------------------------------------------------------

const LOG_ON = MessageType.LOG_ON
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n, 0)
  return b
}
const u16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n, 0)
  return b
}
const v4 = (ip: string) => ip.split('.').map(Number)
const helloBody = (patch: { magic?: Buffer; version?: number; role?: number; authLength?: number; auth?: Buffer } = {}) =>
  Buffer.concat([
    Buffer.from([MessageType.HELLO]),
    patch.magic ?? HELLO_MAGIC,
    u16(patch.version ?? PROTOCOL_VERSION),
    Buffer.from([patch.role ?? 2]),
    Buffer.alloc(16, 1),
    u32(1000),
    u16(patch.authLength ?? patch.auth?.length ?? 0),
    patch.auth ?? Buffer.alloc(0),
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
    const samples = [...sampleMessages(), { type: 'CLIENT_LIST', clients: [{ ip: '10.0.0.1', port: 1 }] } as Message]
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
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(2), endpointBytes(4, [1, 2, 3, 4], 1), endpointBytes(5, [1, 2, 3, 4], 1)])),
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
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(family, addr, 4000), Buffer.from([0])])),
      'bad-address',
    )
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(2), endpointBytes(4, [10, 0, 0, 1], 1), endpointBytes(family, addr, 4000)])),
      'bad-address',
    )
  })

  it('port 0 is bad-address for IPv4 and IPv6', () => {
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([LOG_ON]), endpointBytes(4, [10, 0, 0, 1], 0)])), 'bad-address')
    expectProtocolError(() => decodeBody(Buffer.concat([Buffer.from([LOG_ON]), endpointBytes(6, [0x20, 0x01, ...Array(13).fill(0), 1], 0)])), 'bad-address')
    expectProtocolError(
      () => decodeBody(Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(4, [10, 0, 0, 1], 0), Buffer.from([1])])),
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

  it('HELLO with an auth blob over MAX_AUTH_BYTES is bad-frame, even when the bytes are present', () => {
    expect(decodeBody(helloBody({ auth: Buffer.alloc(MAX_AUTH_BYTES, 3) })).type).toBe('HELLO')
    expectProtocolError(() => decodeBody(helloBody({ auth: Buffer.alloc(MAX_AUTH_BYTES + 1, 3) })), 'bad-frame')
    expectProtocolError(() => decodeBody(helloBody({ authLength: 0xffff, auth: Buffer.alloc(0xffff) })), 'bad-frame')
    expectProtocolError(() => decodeBody(helloBody({ authLength: 5, auth: Buffer.alloc(2) })), 'bad-frame')
  })

  it('CLIENT_LIST announcing a huge count in a small frame is refused up front', () => {
    const entry = endpointBytes(4, [10, 0, 0, 1], 1)
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
    const entry = endpointBytes(4, [10, 0, 0, 1], 1)
    const list = (count: number, n: number) => Buffer.concat([Buffer.from([MessageType.CLIENT_LIST]), u32(count), ...Array<Buffer>(n).fill(entry)])
    expect(decodeBody(list(2, 2))).toStrictEqual({ type: 'CLIENT_LIST', clients: [{ ip: '10.0.0.1', port: 1 }, { ip: '10.0.0.1', port: 1 }] })
    expectProtocolError(() => decodeBody(list(3, 2)), 'bad-frame')
    expectProtocolError(() => decodeBody(list(1, 2)), 'bad-frame')
    expectProtocolError(() => decodeBody(list(0, 1)), 'bad-frame')
  })

  it('USER_OFF with an unknown or missing reason is bad-frame', () => {
    const head = Buffer.concat([Buffer.from([MessageType.USER_OFF]), endpointBytes(4, [10, 0, 0, 1], 1)])
    for (const reason of [3, 4, 0x80, 0xff]) expectProtocolError(() => decodeBody(Buffer.concat([head, Buffer.from([reason])])), 'bad-frame')
    expectProtocolError(() => decodeBody(head), 'bad-frame')
    expect(decodeBody(Buffer.concat([head, Buffer.from([2])]))).toStrictEqual({
      type: 'USER_OFF',
      endpoint: { ip: '10.0.0.1', port: 1 },
      reason: 'timeout',
    })
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

/** The SHA-256 of "hi\n", the version in §13's folder examples. */
const HI_VERSION = Buffer.from('98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4', 'hex')

describe('the worked examples of docs/PROTOCOL.md §13', () => {
  const examples: Array<[string, Message, string]> = [
    [
      '13.1 HELLO from a client',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId: Buffer.from('00112233445566778899aabbccddeeff', 'hex'), heartbeatMs: 0, auth: Buffer.alloc(0) },
      '0000001e0144425359' + VERSION_HEX + '0200112233445566778899aabbccddeeff000000000000',
    ],
    [
      '13.2 HELLO from the server',
      { type: 'HELLO', version: PROTOCOL_VERSION, role: 'server', nodeId: Buffer.from('ffeeddccbbaa99887766554433221100', 'hex'), heartbeatMs: 5000, auth: Buffer.alloc(0) },
      '0000001e0144425359' + VERSION_HEX + '01ffeeddccbbaa99887766554433221100000013880000',
    ],
    ['13.3 LOG_ON 127.0.0.1:40001', { type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: 40001 } }, '0000000810047f0000019c41'],
    ['13.3 LOG_ON ::ffff:127.0.0.1:40001', { type: 'LOG_ON', endpoint: { ip: '::ffff:127.0.0.1', port: 40001 } }, '0000000810047f0000019c41'],
    ['13.4 LOG_ON [::1]:40001', { type: 'LOG_ON', endpoint: { ip: '::1', port: 40001 } }, '000000141006000000000000000000000000000000019c41'],
    [
      '13.5 CLIENT_LIST with two entries',
      { type: 'CLIENT_LIST', clients: [{ ip: '192.168.1.20', port: 40002 }, { ip: '2001:db8::7', port: 40003 }] },
      '0000001f150000000204c0a801149c420620010db80000000000000000000000079c43',
    ],
    ['13.5 empty CLIENT_LIST', { type: 'CLIENT_LIST', clients: [] }, '000000051500000000'],
    [
      '13.6 USER_OFF timeout',
      { type: 'USER_OFF', endpoint: { ip: '192.168.1.20', port: 40002 }, reason: 'timeout' },
      '000000091704c0a801149c4202',
    ],
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
    // (the doc's `00 00 00 01 20` → unknown-type no longer holds: 0x20 is now IDENTIFY)
    ['00000001' + '00', 'unknown-type'],
    ['00000001' + 'ff', 'unknown-type'],
    ['000000020300', 'bad-frame'],
    ['0000000810047f0000010000', 'bad-address'],
    ['000000081004e000000109c4', 'bad-address'],
    ['00000009170' + '47f0000019c4103', 'bad-frame'],
    ['0000000515ffffffff', 'bad-frame'],
    ['00000006020007' + '0001ff', 'bad-frame'],
    ['0000001e0144425359' + (PROTOCOL_VERSION + 1).toString(16).padStart(4, '0') + '02' + '00'.repeat(16) + '00000000' + '0000', 'version-mismatch'],
  ])('13.10 %s → %s', (bytes, code) => {
    const result = feed([Buffer.from(bytes, 'hex')])
    expect(result.messages).toEqual([])
    expect(result.error?.code).toBe(code)
  })
})
