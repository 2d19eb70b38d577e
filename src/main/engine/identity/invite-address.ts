// An address a server puts in an invite: an IP literal or a host name, with a port. Checked here
// so an invite never carries what a client could not dial.
import { isIP } from 'node:net'
import { normalizeIp, unusableAddressReason } from '../protocol/address'

export interface InviteAddress {
  host: string
  port: number
}

/** A DNS name: letters, digits, hyphens and dots, 253 characters at most. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

/** The address in its one spelling (IPs canonical, names lower case), or why it cannot be used. */
export function checkInviteAddress(address: InviteAddress): InviteAddress | string {
  const { host, port } = address
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `the port must be from 1 to 65535, not ${port}`
  if (isIP(host)) {
    const ip = normalizeIp(host)
    const unusable = unusableAddressReason(ip)
    return unusable ? `${host}: ${unusable}` : { host: ip, port }
  }
  if (!HOST_NAME.test(host) || /^[\d.]+$/.test(host)) return `"${host}" is neither an IP address nor a host name`
  return { host: host.toLowerCase().replace(/\.$/, ''), port }
}

/** `HOST:PORT` or `[IPv6]:PORT`; the address, or why not as one line. */
export function parseInviteAddress(text: string): InviteAddress | string {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim())
  if (!match) return `"${text}" is not HOST:PORT (an IPv6 address goes in brackets: [fd00::20]:4000)`
  const host = match[1] ?? match[2]!
  if (match[1] !== undefined && isIP(host) !== 6) return `"${host}" in brackets is not an IPv6 address`
  return checkInviteAddress({ host, port: Number(match[3]) })
}

export function formatInviteAddress({ host, port }: InviteAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
