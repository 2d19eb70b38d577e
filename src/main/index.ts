// Electron's entry: thin glue around the app core in ./app (which runs without Electron too).
// It owns what only Electron has: the window and its security, electron-store, IPC, the native
// folder picker, desktop notifications, the tray, and logging off before the app quits.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, session, shell, Tray, type MenuItemConstructorOptions } from 'electron'
import ElectronStore from 'electron-store'
import { EVENTS_CHANNEL, REQUEST_CHANNELS } from '../shared/channels'
import { notificationFor } from '../shared/notifications'
import type { Settings } from '../shared/settings'
import { AppCore, type AppCoreEvent } from './app/app-core'
import { openSettingsStore } from './app/settings-store'
import { trayIconBitmap } from './app/tray-icon'
import { trayModel, type TrayAction, type TrayItem, type TrayModel } from './app/tray-model'
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

/** Notify me: the same decision and words as the page's (src/shared/notifications.ts), shown natively. */
function notify(event: AppCoreEvent): void {
  const text = notificationFor(event)
  // Settings are read only for the few events that notify: conf reads its file on every get.
  if (!text || !Notification.isSupported() || !core.settings.notify) return
  new Notification({ title: text.title, body: text.body }).show()
}

const store = openSettingsStore(app.getPath('userData'), (options) => new ElectronStore<Settings>(options))
const core = new AppCore({
  store,
  engine: { workerScript: transferWorker },
  nativeNotifications: true,
  onEvent: notify,
  chooseFolder: async (_field, current) => {
    const owner = BrowserWindow.getFocusedWindow()
    const options: Electron.OpenDialogOptions = { properties: ['openDirectory', 'createDirectory'], defaultPath: current || app.getPath('home') }
    const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  },
  // The system's file manager: shell.openPath answers '' when it opened the folder, else why not.
  openFolder: async (folder) => (await shell.openPath(folder)) || null,
})

for (const channel of REQUEST_CHANNELS) {
  ipcMain.handle(channel, (event, payload: unknown) => {
    if (!event.senderFrame || !isOwnPage(event.senderFrame.url)) throw new Error(`${channel}: refused for ${event.senderFrame?.url ?? 'a closed frame'}`)
    return core.handle(channel, payload)
  })
}

let mainWindow: BrowserWindow | null = null

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
  mainWindow = window
  window.on('closed', () => {
    unsubscribe()
    if (mainWindow === window) mainWindow = null
  })
  if (devUrl) void window.loadURL(devUrl)
  else void window.loadFile(rendererFile)
}

/** Open: the window again (made anew once closed), in front. */
function showWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) createWindow()
  else {
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.show()
    mainWindow.focus()
  }
}

let tray: Tray | null = null

/** The tray draws the model built in ./app/tray-model; nothing is decided here. */
function createTray(): void {
  try {
    tray = new Tray(nativeImage.createEmpty())
  } catch {
    // A desktop without a tray: closing the window quits, as before.
    tray = null
    return
  }
  // The answer shows in the window and the tray's state line (the paused / resumed events), so it is not kept here.
  const control = (command: 'pause' | 'resume') => () => void core.control({ command }).catch(() => {})
  const actions: Record<TrayAction, () => void> = { open: showWindow, pause: control('pause'), resume: control('resume'), quit: () => app.quit() }
  const toMenu = (item: TrayItem): MenuItemConstructorOptions =>
    item.kind === 'separator'
      ? { type: 'separator' }
      : { label: item.label, enabled: item.enabled, click: item.id === 'state' ? undefined : actions[item.id] }
  let drawn = ''
  const draw = (model: TrayModel): void => {
    const key = JSON.stringify(model)
    if (!tray || tray.isDestroyed() || key === drawn) return
    drawn = key
    tray.setImage(nativeImage.createFromBitmap(trayIconBitmap(model.state), { width: 16, height: 16 }))
    tray.setToolTip(model.tooltip)
    tray.setContextMenu(Menu.buildFromTemplate(model.menu.map(toMenu)))
  }
  tray.on('click', showWindow)
  draw(trayModel(core.snapshot()))
  // Redrawn only when the model changes: batches come up to 20 times a second.
  core.subscribe(() => draw(trayModel(core.snapshot())))
}

void app.whenReady().then(async () => {
  // The CSP also rides on every response (the dev server's included), and no permission is granted.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  createWindow()
  createTray()
  await core.start()
})

// With a tray, closing the window leaves the app syncing there (Open brings it back, Quit ends it).
app.on('window-all-closed', () => {
  if (!tray) app.quit()
})

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
