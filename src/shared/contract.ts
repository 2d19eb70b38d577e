// The bridge contract: every channel with the schema of its request, its reply, and the events
// pushed to the window. Main validates every request against it before acting; both transports
// (Electron IPC and the headless WebSocket) carry exactly these payloads.
import { z } from 'zod'
import { EVENTS_CHANNEL, REQUEST, type RequestChannel } from './channels'
import type { EngineEvent } from './events'
import { settingsSchema } from './settings'
import { MAX_IGNORE_EDIT_BYTES } from './ignore-patterns'

const endpointText = z.string().max(300)
const count = z.number().int().nonnegative()

// ---- engine status: what the supervisor is doing and why ----

export const engineStateSchema = z.enum(['unconfigured', 'starting', 'running', 'failed', 'stopped'])
export type EngineState = z.infer<typeof engineStateSchema>

export const engineStatusSchema = z.object({
  state: engineStateSchema,
  role: z.enum(['server', 'client']),
  /** Why it is not running, in words for the user; null when all is well. */
  message: z.string().nullable(),
  /** Where the engine listens, once it does. */
  listening: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  /** Client: the `ip:port` the server registered it as. */
  self: endpointText.nullable(),
  /** Client: the server it talks to, as `host:port`. */
  server: endpointText.nullable(),
  /** Client: whether it is registered with the server right now. */
  connected: z.boolean(),
  /** This machine's non-loopback addresses: what other machines should enter. */
  addresses: z.array(z.string()),
})
export type EngineStatus = z.infer<typeof engineStatusSchema>

// ---- events pushed to the window ----

const leaveReason = z.enum(['log-off', 'connection-lost', 'timeout', 'removed'])
// Who a peer is (its TLS identity and the name it gives): always on ready and on a peer's arrival and
// departure; on other peer events only where the engine knows it.
const device = { id: z.string().max(100).optional(), name: z.string().max(300).optional() }
const knownDevice = { id: z.string().max(100), name: z.string().max(300) }
const workerState = z.object({ id: count, busy: z.boolean(), peer: z.string().optional(), path: z.string().optional(), jobs: count.optional(), files: count.optional() })
// Where the shared folder and each mirror stand (see FolderStateEvent, MirrorStateEvent, PreparingEvent in events.ts).
const folderStateFields = { folder: z.string(), files: count, bytes: count, ignored: count, scanning: z.boolean(), missing: z.boolean() }
const mirrorStateFields = {
  peer: z.string(),
  phase: z.enum(['connecting', 'listing', 'syncing', 'up-to-date', 'waiting', 'paused']),
  files: count,
  bytes: count,
  peerFiles: count.optional(),
  peerBytes: count.optional(),
  needFiles: count,
  needBytes: count,
  removeFiles: count,
  failedFiles: count,
  lastChange: z.number().nullable(),
  ...device,
}
const preparingFile = z.object({ path: z.string(), bytes: count, total: count })

