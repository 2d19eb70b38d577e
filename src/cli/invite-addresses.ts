// Where an invite says the server is, when `--address` is not given: this machine's addresses
// (the engine's localAddresses, shared with the app) with the port in the saved server settings.
import { readFileSync } from 'node:fs'
import path from 'node:path'

export { localAddresses } from '../main/engine/identity/local-addresses'

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
