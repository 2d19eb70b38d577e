// An invite: `dbs1-` and lower-case base32 of a binary payload and 4 bytes of its SHA-256, so a
// typo is caught as such (never read as another, unknown token). Layout in docs/PROTOCOL.md §16.3.
import { createHash } from 'node:crypto'
import { decodeBase32, encodeBase32 } from '../../../shared/base32'
import { DEVICE_ID_BYTES } from '../../../shared/device-id'
import { ipv4ToBytes, ipv6FromBytes, ipv6ToBytes } from '../protocol/address'
import { checkInviteAddress, type InviteAddress } from './invite-address'

export const INVITE_PREFIX = 'dbs1-'
export const TOKEN_BYTES = 16
export const MAX_INVITE_ADDRESSES = 16
const CHECKSUM_BYTES = 4

const KIND_NAME = 0
const KIND_IPV4 = 4
const KIND_IPV6 = 6

export interface Invite {
  addresses: InviteAddress[]
  /** The server's device ID (32 bytes): the client pins it. */
  serverId: Uint8Array
  /** Single use, random. */
  token: Uint8Array
  /** Unix seconds; the invite is refused from this second on. */
  expires: number
}

export type InviteProblem = 'not-an-invite' | 'newer-version' | 'mistyped' | 'expired'
export type DecodedInvite = { ok: true; invite: Invite } | { ok: false; problem: InviteProblem; message: string }

/** What is kept of a token (the server's `invites.json`, a client's `server.json`): its SHA-256, hex. */
export function inviteTokenHash(token: Uint8Array): string {
  return createHash('sha256').update(token).digest('hex')
}

export function encodeInvite(invite: Invite): string {
  const { addresses, serverId, token, expires } = invite
  if (serverId.length !== DEVICE_ID_BYTES) throw new RangeError(`the server ID must be ${DEVICE_ID_BYTES} bytes`)
  if (token.length !== TOKEN_BYTES) throw new RangeError(`the token must be ${TOKEN_BYTES} bytes`)
  if (!Number.isInteger(expires) || expires < 0 || expires > 0xffffffff) throw new RangeError('the expiry must be unix seconds that fit 32 bits')
  if (addresses.length < 1 || addresses.length > MAX_INVITE_ADDRESSES) throw new RangeError(`an invite holds 1 to ${MAX_INVITE_ADDRESSES} addresses`)
  const parts: Uint8Array[] = [serverId, token, u32(expires), Uint8Array.of(addresses.length)]
  for (const raw of addresses) {
    const address = checkInviteAddress(raw)
    if (typeof address === 'string') throw new RangeError(address)
    parts.push(...addressBytes(address), u16(address.port))
  }
  const payload = Buffer.concat(parts)
  return INVITE_PREFIX + encodeBase32(Buffer.concat([payload, checksum(payload)])).toLowerCase()
}

/** Reads an invite pasted by a person; `now` in unix seconds. White space anywhere and case are ignored. */
export function decodeInvite(text: string, now: number): DecodedInvite {
  const compact = text.replace(/\s+/g, '').toLowerCase()
  if (!compact.startsWith(INVITE_PREFIX)) {
    if (/^dbs[2-9]\d*-/.test(compact)) return fail('newer-version', 'this invite was made by a newer version of dropbox-sync; update this one')
    return fail('not-an-invite', `not an invite: an invite starts with ${INVITE_PREFIX}`)
  }
  const bytes = decodeBase32(compact.slice(INVITE_PREFIX.length).toUpperCase())
  const mistyped = fail('mistyped', 'this invite is mistyped (a character is wrong, missing or extra): copy it again')
  if (!bytes || bytes.length <= CHECKSUM_BYTES) return mistyped
  const payload = bytes.subarray(0, bytes.length - CHECKSUM_BYTES)
  if (!Buffer.from(checksum(payload)).equals(bytes.subarray(payload.length))) return mistyped
  const invite = readPayload(Buffer.from(payload))
  // The checksum matched, so this is what was made: a payload that does not parse was made wrong.
  if (!invite) return fail('not-an-invite', 'not an invite that dropbox-sync can read (its contents are malformed)')
  if (now >= invite.expires) {
    return fail('expired', `this invite expired ${new Date(invite.expires * 1000).toISOString()}; ask for a new one`)
  }
  return { ok: true, invite }
}

function readPayload(payload: Buffer): Invite | null {
  let at = 0
  const take = (n: number): Buffer | null => {
    if (at + n > payload.length) return null
    at += n
    return payload.subarray(at - n, at)
  }
  const serverId = take(DEVICE_ID_BYTES)
  const token = take(TOKEN_BYTES)
  const expires = take(4)?.readUInt32BE(0)
  const count = take(1)?.[0]
  if (!serverId || !token || expires === undefined || !count || count > MAX_INVITE_ADDRESSES) return null
  const addresses: InviteAddress[] = []
  for (let i = 0; i < count; i++) {
    const kind = take(1)?.[0]
    let host: string | undefined
    if (kind === KIND_IPV4) host = take(4)?.join('.')
    else if (kind === KIND_IPV6) host = mapOrNull(take(16), ipv6FromBytes)
    else if (kind === KIND_NAME) host = mapOrNull(take(take(1)?.[0] ?? 0), (b) => b.toString('latin1'))
    const port = take(2)?.readUInt16BE(0)
    if (host === undefined || port === undefined) return null
    const address = checkInviteAddress({ host, port })
    if (typeof address === 'string') return null
    addresses.push(address)
  }
  if (at !== payload.length) return null
  return { addresses, serverId: Uint8Array.from(serverId), token: Uint8Array.from(token), expires }
}

function addressBytes({ host }: InviteAddress): Uint8Array[] {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return [Uint8Array.of(KIND_IPV4), ipv4ToBytes(host)]
  if (host.includes(':')) return [Uint8Array.of(KIND_IPV6), ipv6ToBytes(host)]
  return [Uint8Array.of(KIND_NAME, host.length), Buffer.from(host, 'latin1')]
}

function checksum(payload: Uint8Array): Uint8Array {
  return createHash('sha256').update(payload).digest().subarray(0, CHECKSUM_BYTES)
}

function mapOrNull<T>(bytes: Buffer | null, map: (bytes: Buffer) => T): T | undefined {
  return bytes && bytes.length > 0 ? map(bytes) : undefined
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

function fail(problem: InviteProblem, message: string): DecodedInvite {
  return { ok: false, problem, message }
}