export const engineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), role: z.enum(['server', 'client']), host: z.string(), port: count, ...knownDevice }),
  z.object({ type: z.literal('registered'), server: z.string(), ip: z.string(), port: count }),
  z.object({ type: z.literal('peer-joined'), ip: z.string(), port: count, ...knownDevice }),
  z.object({ type: z.literal('peer-left'), ip: z.string(), port: count, reason: leaveReason, ...knownDevice }),
  z.object({ type: z.literal('server-lost'), server: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), peer: z.string().optional() }),
  z.object({ type: z.literal('folder-restored'), folder: z.string() }),
  z.object({ type: z.literal('peer-folder-restored'), peer: z.string(), ...device }),
  z.object({ type: z.literal('transfer-started'), peer: z.string(), path: z.string(), total: count }),
  z.object({ type: z.literal('transfer-progress'), peer: z.string(), path: z.string(), bytes: count, total: count }),
  z.object({ type: z.literal('transfer-failed'), peer: z.string(), path: z.string(), reason: z.string(), retrying: z.boolean().optional() }),
  z.object({ type: z.literal('file-synced'), peer: z.string(), path: z.string(), bytes: count, transferred: count.optional(), version: z.string(), snapshot: z.boolean().optional() }),
  z.object({ type: z.literal('file-removed'), peer: z.string(), path: z.string() }),
  z.object({ type: z.literal('peer-synced'), peer: z.string(), files: count, bytes: count, ...device }),
  z.object({ type: z.literal('buffer'), used: count, capacity: count }),
  z.object({ type: z.literal('workers'), busy: count, total: count, states: z.array(workerState) }),
  z.object({ type: z.literal('join-request'), id: z.string(), name: z.string(), address: z.string() }),
  z.object({ type: z.literal('member-added'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('member-removed'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('removed'), message: z.string() }),
  z.object({ type: z.literal('mass-delete'), peer: z.string(), files: count, held: count.optional(), total: count, ...device }),
  z.object({ type: z.literal('mass-delete-cleared'), peer: z.string().optional(), confirmed: z.boolean(), ...device }),
  z.object({ type: z.literal('paused'), peer: z.string().optional(), ...device }),
  z.object({ type: z.literal('resumed'), peer: z.string().optional(), ...device }),
  z.object({ type: z.literal('folder-state'), ...folderStateFields }),
  z.object({ type: z.literal('mirror-state'), ...mirrorStateFields }),
  z.object({ type: z.literal('preparing'), files: z.array(preparingFile) }),
  z.object({ type: z.literal('file-snapshot'), path: z.string(), bytes: count, version: z.string() }),
])

export const statusEventSchema = z.object({ type: z.literal('status'), status: engineStatusSchema })
export type StatusEvent = z.infer<typeof statusEventSchema>

// ---- the server's members (members.json in the config folder) ----

/** A device ID as the bridge carries it: 64 lower-case hex digits, as members.json keeps it. */
export const deviceHexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a device ID as 64 lower-case hex digits')

export const memberViewSchema = z.object({
  id: deviceHexSchema,
  /** The ID as people read it, and its first group. */
  deviceId: z.string(),
  shortId: z.string(),
  name: z.string(),
  state: z.enum(['member', 'pending', 'refused', 'removed']),
  /** When it became a member or asked to (ISO time). */
  added: z.string(),
  /** A join request's `host:port`. */
  address: z.string().optional(),
})
export type MemberView = z.infer<typeof memberViewSchema>

export const membersStateSchema = z.object({
  /** Grows with every change main sees: a window keeps the newest state it got. */
  revision: count,
  members: z.array(memberViewSchema),
  /** Why the list cannot be read (a damaged members.json), in words for the user. */
  problem: z.string().nullable(),
})
export type MembersState = z.infer<typeof membersStateSchema>

/** The whole member list again, whenever it changes (here or by the CLI): small, and never out of order. */
export const membersEventSchema = z.object({ type: z.literal('members'), state: membersStateSchema })
export type MembersEvent = z.infer<typeof membersEventSchema>

/**
 * What the window receives: an engine event, a status change or the member list, stamped with
 * main's clock (ms) and a sequence number, so a window can tell which events its snapshot holds.
 */
export type AppEvent = (EngineEvent | StatusEvent | MembersEvent) & { at: number; seq: number }
export const appEventSchema = z.union([engineEventSchema, statusEventSchema, membersEventSchema]).and(z.object({ at: z.number(), seq: count }))
export const eventBatchSchema = z.array(appEventSchema)

/** The engine events main forwards to windows; anything else the engine may emit stays in main. */
export const FORWARDED_EVENT_TYPES = [
  'ready',
  'registered',
  'peer-joined',
  'peer-left',
  'server-lost',
  'error',
  'folder-restored',
  'peer-folder-restored',
  'transfer-started',
  'transfer-progress',
  'transfer-failed',
  'file-synced',
  'file-removed',
  'peer-synced',
  'buffer',
  'workers',
  'join-request',
  'member-added',
  'member-removed',
  'removed',
  'mass-delete',
  'mass-delete-cleared',
  'paused',
  'resumed',
  'folder-state',
  'mirror-state',
  'preparing',
  'file-snapshot',
] as const satisfies readonly EngineEvent['type'][]

