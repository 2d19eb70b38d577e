// Electron's entry: thin glue around the app core in ./app (which runs without Electron too).
// It owns what only Electron has: the window and its security, electron-store, IPC, the native
// folder picker, and logging off before the app quits.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron'
import ElectronStore from 'electron-store'
import { EVENTS_CHANNEL, REQUEST_CHANNELS } from '../shared/channels'
import type { Settings } from '../shared/settings'
import { AppCore } from './app/app-core'
import { openSettingsStore } from './app/settings-store'
// Bundled as its own file by electron-vite; worker threads load it by path.
import transferWorker from './engine/mirror/transfer-worker?modulePath'

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const devUrl = process.env['ELECTRON_RENDERER_URL']
const rendererFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url))

/** Requests are answered only for our own page, never for a frame that got in somehow. */
function isOwnPage(url: string): boolean {
  return devUrl ? url.startsWith(devUrl) : url.startsWith('file://') && fileURLToPath(url.split('#')[0]!.split('?')[0]!) === rendererFile
}

const store = openSettingsStore(app.getPath('userData'), (options) => new ElectronStore<Settings>(options))
const core = new AppCore({
  store,
  engine: { workerScript: transferWorker },
  chooseFolder: async (_field, current) => {
    const owner = BrowserWindow.getFocusedWindow()
    const options: Electron.OpenDialogOptions = { properties: ['openDirectory', 'createDirectory'], defaultPath: current || app.getPath('home') }
    const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  },
})

for (const channel of REQUEST_CHANNELS) {
  ipcMain.handle(channel, (event, payload: unknown) => {
    if (!event.senderFrame || !isOwnPage(event.senderFrame.url)) throw new Error(`${channel}: refused for ${event.senderFrame?.url ?? 'a closed frame'}`)
    return core.handle(channel, payload)
  })
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1180,
    height: 760,
    title: 'dropbox-sync',
    // The project folder holds resources/ (the layer check keeps imports out of it, so no ?asset).
    icon: path.join(app.getAppPath(), 'resources', 'icon.png'),
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  })
  // Nothing remote is ever loaded: navigation and new windows are refused (https links open outside).
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  const unsubscribe = core.subscribe((batch) => {
    if (!window.isDestroyed()) window.webContents.send(EVENTS_CHANNEL, batch)
  })
  window.on('closed', unsubscribe)
  if (devUrl) void window.loadURL(devUrl)
  else void window.loadFile(rendererFile)
}

void app.whenReady().then(async () => {
  // The CSP also rides on every response (the dev server's included), and no permission is granted.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  createWindow()
  await core.start()
})

app.on('window-all-closed', () => app.quit())

// Quitting logs off first: the other clients hear USER_OFF (log-off), not a lost connection.
let loggedOff = false
app.on('before-quit', (event) => {
  if (loggedOff) return
  event.preventDefault()
  void core.stop().finally(() => {
    loggedOff = true
    app.quit()
  })
})
