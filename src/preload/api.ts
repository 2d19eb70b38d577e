// What the window may ask of the main process: `window.api`, one method per operation. The desktop
// app implements it over Electron IPC (./index.ts), the headless app over a WebSocket
// (src/renderer/src/bridge/ws-api.ts); the window cannot tell which it has.
import type {
  AppEvent,
  ControlReplyView,
  ControlRequestView,
  CreatedInvite,
  DecodedInviteView,
  DeviceInfo,
  EngineStatus,
  FolderListing,
  HistoryListRequest,
  HistoryMirrors,
  HistoryPage,
  HistoryRestoreReply,
  IgnorePatterns,
  IgnoreSaveReply,
  MemberActionReply,
  MembersState,
  OpenFolderReply,
  SaveReply,
  SettingsState,
  Snapshot,
  ToComeReply,
} from '../shared/contract'
import type { Settings } from '../shared/settings'

export type FolderField = 'folder' | 'mirrorFolder'

export interface Api {
  getSettings(): Promise<SettingsState>
  /** Validates, stores, and restarts the engine with the new settings; refusals come back by field. */
  saveSettings(settings: Settings): Promise<SaveReply>
  /** The native folder picker; null when cancelled or when there is none (browser). */
  chooseFolder(field: FolderField): Promise<string | null>
  /** The sub-folders of an absolute path on the machine running the engine (null: its home folder), or why not. */
  listFolders(path: string | null): Promise<FolderListing>
  /** Peers, transfers, status and recent activity as they are now. */
  getSnapshot(): Promise<Snapshot>
  /** Starts the engine again from the saved settings (e.g. after freeing its port). */
  restartEngine(): Promise<EngineStatus>
  /** This device's ID (made at the app's first start), or why it cannot be read. */
  getDevice(): Promise<DeviceInfo>
  /** What a pasted invite says (server, addresses, expiry), or the exact reason it cannot be used. */
  decodeInvite(text: string): Promise<DecodedInviteView>
  /** Server: the members, requests, refused and removed devices, as the config folder has them. */
  listMembers(): Promise<MembersState>
  /** Server: a single-use invite with this machine's addresses and the server's port. */
  createInvite(): Promise<CreatedInvite>
  /** Server: lets in a device that asked (or was refused or removed); `id` is 64 hex digits. */
  acceptMember(id: string): Promise<MemberActionReply>
  /** Server: turns down a device that asked to join. */
  refuseMember(id: string): Promise<MemberActionReply>
  /** Server: takes a member out (refused from then on), or forgets a request. */
  removeMember(id: string): Promise<MemberActionReply>
  /** Client: the shared folder's .syncignore and the built-in patterns, or why there is none to edit. */
  getIgnorePatterns(): Promise<IgnorePatterns>
  /** Client: writes the shared folder's .syncignore (the running engine applies it at once), or says why not. */
  saveIgnorePatterns(text: string): Promise<IgnoreSaveReply>
  /** Client: each peer's mirror and what its history keeps. */
  listHistoryMirrors(): Promise<HistoryMirrors>
  /** Client: one page of a mirror's history, newest first. */
  listHistory(request: HistoryListRequest): Promise<HistoryPage>
  /** Client: copies a kept version into a folder outside the mirror folder, never over a file there. */
  restoreHistory(folder: string, id: string, to: string): Promise<HistoryRestoreReply>
  /** The native folder picker for a restore; null when cancelled or when there is none (browser). */
  chooseRestoreFolder(): Promise<string | null>
  /** Client: pause or resume (the whole client, or the peer named), rescan now, or confirm a held mass delete. */
  control(request: ControlRequestView): Promise<ControlReplyView>
  /** The shared folder (null) or a peer's mirror in the system's file manager; a browser gets its path to show. */
  openFolder(peer: string | null): Promise<OpenFolderReply>
  /** Client: the files still to come from a peer (`ip:port`), the first few hundred by path, with the count of all. */
  listToCome(peer: string): Promise<ToComeReply>
  /** Batches of events from now on; returns the unsubscribe. */
  onEvents(listener: (batch: AppEvent[]) => void): () => void
  /** Called when the main process stops answering (the headless app was stopped); returns the unsubscribe. */
  onDisconnect(listener: () => void): () => void
}