// ---- snapshot: the live state a window starts from ----

/** `waiting`: the peer is here, but its shared folder is gone for now (its files wait for it). */
export const peerStateSchema = z.enum(['online', 'syncing', 'synced', 'waiting', 'offline'])
export type PeerState = z.infer<typeof peerStateSchema>

export const peerViewSchema = z.object({
  key: endpointText,
  ip: z.string(),
  port: count,
  state: peerStateSchema,
  /** When the state last changed (main's clock, ms). */
  since: z.number(),
  reason: leaveReason.optional(),
  /** The device at that address, as the registry announced it (ID as people read it, and its name). */
  ...device,
})
export type PeerView = z.infer<typeof peerViewSchema>

export const transferViewSchema = z.object({
  peer: z.string(),
  path: z.string(),
  bytes: count,
  total: count,
  startedAt: z.number(),
  updatedAt: z.number(),
  /** Smoothed bytes per second. */
  rate: z.number().nonnegative(),
})
export type TransferView = z.infer<typeof transferViewSchema>

export const peerTotalsSchema = z.object({ peer: z.string(), files: count, bytes: count, failed: count, active: count })
export type PeerTotals = z.infer<typeof peerTotalsSchema>

// ---- control: what the user paused, and the mass deletes that wait for a confirmation ----

/** A paused peer: its device (`id` as people read it) and, when known, where it is (`peer`, `ip:port`). */
export const pausedPeerSchema = z.object({ id: z.string().optional(), name: z.string().optional(), peer: z.string().optional() })
export type PausedPeerView = z.infer<typeof pausedPeerSchema>

/** A peer's deletions held in its mirror: it deleted `files` of the `total` it had at once; `held` of them wait. */
export const heldDeleteSchema = z.object({ id: z.string().optional(), name: z.string().optional(), peer: z.string(), files: count, held: count, total: count })
export type HeldDeleteView = z.infer<typeof heldDeleteSchema>

export const controlViewSchema = z.object({
  /** The whole client is paused. */
  paused: z.boolean(),
  pausedPeers: z.array(pausedPeerSchema),
  held: z.array(heldDeleteSchema),
})
export type ControlView = z.infer<typeof controlViewSchema>

/** What names a peer: its device name or ID, its mirror folder, or its `ip:port`; the client judges it. */
const peerText = z.string().trim().min(1).max(300)

/** The app's Pause, Resume, Rescan now and Confirm: what `dropbox-sync ctl` sends, carried by the bridge. */
export const controlRequestSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('pause'), peer: peerText.optional() }).strict(),
  z.object({ command: z.literal('resume'), peer: peerText.optional() }).strict(),
  z.object({ command: z.literal('rescan') }).strict(),
  z.object({ command: z.literal('confirm'), peer: peerText }).strict(),
])
export type ControlRequestView = z.infer<typeof controlRequestSchema>

export const controlReplySchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), message: z.string() }), z.object({ ok: z.literal(false), error: z.string() })])
export type ControlReplyView = z.infer<typeof controlReplySchema>

/** Open folder: opened by the system's file manager (desktop), or only named (a browser cannot open it). */
export const openFolderReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), path: z.string(), opened: z.boolean() }),
  z.object({ ok: z.literal(false), error: z.string() }),
])
export type OpenFolderReply = z.infer<typeof openFolderReplySchema>

export const folderStateViewSchema = z.object(folderStateFields)
export type FolderStateView = z.infer<typeof folderStateViewSchema>
export const mirrorStateViewSchema = z.object(mirrorStateFields)
export type MirrorStateView = z.infer<typeof mirrorStateViewSchema>

/** The shared folder (null until a client reports it), every announced peer's mirror, and large files being hashed. */
export const folderStatesSchema = z.object({
  own: folderStateViewSchema.nullable(),
  mirrors: z.array(mirrorStateViewSchema),
  preparing: z.array(preparingFile),
})
export type FolderStates = z.infer<typeof folderStatesSchema>

