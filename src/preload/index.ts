// The typed bridge between the sandboxed window and main over Electron IPC: one method per
// operation, on the contract's fixed channels only; ipcRenderer itself never reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { EVENTS_CHANNEL, REQUEST } from '../shared/channels'
import type { AppEvent } from '../shared/contract'
import type { Api } from './api'

const api: Api = {
  getSettings: () => ipcRenderer.invoke(REQUEST.getSettings),
  saveSettings: (settings) => ipcRenderer.invoke(REQUEST.saveSettings, settings),
  chooseFolder: async (field) => ((await ipcRenderer.invoke(REQUEST.chooseFolder, { field })) as { path: string | null }).path,
  listFolders: (path) => ipcRenderer.invoke(REQUEST.listFolders, { path }),
  getSnapshot: () => ipcRenderer.invoke(REQUEST.getSnapshot),
  restartEngine: () => ipcRenderer.invoke(REQUEST.restartEngine),
  getDevice: () => ipcRenderer.invoke(REQUEST.getDevice),
  decodeInvite: (text) => ipcRenderer.invoke(REQUEST.decodeInvite, { text }),
  listMembers: () => ipcRenderer.invoke(REQUEST.listMembers),
  createInvite: () => ipcRenderer.invoke(REQUEST.createInvite),
  acceptMember: (id) => ipcRenderer.invoke(REQUEST.acceptMember, { id }),
  refuseMember: (id) => ipcRenderer.invoke(REQUEST.refuseMember, { id }),
  removeMember: (id) => ipcRenderer.invoke(REQUEST.removeMember, { id }),
  getIgnorePatterns: () => ipcRenderer.invoke(REQUEST.getIgnorePatterns),
  saveIgnorePatterns: (text) => ipcRenderer.invoke(REQUEST.saveIgnorePatterns, { text }),
  listHistoryMirrors: () => ipcRenderer.invoke(REQUEST.listHistoryMirrors),
  listHistory: (request) => ipcRenderer.invoke(REQUEST.listHistory, request),
  restoreHistory: (folder, id, to) => ipcRenderer.invoke(REQUEST.restoreHistory, { folder, id, to }),
  chooseRestoreFolder: async () => ((await ipcRenderer.invoke(REQUEST.chooseRestoreFolder)) as { path: string | null }).path,
  control: (request) => ipcRenderer.invoke(REQUEST.control, request),
  openFolder: (peer) => ipcRenderer.invoke(REQUEST.openFolder, { peer }),
  listToCome: (peer) => ipcRenderer.invoke(REQUEST.listToCome, { peer }),
  onEvents: (listener) => {
    // The page gets the batch only, never the IPC event (which holds the sender).
    const relay = (_event: IpcRendererEvent, batch: AppEvent[]): void => listener(batch)
    ipcRenderer.on(EVENTS_CHANNEL, relay)
    return () => {
      ipcRenderer.removeListener(EVENTS_CHANNEL, relay)
    }
  },
  // The window lives and dies with its main process: there is no disconnect to report.
  onDisconnect: () => () => {},
}

contextBridge.exposeInMainWorld('api', api)
