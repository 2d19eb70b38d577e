// `dropbox-sync app --ui [HOST:]PORT`: the desktop app's main-process logic without Electron. The
// settings live in a folder (the desktop app's own by default), the engine runs in this process,
// and the same window is served to a browser with the bridge on a WebSocket.
import { homedir } from 'node:os'
import path from 'node:path'
import type { StatusEvent } from '../../../shared/contract'
import type { EngineEvent } from '../../../shared/events'
import { AppCore } from '../app-core'
import { openSettingsStore } from '../settings-store'
import { ensureRendererBuild, projectRoot } from './renderer-build'
import { UiServer } from './ui-server'

export interface HeadlessAppOptions {
  host: string
  port: number
  configDir: string
  json: boolean
  /** The engine's events, as the CLI prints them. */
  printEvent: (event: EngineEvent) => void
  /** One line of output on stdout (JSON when `json`). */
  writeLine: (line: string) => void
  /** Build output and diagnostics (stderr). */
  log: (text: string) => void
}

export interface HeadlessApp {
  url: string
  stop(): Promise<void>
}

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

function describeStatus(event: StatusEvent): string {
  const { state, role, message } = event.status
  return `app: ${role} ${state}${message ? `: ${message}` : ''}`
}

export async function runHeadlessApp(options: HeadlessAppOptions): Promise<HeadlessApp> {
  const rendererDir = await ensureRendererBuild(projectRoot(), options.log)
  const store = openSettingsStore(options.configDir)
  if (store.notice) options.log(`dropbox-sync: ${store.notice}\n`)
  const core = new AppCore({
    store,
    onEvent: (event) => {
      if (event.type !== 'status') options.printEvent(event)
      else options.writeLine(options.json ? JSON.stringify(event) : describeStatus(event))
    },
  })
  const ui = new UiServer({ backend: core, rendererDir, host: options.host, port: options.port })
  const { url } = await ui.start()
  options.writeLine(options.json ? JSON.stringify({ type: 'ui', url }) : `dropbox-sync app: open ${url}`)
  await core.start()
  return {
    url,
    stop: async () => {
      await ui.stop()
      await core.stop()
    },
  }
}