export const snapshotSchema = z.object({
  at: z.number(),
  /** The sequence number of the last event folded in; later events apply on top. */
  seq: count,
  status: engineStatusSchema,
  peers: z.array(peerViewSchema),
  transfers: z.array(transferViewSchema),
  totals: z.array(peerTotalsSchema),
  buffer: z.object({ used: count, capacity: count }).nullable(),
  workers: z.array(workerState),
  folders: folderStatesSchema,
  /** The latest activity, oldest first. */
  recent: eventBatchSchema,
  control: controlViewSchema,
})
export type Snapshot = z.infer<typeof snapshotSchema>

// ---- settings replies ----

const fieldErrorsSchema = z.partialRecord(settingsSchema.keyof(), z.string())

export const settingsStateSchema = z.object({
  settings: settingsSchema,
  /** Problems with the saved settings as they stand (e.g. the folder is gone), by field. */
  errors: fieldErrorsSchema,
  /** A native folder picker exists (desktop) or not (browser: type the path or browse the engine's folders). */
  canChooseFolder: z.boolean(),
  /** Main shows desktop notifications itself (Electron); otherwise the page does, with the browser's. */
  nativeNotifications: z.boolean(),
  /** Where the settings live on disk. */
  file: z.string(),
  /** Set when the settings file could not be read and was set aside. */
  notice: z.string().nullable(),
})
export type SettingsState = z.infer<typeof settingsStateSchema>

export const saveReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), state: settingsStateSchema }),
  z.object({ ok: z.literal(false), errors: fieldErrorsSchema }),
])
export type SaveReply = z.infer<typeof saveReplySchema>

export const folderFieldSchema = z.enum(['folder', 'mirrorFolder'])

/** One sub-folder as the folder browser shows it; `readable: false` is shown but not entered. */
export const folderEntrySchema = z.object({ name: z.string(), path: z.string(), hidden: z.boolean(), readable: z.boolean() })
export type FolderEntry = z.infer<typeof folderEntrySchema>

/** The sub-folders of one folder on the machine running the engine, or why it cannot be listed. */
export const folderListingSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    path: z.string(),
    /** The folder above, or null at the root. */
    parent: z.string().nullable(),
    home: z.string(),
    /** Names sorted, hidden ones (a leading dot) last. */
    folders: z.array(folderEntrySchema),
  }),
  z.object({ ok: z.literal(false), path: z.string(), home: z.string(), message: z.string() }),
])
export type FolderListing = z.infer<typeof folderListingSchema>

// ---- this device and invites ----

export const deviceInfoSchema = z.object({
  /** This device's ID as people read it; null while it cannot be read (see problem). */
  id: z.string().nullable(),
  shortId: z.string().nullable(),
  problem: z.string().nullable(),
})
export type DeviceInfo = z.infer<typeof deviceInfoSchema>

export const inviteProblemSchema = z.enum(['not-an-invite', 'newer-version', 'mistyped', 'expired'])

/** What a pasted invite says, or why it cannot be used (the reader's exact message). */
export const decodedInviteSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    serverId: z.string(),
    serverShortId: z.string(),
    /** `host:port` each, IPv6 in brackets. */
    addresses: z.array(z.string()),
    /** When it stops working (ms since the epoch). */
    expires: z.number(),
  }),
  z.object({ ok: z.literal(false), problem: inviteProblemSchema, message: z.string() }),
])
export type DecodedInviteView = z.infer<typeof decodedInviteSchema>

export const createdInviteSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), invite: z.string(), expires: z.number(), addresses: z.array(z.string()) }),
  /** Why no invite could be made (not a server, no port yet, a damaged identity), in words for the user. */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type CreatedInvite = z.infer<typeof createdInviteSchema>

/** An answer to accept, refuse or remove: what happened (Membership's word for it) and the list after. */
export const memberActionReplySchema = z.object({
  result: z.enum(['accepted', 'already-member', 'refused', 'not-pending', 'removed', 'forgotten', 'unknown']),
  state: membersStateSchema,
})
export type MemberActionReply = z.infer<typeof memberActionReplySchema>
const memberRequest = z.object({ id: deviceHexSchema }).strict()

// ---- the shared folder's ignore patterns (.syncignore at its root) ----

