// The app command's flag values, kept apart from the app itself so that parsing them does not
// load the web server, the settings store and their packages (the CLI starts faster).
import { homedir } from 'node:os'
import path from 'node:path'

/** Where the desktop app (Electron's userData for "dropbox-sync") keeps its settings; shared with it. */
export function defaultConfigDir(): string {
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Application Support', 'dropbox-sync')
  if (process.platform === 'win32') return path.join(process.env['APPDATA'] ?? path.join(homedir(), 'AppData', 'Roaming'), 'dropbox-sync')
  return path.join(process.env['XDG_CONFIG_HOME'] || path.join(homedir(), '.config'), 'dropbox-sync')
}

/** `[HOST:]PORT`, IPv6 in brackets; the host defaults to loopback. Returns why not, as a string, when invalid. */
export function parseUiAddress(value: string): { host: string; port: number } | string {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim())
  const port = match ? Number(match[2]) : NaN
  if (!match || port > 65535) return 'expected [HOST:]PORT, e.g. 8080 or 127.0.0.1:8080 (0 picks a free port).'
  const host = match[1] ? match[1].replace(/^\[|\]$/g, '') : '127.0.0.1'
  return { host, port }
}
