// The addresses other machines can use to reach this one: what the empty Peers screen tells the
// user to enter on the other machines.
import { networkInterfaces } from 'node:os'

export function reachableAddresses(): string[] {
  const found: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue
      // Link-local IPv6 needs a zone id nobody types; skip it.
      if (info.family === 'IPv6' && info.address.toLowerCase().startsWith('fe80')) continue
      found.push(info.address)
    }
  }
  // IPv4 first: it is what people type.
  return found.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')))
}
