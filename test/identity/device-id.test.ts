// Device IDs as people see them: base32 of the certificate hash in groups, each group carrying a
// check character, so that a typo is told apart from a device nobody knows.
import { describe, expect, it } from 'vitest'
import { decodeBase32, encodeBase32 } from '../../src/shared/base32'
import { DEVICE_ID_LENGTH, formatDeviceId, parseDeviceId, shortDeviceId } from '../../src/shared/device-id'

const COUNTING = Uint8Array.from({ length: 32 }, (_, i) => i)
// sha256("dropbox-sync"), an arbitrary hash-looking value.
const HASHED = Uint8Array.from(Buffer.from('ad16fc009533fe29fb1cc56f5078e13bcb6e762323bdaf8ba2146d63f2d5a0c7', 'hex'))

describe('base32 (RFC 4648, no padding)', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('the RFC\'s test vector %j is %j', (text, base32) => {
    expect(encodeBase32(new TextEncoder().encode(text))).toBe(base32)
    expect(new TextDecoder().decode(decodeBase32(base32)!)).toBe(text)
  })

  it('refuses characters outside the alphabet and non-zero unused bits, so each value has one spelling', () => {
    expect(decodeBase32('MZXW1')).toBeNull()
    expect(decodeBase32('MZ')).toBeNull() // 'f' is MY: Z sets bits past the last byte
    expect(decodeBase32('M')).toBeNull() // 5 bits are no byte
  })
})

describe('formatDeviceId', () => {
  it.each([
    ['bytes 0..31', COUNTING, 'AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS'],
    ['sha256("dropbox-sync")', HASHED, 'VULPYAE-VGP7CTL-6Y4YVXV-A6HBHPC-FW45RDE-O627C53-CCRWWH4-WVUDDQV'],
    ['all zero', new Uint8Array(32), 'AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA'],
  ])('%s', (_name, bytes, text) => {
    expect(formatDeviceId(bytes)).toBe(text)
    expect(text.replaceAll('-', '')).toHaveLength(DEVICE_ID_LENGTH)
    expect(Buffer.from(parseDeviceId(text).bytes!)).toEqual(Buffer.from(bytes))
  })

  it('the short form is the first group', () => {
    expect(shortDeviceId(COUNTING)).toBe('AAAQEAY')
  })

  it('refuses anything but 32 bytes', () => {
    expect(() => formatDeviceId(new Uint8Array(31))).toThrow(/32 bytes/)
  })
})

describe('parseDeviceId', () => {
  const id = formatDeviceId(HASHED)

  it.each([
    ['lower case', id.toLowerCase()],
    ['no dashes', id.replaceAll('-', '')],
    ['spaces instead of dashes', id.replaceAll('-', ' ')],
    ['surrounding white space', `  ${id}\n`],
  ])('accepts %s', (_name, text) => {
    expect(Buffer.from(parseDeviceId(text).bytes!)).toEqual(Buffer.from(HASHED))
  })

  it.each([
    ['empty', '', /wrong length/],
    ['one character short', id.slice(0, -1), /wrong length: 55/],
    ['one character too many', `${id}A`, /wrong length: 57/],
    ['a hex hash', Buffer.from(HASHED).toString('hex'), /wrong length: 64/],
    ['a digit base32 lacks', `${id.slice(0, -1)}1`, /'1' is not a device ID character/],
    ['a wrong check character', id.replace(/S$/, 'T').replace(/V$/, 'W'), /check character 4 does not match: a typo\?/],
  ])('refuses %s', (_name, text, message) => {
    const parsed = parseDeviceId(text)
    expect(parsed.bytes).toBeUndefined()
    expect(parsed.error).toMatch(message)
  })

  it('catches every single-character typo in a valid ID', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
    for (const bytes of [COUNTING, HASHED, new Uint8Array(32).fill(0xff)]) {
      const compact = formatDeviceId(bytes).replaceAll('-', '')
      let typos = 0
      for (let i = 0; i < compact.length; i++) {
        for (const c of alphabet) {
          if (c === compact[i]) continue
          const typo = compact.slice(0, i) + c + compact.slice(i + 1)
          const parsed = parseDeviceId(typo)
          expect(parsed.error, typo).toMatch(/does not match: a typo\?|not a device ID/)
          typos++
        }
      }
      expect(typos).toBe(56 * 31)
    }
  })

  it('catches every swap of two neighbours but A with 7 (values 0 and 31 weigh the same doubled)', () => {
    for (const bytes of [COUNTING, HASHED]) {
      const compact = formatDeviceId(bytes).replaceAll('-', '')
      for (let i = 0; i + 1 < compact.length; i++) {
        const pair = compact[i]! + compact[i + 1]!
        if (pair[0] === pair[1] || pair === 'A7' || pair === '7A') continue
        const swapped = compact.slice(0, i) + pair[1] + pair[0] + compact.slice(i + 2)
        expect(parseDeviceId(swapped).error, swapped).toBeDefined()
      }
    }
  })
})
