// Where an invite says the server is, when `--address` is not given: this machine's addresses on
// its networks, then 127.0.0.1, all with the port in the config folder's saved server settings.
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import type { InviteAddress } from '../main/engine/identity/invite-address'


/** The app's settings file in the config folder (conf's `config.json`), read without conf. */
const SETTINGS_FILE = 'config.json'

/** The listening port saved for a server in the config folder, or null when none is known. */
export function savedServerPort(configDir: string): number | null {
  try {
    const settings = JSON.parse(readFileSync(path.join(configDir, SETTINGS_FILE), 'utf8')) as { role?: unknown; port?: unknown }
    const port = settings.port
    return settings.role === 'server' && Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535 ? (port as number) : null
  } catch {
    return null
  }
}

/** IPv4 first, then IPv6 (link-local left out: it needs an interface name to be dialled), then loopback. */
export function localAddresses(port: number, max: number): InviteAddress[] {
  const v4: string[] = []
  const v6: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) {
      if (address.internal) continue
      if (address.family === 'IPv4') v4.push(address.address)
      else if (!/^fe[89ab]/i.test(address.address)) v6.push(address.address)
    }
  }
  const hosts = [...new Set([...v4, ...v6])].slice(0, max - 1)
  return [...hosts, '127.0.0.1'].map((host) => ({ host, port }))
}
