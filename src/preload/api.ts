// What the window may ask of the main process: `window.api`, one method per operation. The desktop
// app implements it over Electron IPC (./index.ts), the headless app over a WebSocket
// (src/renderer/src/bridge/ws-api.ts); the window cannot tell which it has.
import type { AppEvent, EngineStatus, SaveReply, SettingsState, Snapshot } from '../shared/contract'
import type { Settings } from '../shared/settings'

export type FolderField = 'folder' | 'mirrorFolder'

export interface Api {
  getSettings(): Promise<SettingsState>
  /** Validates, stores, and restarts the engine with the new settings; refusals come back by field. */
  saveSettings(settings: Settings): Promise<SaveReply>
  /** The native folder picker; null when cancelled or when there is none (browser). */
  chooseFolder(field: FolderField): Promise<string | null>
  /** Peers, transfers, status and recent activity as they are now. */
  getSnapshot(): Promise<Snapshot>
  /** Starts the engine again from the saved settings (e.g. after freeing its port). */
  restartEngine(): Promise<EngineStatus>
  /** Batches of events from now on; returns the unsubscribe. */
  onEvents(listener: (batch: AppEvent[]) => void): () => void
  /** Called when the main process stops answering (the headless app was stopped); returns the unsubscribe. */
  onDisconnect(listener: () => void): () => void
}