export const ignorePatternsSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The file's full path. */
    file: z.string(),
    /** Its text; null when there is none (the built-in patterns alone apply). */
    text: z.string().nullable(),
    /** Why the file there is not used (a link, not UTF-8, too large); the engine keeps the rules it had. */
    problem: z.string().nullable(),
    /** The built-in patterns, applied before the file's lines: a `!pattern` line overrides one. */
    defaults: z.array(z.string()),
  }),
  /** No shared folder to read (a server, a client not set up, the folder gone), in words for the user. */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type IgnorePatterns = z.infer<typeof ignorePatternsSchema>

export const ignoreSaveReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), patterns: ignorePatternsSchema }),
  /** Not written: why, in one message (unusable lines, too large, no folder, the disk). */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type IgnoreSaveReply = z.infer<typeof ignoreSaveReplySchema>

// ---- mirror history: what peers deleted or overwrote, kept beside the mirrors ----

/** A peer's mirror folder as the mirror root names it (`NAME-SHORTID`): one name, never a path. */
const mirrorNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !/[/\\\0]/.test(name) && name !== '.' && name !== '..', 'expected the name of a mirror folder, not a path')
/** A kept version's id, as the history index names its file. */
const historyIdSchema = z.string().regex(/^[\w.-]{1,100}$/, 'expected the id of a kept version')

export const historyMirrorSchema = z.object({
  folder: z.string(),
  /** The peer's address as its newest kept version names it; null when nothing is kept. */
  peer: z.string().nullable(),
  versions: count,
  bytes: count,
  /** When the newest kept version left the mirror (ms); null when nothing is kept. */
  newest: z.number().nullable(),
})
export type HistoryMirror = z.infer<typeof historyMirrorSchema>

export const historyMirrorsSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    mirrorRoot: z.string(),
    /** The saved Keep history (days); 0: nothing is kept from now on. */
    keepDays: count,
    mirrors: z.array(historyMirrorSchema),
  }),
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type HistoryMirrors = z.infer<typeof historyMirrorsSchema>

export const historyEntryViewSchema = z.object({
  id: z.string(),
  path: z.string(),
  peer: z.string(),
  /** When it left the mirror (ms since the epoch). */
  at: z.number(),
  size: count,
  reason: z.enum(['deleted', 'overwritten']),
})
export type HistoryEntryView = z.infer<typeof historyEntryViewSchema>

export const historyPageSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    folder: z.string(),
    /** Newest first. */
    entries: z.array(historyEntryViewSchema),
    /** How many versions match the filter in all. */
    total: count,
    /** More, older ones follow: ask again with `before` set to the last entry. */
    more: z.boolean(),
  }),
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type HistoryPage = z.infer<typeof historyPageSchema>

/** The most versions one page carries. */
export const MAX_HISTORY_PAGE = 500

export const historyListRequestSchema = z
  .object({
    folder: mirrorNameSchema,
    /** Only paths containing this text, any case; empty: all. */
    filter: z.string().max(1000),
    /** The last entry of the page before; null: from the newest. */
    before: z.object({ at: z.number(), id: historyIdSchema }).strict().nullable(),
    limit: z.number().int().min(1).max(MAX_HISTORY_PAGE),
  })
  .strict()
export type HistoryListRequest = z.infer<typeof historyListRequestSchema>

export const historyRestoreReplySchema = z.discriminatedUnion('ok', [
  /** Where the file now is; `renamed` when a file of its name was there, so it took a free name. */
  z.object({ ok: z.literal(true), path: z.string(), renamed: z.boolean() }),
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type HistoryRestoreReply = z.infer<typeof historyRestoreReplySchema>

// ---- what is still to come from a peer ----

/** How many paths the list of what is still to come shows at most (the count says how many more). */
export const TO_COME_SHOWN = 500

export const toComeReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    peer: z.string(),
    /** The first files by path, with their sizes. */
    files: z.array(z.object({ path: z.string(), size: count })).max(TO_COME_SHOWN),
    /** All that is still to come, and their bytes. */
    total: count,
    bytes: count,
    /** False while the peer's list is still on its way: more may follow. */
    complete: z.boolean(),
  }),
  /** Why there is no list (not a client, no such peer mirrored), in words for the user. */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type ToComeReply = z.infer<typeof toComeReplySchema>

