// `dropbox-sync app --ui [HOST:]PORT`: the desktop app's main-process logic without Electron. The
// settings live in a folder (the desktop app's own by default), the engine runs in this process,
// and the same window is served to a browser with the bridge on a WebSocket.
import path from 'node:path'
import type { StatusEvent } from '../../../shared/contract'
import type { EngineEvent } from '../../../shared/events'
import { statusWords } from '../../../shared/status-words'
import { AppCore } from '../app-core'
import { openSettingsStore } from '../settings-store'
import { ensureRendererBuild, projectRoot } from './renderer-build'
import { loadUiToken } from './ui-token'
import { UiServer } from './ui-server'

export { defaultConfigDir, parseUiAddress } from './ui-address'

export interface HeadlessAppOptions {
  host: string
  port: number
  configDir: string
  /** Make a new token instead of the one kept in the config folder (the old one stops working). */
  newToken?: boolean
  json: boolean
  /** The engine's events, as the CLI prints them. */
  printEvent: (event: EngineEvent) => void
  /** One line of output on stdout (JSON when `json`). */
  writeLine: (line: string) => void
  /** Build output and diagnostics (stderr). */
  log: (text: string) => void
  /** The bundled transfer worker the client engine's threads run. */
  workerScript: string | URL
}

export interface HeadlessApp {
  url: string
  stop(): Promise<void>
  /** The line said once stopped: a client that was registered says it logged off, as the CLI's client does. */
  farewell(): string
}

/** The terminal says what the window's Activity says. */
function describeStatus(event: StatusEvent): string {
  return `app: ${statusWords(event.status)}`
}

export async function runHeadlessApp(options: HeadlessAppOptions): Promise<HeadlessApp> {
  const root = projectRoot()
  const rendererDir = await ensureRendererBuild(root, options.log)
  const store = openSettingsStore(options.configDir)
  if (store.notice) options.log(`dropbox-sync: ${store.notice}\n`)
  const core = new AppCore({
    store,
    engine: { workerScript: options.workerScript },
    onEvent: (event) => {
      // The member list goes to windows only; its changes are printed as their own events.
      if (event.type === 'members') return
      if (event.type !== 'status') options.printEvent(event)
      else options.writeLine(options.json ? JSON.stringify(event) : describeStatus(event))
    },
  })
  const token = await loadUiToken(options.configDir, options.newToken)
  const ui = new UiServer({ backend: core, rendererDir, host: options.host, port: options.port, token, iconFile: path.join(root, 'resources', 'icon.png') })
  const { url } = await ui.start()
  options.writeLine(options.json ? JSON.stringify({ type: 'ui', url }) : `dropbox-sync app: open ${url}`)
  await core.start()
  let loggedOffFrom: string | null = null
  return {
    url,
    stop: async () => {
      // Read before the stop: a stopped engine is no longer connected.
      const { role, connected, server } = core.status
      await ui.stop()
      await core.stop()
      loggedOffFrom = role === 'client' && connected ? server : null
    },
    farewell: () => (loggedOffFrom ? `app stopped; logged off from the server ${loggedOffFrom}; bye` : 'app stopped; bye'),
  }
}
