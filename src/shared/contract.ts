// The bridge contract: every channel with the schema of its request, its reply, and the events
// pushed to the window. Main validates every request against it before acting; both transports
// (Electron IPC and the headless WebSocket) carry exactly these payloads.
import { z } from 'zod'
import { EVENTS_CHANNEL, REQUEST, type RequestChannel } from './channels'
import type { EngineEvent } from './events'
import { settingsSchema } from './settings'

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
const workerState = z.object({ id: count, busy: z.boolean(), peer: z.string().optional(), path: z.string().optional(), jobs: count.optional() })
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
  z.object({ type: z.literal('file-synced'), peer: z.string(), path: z.string(), bytes: count, version: z.string() }),
  z.object({ type: z.literal('file-removed'), peer: z.string(), path: z.string() }),
  z.object({ type: z.literal('peer-synced'), peer: z.string(), files: count, bytes: count, ...device }),
  z.object({ type: z.literal('buffer'), used: count, capacity: count }),
  z.object({ type: z.literal('workers'), busy: count, total: count, states: z.array(workerState) }),
  z.object({ type: z.literal('join-request'), id: z.string(), name: z.string(), address: z.string() }),
  z.object({ type: z.literal('member-added'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('member-removed'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('removed'), message: z.string() }),
  z.object({ type: z.literal('mass-delete'), peer: z.string(), files: count, total: count }),
  z.object({ type: z.literal('paused'), peer: z.string().optional() }),
  z.object({ type: z.literal('resumed'), peer: z.string().optional() }),
  z.object({ type: z.literal('folder-state'), ...folderStateFields }),
  z.object({ type: z.literal('mirror-state'), ...mirrorStateFields }),
  z.object({ type: z.literal('preparing'), files: z.array(preparingFile) }),
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
  'paused',
  'resumed',
  'folder-state',
  'mirror-state',
  'preparing',
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
  [REQUEST.listToCome]: { request: z.object({ peer: endpointText }).strict(), reply: toComeReplySchema },
} as const satisfies Record<RequestChannel, { request: z.ZodType; reply: z.ZodType }>

export type RequestOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['request']>
export type ReplyOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['reply']>

export const events = { [EVENTS_CHANNEL]: eventBatchSchema } as const