// ---- the channels ----

export const contract = {
  [REQUEST.getSettings]: { request: z.undefined(), reply: settingsStateSchema },
  // The shape must be exact; values are judged field by field and refused with messages.
  [REQUEST.saveSettings]: {
    request: z
      .object({
        role: z.string(),
        port: z.number(),
        listenAddress: z.string(),
        serverAddress: z.string(),
        serverPort: z.number(),
        folder: z.string(),
        mirrorFolder: z.string(),
        workers: z.number(),
        bufferSlots: z.number(),
        rescanSeconds: z.number(),
        keepDays: z.number(),
        limitRateKiB: z.number(),
        name: z.string(),
        invite: z.string(),
        notify: z.boolean(),
      })
      .strict(),
    reply: saveReplySchema,
  },
  [REQUEST.chooseFolder]: {
    request: z.object({ field: folderFieldSchema }).strict(),
    reply: z.object({ path: z.string().nullable() }),
  },
  // null: the home folder of the user running the engine.
  [REQUEST.listFolders]: { request: z.object({ path: z.string().max(4096).nullable() }).strict(), reply: folderListingSchema },
  [REQUEST.getSnapshot]: { request: z.undefined(), reply: snapshotSchema },
  [REQUEST.restartEngine]: { request: z.undefined(), reply: engineStatusSchema },
  [REQUEST.getDevice]: { request: z.undefined(), reply: deviceInfoSchema },
  // Invites are a few hundred characters; a chat program's wrapping adds a little.
  [REQUEST.decodeInvite]: { request: z.object({ text: z.string().max(8192) }).strict(), reply: decodedInviteSchema },
  [REQUEST.listMembers]: { request: z.undefined(), reply: membersStateSchema },
  [REQUEST.createInvite]: { request: z.undefined(), reply: createdInviteSchema },
  [REQUEST.acceptMember]: { request: memberRequest, reply: memberActionReplySchema },
  [REQUEST.refuseMember]: { request: memberRequest, reply: memberActionReplySchema },
  [REQUEST.removeMember]: { request: memberRequest, reply: memberActionReplySchema },
  [REQUEST.getIgnorePatterns]: { request: z.undefined(), reply: ignorePatternsSchema },
  // Bounded by characters here (never fewer bytes than characters); main judges the bytes and lines.
  [REQUEST.saveIgnorePatterns]: {
    request: z.object({ text: z.string().max(MAX_IGNORE_EDIT_BYTES, `the patterns are larger than ${MAX_IGNORE_EDIT_BYTES / 1024} KiB`) }).strict(),
    reply: ignoreSaveReplySchema,
  },
  [REQUEST.listHistoryMirrors]: { request: z.undefined(), reply: historyMirrorsSchema },
  [REQUEST.listHistory]: { request: historyListRequestSchema, reply: historyPageSchema },
  [REQUEST.restoreHistory]: {
    request: z.object({ folder: mirrorNameSchema, id: historyIdSchema, to: z.string().min(1).max(4096) }).strict(),
    reply: historyRestoreReplySchema,
  },
  // The native folder picker, for the folder a version is restored into; null when cancelled or where there is none.
  [REQUEST.chooseRestoreFolder]: { request: z.undefined(), reply: z.object({ path: z.string().nullable() }) },
  [REQUEST.control]: { request: controlRequestSchema, reply: controlReplySchema },
  // null: the shared folder; otherwise the mirror of the peer named.
  [REQUEST.openFolder]: { request: z.object({ peer: peerText.nullable() }).strict(), reply: openFolderReplySchema },

  [REQUEST.listToCome]: { request: z.object({ peer: endpointText }).strict(), reply: toComeReplySchema },
} as const satisfies Record<RequestChannel, { request: z.ZodType; reply: z.ZodType }>

export type RequestOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['request']>
export type ReplyOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['reply']>

export const events = { [EVENTS_CHANNEL]: eventBatchSchema } as const
