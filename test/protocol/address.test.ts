// address.ts: IP text ⇄ bytes, the canonical text (RFC 5952, mapped IPv4 as IPv4), and which
// addresses cannot name a reachable node.
import { isIPv6 } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, normalizeIp, unusableAddressReason } from '../../src/main/engine/protocol/address'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { MessageType } from '../../src/main/engine/protocol/constants'
import { ProtocolError } from '../../src/main/engine/protocol/errors'
import {
  FC_RUNS,
  bytesFromGroups,
  endpointBytes,
  expectProtocolError,
  groupsArb,
  groupsFromBytes,
  ipv6TextArb,
  isMapped,
  refCanonical,
  refRfc5952,
} from './support'

describe('normalizeIp', () => {
  it.each([
    // IPv4
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['10.20.30.40', '10.20.30.40'],
    // IPv6, RFC 5952
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1::', '1::'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs (PROTOCOL.md §2)
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // the longer run wins, even when later
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is never shortened
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['FE80::1:2', 'fe80::1:2'],
    ['fe80::0001:0002', 'fe80::1:2'],
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    ['2001:db8:85a3:0:0:8a2e:370:7334', '2001:db8:85a3::8a2e:370:7334'],
    // IPv4-mapped → the IPv4
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['::ffff:a00:1', '10.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', '127.0.0.1'],
    ['0000:0000:0000:0000:0000:FFFF:192.168.1.1', '192.168.1.1'],
    ['::ffff:0.0.0.0', '0.0.0.0'],
    ['::ffff:255.255.255.255', '255.255.255.255'],
    // dotted tails that are not mapped stay IPv6 (no dotted tail in the output)
    ['::1.2.3.4', '::102:304'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['::fffe:10.0.0.1', '::fffe:a00:1'],
    ['0:0:0:0:1:ffff:10.0.0.1', '::1:ffff:a00:1'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected)
    expect(normalizeIp(expected)).toBe(expected) // idempotent
  })

  it.each([
    '',
    'localhost',
    'example.com',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.256',
    '01.2.3.4', // leading zero: ambiguous (octal in some parsers)
    '1.2.3.-1',
    ' 1.2.3.4',
    '1.2.3.4 ',
    ' ::1',
    '1.2.3.4:80',
    '[::1]',
    '[::1]:80',
    ':::',
    '::1::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2:3:4:5:6:7:8',
    '12345::1',
    'gggg::1',
    '::ffff:1.2.3.4.5',
    '::ffff:256.0.0.1',
    'fe80::1%eth0', // a zone is not part of an address here
    'fe80::1%1',
    '0x7f.0.0.1',
  ])('%j is not an IP: ProtocolError bad-address', (input) => {
    const error = expectProtocolError(() => normalizeIp(input), 'bad-address')
    expect(error).toBeInstanceOf(ProtocolError)
  })

  it('property: every spelling of an IPv6 address normalizes to the reference canonical text', () => {
    fc.assert(
      fc.property(
        groupsArb.chain((groups) => fc.tuple(fc.constant(groups), ipv6TextArb(groups))),
        ([groups, text]) => {
          expect(isIPv6(text)).toBe(true) // the generator makes only valid spellings
          const canonical = normalizeIp(text)
          expect(canonical).toBe(refCanonical(groups))
          expect(normalizeIp(canonical)).toBe(canonical)
          expect(canonical).toBe(canonical.toLowerCase())
          if (isMapped(groups)) expect(canonical).not.toContain(':')
          else expect(canonical).not.toContain('.')
        },
      ),
      { numRuns: FC_RUNS },
    )
  })

  it('property: IPv4 text is returned as is, and its mapped form as the IPv4', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (octets) => {
        const text = octets.join('.')
        expect(normalizeIp(text)).toBe(text)
        expect(normalizeIp(`::ffff:${text}`)).toBe(text)
        expect(normalizeIp(`::ffff:${((octets[0] << 8) | octets[1]).toString(16)}:${((octets[2] << 8) | octets[3]).toString(16)}`)).toBe(text)
        expect([...ipv4ToBytes(text)]).toEqual(octets)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('property: arbitrary strings are either an IP (normalized, idempotent) or bad-address, nothing else', () => {
    const ipish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%[] '), maxLength: 45 })
    fc.assert(
      fc.property(fc.oneof(ipish, fc.string()), (text) => {
        let canonical: string
        try {
          canonical = normalizeIp(text)
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError)
          expect((error as ProtocolError).code).toBe('bad-address')
          return
        }
        expect(normalizeIp(canonical)).toBe(canonical)
      }),
      { numRuns: FC_RUNS },
    )
  })
})

describe('ipv6ToBytes / ipv6FromBytes', () => {
  it('known values', () => {
    expect(ipv6ToBytes('::1').toString('hex')).toBe('00000000000000000000000000000001')
    expect(ipv6ToBytes('::').toString('hex')).toBe('0'.repeat(32))
    expect(ipv6ToBytes('2001:db8::7').toString('hex')).toBe('20010db8000000000000000000000007')
    expect(ipv6ToBytes('::ffff:10.0.0.1').toString('hex')).toBe('00000000000000000000ffff0a000001')
    expect(ipv6ToBytes('FE80::1:2').toString('hex')).toBe('fe800000000000000000000000010002')
    expect(ipv6FromBytes(Buffer.from('20010db8000000000000000000000007', 'hex'))).toBe('2001:db8::7')
    expect(ipv6FromBytes(Buffer.from('00000000000000000000ffff0a000001', 'hex'))).toBe('::ffff:a00:1')
    expect(ipv6FromBytes(Buffer.alloc(16, 0xff))).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')
    expect(ipv6FromBytes(Buffer.alloc(16))).toBe('::')
  })

  it('property: 16 random bytes → text → the same 16 bytes; the text is RFC 5952', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      groupsArb.map((g) => new Uint8Array(bytesFromGroups(g))), // zero runs of every shape
    )
    fc.assert(
      fc.property(bytesArb, (raw) => {
        const bytes = Buffer.from(raw)
        const text = ipv6FromBytes(bytes)
        expect(isIPv6(text)).toBe(true)
        expect(text).toBe(refRfc5952(groupsFromBytes(bytes)))
        expect(text).toBe(text.toLowerCase())
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/) // no leading zeros in a group
        expect(text.split('::').length).toBeLessThanOrEqual(2)
        const back = ipv6ToBytes(text)
        expect(back.length).toBe(16)
        expect(back.equals(bytes)).toBe(true)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('property: every valid spelling parses to the same 16 bytes', () => {
    fc.assert(
      fc.property(
        groupsArb.chain((groups) => fc.tuple(fc.constant(groups), ipv6TextArb(groups))),
        ([groups, text]) => {
          expect(ipv6ToBytes(text).equals(bytesFromGroups(groups))).toBe(true)
        },
      ),
      { numRuns: FC_RUNS },
    )
  })

  it('ipv6FromBytes reads only the first 16 bytes of a view into a larger buffer', () => {
    const big = Buffer.alloc(40, 0xab)
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(big, 10)
    expect(ipv6FromBytes(big.subarray(10, 26))).toBe('2001:db8::1')
  })
})

describe('unusableAddressReason', () => {
  it.each(['10.0.0.1', '127.0.0.1', '1.0.0.0', '0.0.0.1', '223.255.255.255', '::1', '2001:db8::1', 'fe80::1:2', 'fd00::1', 'feff::1', '1::'])(
    '%s is usable',
    (ip) => {
      expect(unusableAddressReason(ip)).toBeNull()
    },
  )

  it.each([
    '0.0.0.0',
    '::',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '254.1.2.3',
    '255.255.255.255',
    'ff02::1',
    'ff05::1:3',
    'ff00::',
    'FF02::1',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ])('%s is not usable (with a reason)', (ip) => {
    const reason = unusableAddressReason(ip)
    expect(typeof reason).toBe('string')
    expect(reason!.length).toBeGreaterThan(0)
  })

  it('property: for canonical IPv4, unusable exactly when 0.0.0.0 or first octet ≥ 224', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (o) => {
        const unusable = o.every((x) => x === 0) || o[0] >= 224
        expect(unusableAddressReason(o.join('.')) !== null).toBe(unusable)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('property: for canonical IPv6, unusable exactly when :: or in ff00::/8', () => {
    fc.assert(
      fc.property(
        // groupArb is biased to the first groups whose text starts with "ff" (00ff, 0ff0..0fff)
        // and to the ff00 boundary, so both sides of ff00::/8 are covered.
        groupsArb.filter((g) => !isMapped(g)),
        (groups) => {
          const unusable = groups.every((g) => g === 0) || groups[0]! >= 0xff00
          expect(unusableAddressReason(refRfc5952(groups)) !== null).toBe(unusable)
        },
      ),
      { numRuns: FC_RUNS },
    )
  })

  it("'ff::1' (00ff::1), 'ff0::1' (0ff0::1) and 'fff::1' (0fff::1) are not multicast and are usable", () => {
    for (const ip of ['ff::1', '00ff::1', 'FF::1', 'ff0::1', '0ff0::1', 'fff::1', '0fff::1', 'FFF::1', 'ff::', 'fff:1:2:3:4:5:6:7', 'feff::1']) {
      expect(unusableAddressReason(ip), ip).toBeNull()
    }
    // ff00::/8 itself is still refused, however it is spelled
    for (const ip of ['ff00::', 'ff00::1', 'FF02::1', 'ff0e::1', 'ffff::', 'ff01:0:0:0:0:0:0:1']) {
      expect(unusableAddressReason(ip), ip).toEqual(expect.any(String))
    }
  })

  it('the codec carries ff::1, ff0::1 and fff::1 as peer addresses and still refuses ff00::/8', () => {
    const logOn = (address: string) => Buffer.concat([Buffer.from([MessageType.LOG_ON]), endpointBytes(6, Buffer.from(address, 'hex'), 5)])
    expect(decodeBody(logOn('00ff0000000000000000000000000001'))).toStrictEqual({ type: 'LOG_ON', endpoint: { ip: 'ff::1', port: 5 } })
    expect(decodeBody(logOn('0ff00000000000000000000000000001'))).toStrictEqual({ type: 'LOG_ON', endpoint: { ip: 'ff0::1', port: 5 } })
    expect(decodeBody(logOn('0fff0000000000000000000000000001'))).toStrictEqual({ type: 'LOG_ON', endpoint: { ip: 'fff::1', port: 5 } })
    expectProtocolError(() => decodeBody(logOn('ff000000000000000000000000000001')), 'bad-address')
    expectProtocolError(() => decodeBody(logOn('ff020000000000000000000000000001')), 'bad-address')
    const spellings: Array<[string, string]> = [
      ['ff::1', 'ff::1'],
      ['00FF:0:0:0:0:0:0:1', 'ff::1'],
      ['fff::1', 'fff::1'],
      ['0ff0::1', 'ff0::1'],
    ]
    for (const [input, canonical] of spellings) {
      const frame = encodeMessage({ type: 'LOG_ON', endpoint: { ip: input, port: 40001 } })
      expect(decodeBody(frame.subarray(4))).toStrictEqual({ type: 'LOG_ON', endpoint: { ip: canonical, port: 40001 } })
    }
  })
})
