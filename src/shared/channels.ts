// Channel names of the bridge between the window and the main process. Kept free of zod so the
// sandboxed preload can import them without bundling a validator it never uses.

/** Request/reply channels: the window asks, main answers once. */
export const REQUEST = {
  getSettings: 'settings:get',
  saveSettings: 'settings:save',
  chooseFolder: 'folder:choose',
  listFolders: 'folder:list',
  getSnapshot: 'snapshot:get',
  restartEngine: 'engine:restart',
  getDevice: 'device:get',
  decodeInvite: 'invite:decode',
  listMembers: 'members:list',
  createInvite: 'members:invite',
  acceptMember: 'members:accept',
  refuseMember: 'members:refuse',
  removeMember: 'members:remove',
  getIgnorePatterns: 'ignore:get',
  saveIgnorePatterns: 'ignore:save',
  listHistoryMirrors: 'history:mirrors',
  listHistory: 'history:list',
  restoreHistory: 'history:restore',
  chooseRestoreFolder: 'history:choose-folder',
  control: 'engine:control',
  openFolder: 'folder:open',
  listToCome: 'mirror:to-come',
} as const

export type RequestName = keyof typeof REQUEST
export type RequestChannel = (typeof REQUEST)[RequestName]

/** The one push channel: main sends batches of app events to the window. */
export const EVENTS_CHANNEL = 'app:events'

export const REQUEST_CHANNELS: readonly RequestChannel[] = Object.values(REQUEST)

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && (REQUEST_CHANNELS as readonly string[]).includes(value)
}
