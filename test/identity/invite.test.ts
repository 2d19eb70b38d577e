// Invites: one pasteable string carrying the server's addresses, its device ID, a single-use
// token and an expiry; any one-character change is refused as mistyped, never misread.
import { describe, expect, it } from 'vitest'
import { decodeInvite, encodeInvite, INVITE_PREFIX, type Invite } from '../../src/main/engine/identity/invite'
import { parseInviteAddress } from '../../src/main/engine/identity/invite-address'
import { BASE32_ALPHABET } from '../../src/shared/base32'

const COUNTING = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff)
const NOW = 1_800_000_000

const invite: Invite = {
  addresses: [
    { host: '192.168.1.20', port: 4000 },
    { host: 'fd00::20', port: 4000 },
    { host: 'nas.local', port: 4000 },
  ],
  serverId: COUNTING(32),
  token: COUNTING(16, 0xa0),
  expires: NOW + 24 * 3600,
}

describe('encodeInvite / decodeInvite', () => {
  it('a worked example: exact text, and back', () => {
    const text = encodeInvite({ addresses: [{ host: '192.168.1.20', port: 4000 }], serverId: COUNTING(32), token: COUNTING(16, 0xa0), expires: 1_800_086_400 })
    expect(text).toBe(WORKED_EXAMPLE)
    expect(text.startsWith(INVITE_PREFIX)).toBe(true)
    const decoded = decodeInvite(text, NOW)
    expect(decoded.ok && decoded.invite.addresses).toEqual([{ host: '192.168.1.20', port: 4000 }])
  })

  it('round trips IPv4, IPv6 and host names', () => {
    const decoded = decodeInvite(encodeInvite(invite), NOW)
    if (!decoded.ok) expect.fail(decoded.message)
    expect(decoded.invite.addresses).toEqual(invite.addresses)
    expect(Buffer.from(decoded.invite.serverId)).toEqual(Buffer.from(invite.serverId))
    expect(Buffer.from(decoded.invite.token)).toEqual(Buffer.from(invite.token))
    expect(decoded.invite.expires).toBe(invite.expires)
  })

  it('survives upper case, surrounding white space and a line break inside (as chat programs wrap it)', () => {
    const text = encodeInvite(invite)
    for (const pasted of [text.toUpperCase(), `  ${text}\n`, `${text.slice(0, 40)}\n${text.slice(40)}`]) {
      expect(decodeInvite(pasted, NOW).ok, pasted).toBe(true)
    }
  })

  it('refuses every single-character change of a real invite', () => {
    const text = encodeInvite(invite)
    const chars = [...new Set([...BASE32_ALPHABET.toLowerCase(), ...'dbs1-0189'])]
    let changes = 0
    for (let i = 0; i < text.length; i++) {
      for (const c of chars) {
        if (c === text[i]) continue
        const changed = text.slice(0, i) + c + text.slice(i + 1)
        const decoded = decodeInvite(changed, NOW)
        expect(decoded.ok, changed).toBe(false)
        if (!decoded.ok && i >= INVITE_PREFIX.length) expect(decoded.problem, changed).toBe('mistyped')
        changes++
      }
    }
    expect(changes).toBeGreaterThan(text.length * 31)
  })

  it('refuses a missing or an extra character as mistyped', () => {
    const text = encodeInvite(invite)
    for (let i = INVITE_PREFIX.length; i < text.length; i++) {
      const dropped = decodeInvite(text.slice(0, i) + text.slice(i + 1), NOW)
      expect(!dropped.ok && dropped.problem).toBe('mistyped')
      const doubled = decodeInvite(text.slice(0, i) + text[i] + text.slice(i), NOW)
      expect(!doubled.ok && doubled.problem).toBe('mistyped')
    }
  })

  it.each([
    ['empty', '', 'not-an-invite'],
    ['a device ID', 'AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS', 'not-an-invite'],
    ['a URL', 'https://example.com/', 'not-an-invite'],
    ['the prefix alone', 'dbs1-', 'mistyped'],
    ['a later version', 'dbs2-aaaa', 'newer-version'],
  ])('refuses %s', (_name, text, problem) => {
    const decoded = decodeInvite(text, NOW)
    expect(!decoded.ok && decoded.problem).toBe(problem)
    expect(!decoded.ok && decoded.message).not.toContain('\n')
  })

  it('refuses an expired invite, from its expiry on', () => {
    const text = encodeInvite(invite)
    expect(decodeInvite(text, invite.expires - 1).ok).toBe(true)
    const decoded = decodeInvite(text, invite.expires)
    expect(!decoded.ok && decoded.problem).toBe('expired')
    expect(!decoded.ok && decoded.message).toMatch(/expired .*ask for a new one/)
  })

  it.each([
    ['no address', { ...invite, addresses: [] }],
    ['17 addresses', { ...invite, addresses: Array(17).fill({ host: '10.0.0.1', port: 1 }) }],
    ['port 0', { ...invite, addresses: [{ host: '10.0.0.1', port: 0 }] }],
    ['a host name with a space', { ...invite, addresses: [{ host: 'my nas', port: 1 }] }],
    ['a short server ID', { ...invite, serverId: COUNTING(31) }],
    ['a short token', { ...invite, token: COUNTING(8) }],
  ])('will not encode %s', (_name, bad) => {
    expect(() => encodeInvite(bad)).toThrow(RangeError)
  })
})

describe('parseInviteAddress', () => {
  it.each([
    ['192.168.1.20:4000', { host: '192.168.1.20', port: 4000 }],
    ['[fd00::20]:4000', { host: 'fd00::20', port: 4000 }],
    ['[FD00:0:0::20]:1', { host: 'fd00::20', port: 1 }],
    ['[::ffff:10.0.0.1]:5', { host: '10.0.0.1', port: 5 }],
    ['NAS.local:65535', { host: 'nas.local', port: 65535 }],
  ])('%s', (text, address) => {
    expect(parseInviteAddress(text)).toEqual(address)
  })

  it.each(['192.168.1.20', 'fd00::20:4000', 'host:0', 'host:65536', ':4000', 'my nas:4000', '[nas]:4000', '0.0.0.0:4000'])('refuses %s', (text) => {
    expect(typeof parseInviteAddress(text)).toBe('string')
  })
})

// Checked against Python's base64.b32encode and hashlib over the same payload bytes.
const WORKED_EXAMPLE = 'dbs1-aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp2bincuoskljvhvcu2vk5mvwxk622leoaacbgavaarid5ahpfppbq'
