// IP addresses as bytes and back, without touching a socket. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d, what a dual-stack socket reports) are treated as the IPv4 they carry.
import { isIPv4, isIPv6 } from 'node:net'
import { ProtocolError } from './errors'

export function ipv4ToBytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map((part) => Number(part)))
}

export function ipv6ToBytes(ip: string): Buffer {
  let text = ip
  const bytes = Buffer.alloc(16)
  // A dotted IPv4 tail becomes the last two groups.
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (tail.includes('.')) {
    const v4 = ipv4ToBytes(tail)
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined]
  const headGroups = head ? head.split(':') : []
  const tailGroups = rest === undefined ? [] : rest ? rest.split(':') : []
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2))
  return bytes
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) shortened to `::`. */
export function ipv6FromBytes(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2))
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

function isMappedIPv4(bytes: Buffer): boolean {
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
}

/** The canonical text of an address a socket reports, or throws for anything that is not an IP. */
export function normalizeIp(ip: string): string {
  if (isIPv4(ip)) return ipv4ToBytes(ip).join('.')
  if (isIPv6(ip) && !ip.includes('%')) {
    const bytes = ipv6ToBytes(ip)
    return isMappedIPv4(bytes) ? Array.from(bytes.subarray(12)).join('.') : ipv6FromBytes(bytes)
  }
  throw new ProtocolError('bad-address', `"${ip}" is not an IPv4 or IPv6 address`)
}

/** Why this address cannot name a reachable node, or null when it can. */
export function unusableAddressReason(ip: string): string | null {
  if (ip === '::') return 'the unspecified address cannot be reached'
  if (isIPv4(ip)) return unusableIpv4(ipv4ToBytes(ip), 0)
  // Node compiles its IPv6 pattern on first use, tens of milliseconds: IPv4 peers never pay it.
  if (isIPv6(ip) && ipv6ToBytes(ip)[0] === 0xff) return 'multicast addresses cannot be reached'
  return null
}

/** unusableAddressReason for the IPv4 address whose four bytes start at `at` (a frame reads them in place). */
export function unusableIpv4(b: Uint8Array, at: number): string | null {
  if (b[at] === 0 && b[at + 1] === 0 && b[at + 2] === 0 && b[at + 3] === 0) return 'the unspecified address cannot be reached'
  return b[at]! >= 224 ? 'multicast and reserved addresses cannot be reached' : null
}
