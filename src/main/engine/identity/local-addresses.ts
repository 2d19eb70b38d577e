// Where an invite says the server is when no address is given: this machine's addresses on its
// networks, then 127.0.0.1, all with the server's port. Shared by the CLI's `invite` and the app.
import { networkInterfaces } from 'node:os'
import { checkInviteAddress, type InviteAddress } from './invite-address'

/** IPv4 first, then IPv6 (link-local left out: it needs an interface name to be dialled), then loopback. */
export function localAddresses(port: number, max: number, hosts: readonly string[] = machineAddresses()): InviteAddress[] {
  const usable = hosts.filter((host) => !/^fe[89ab]/i.test(host) && host !== '127.0.0.1' && typeof checkInviteAddress({ host, port }) !== 'string')
  const v4 = usable.filter((host) => !host.includes(':'))
  const v6 = usable.filter((host) => host.includes(':'))
  const chosen = [...new Set([...v4, ...v6])].slice(0, max - 1)
  return [...chosen, '127.0.0.1'].map((host) => ({ host, port }))
}

/** Every non-loopback address of this machine's interfaces. */
export function machineAddresses(): string[] {
  const found: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (!address.internal) found.push(address.address)
  }
  return found
}
