// Electron's entry: the thin glue around the engine. The desktop window (roles, live peer graph,
// transfers) is built on this; everything it drives lives in ./engine and runs without Electron.
import { app, BrowserWindow, shell } from 'electron'
import { fileURLToPath } from 'node:url'

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1100,
    height: 720,
    title: 'dropbox-sync',
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  })
  // Nothing remote is ever loaded: navigation and new windows are refused.
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  const devUrl = process.env['ELECTRON_RENDERER_URL']
  if (devUrl) void window.loadURL(devUrl)
  else void window.loadFile(fileURLToPath(new URL('../renderer/index.html', import.meta.url)))
}

void app.whenReady().then(createWindow)
app.on('window-all-closed', () => app.quit())
