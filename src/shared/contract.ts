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
const workerState = z.object({ id: count, busy: z.boolean(), peer: z.string().optional(), path: z.string().optional(), jobs: count.optional() })

export const engineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), role: z.enum(['server', 'client']), host: z.string(), port: count }),
  z.object({ type: z.literal('registered'), server: z.string(), ip: z.string(), port: count }),
  z.object({ type: z.literal('peer-joined'), ip: z.string(), port: count }),
  z.object({ type: z.literal('peer-left'), ip: z.string(), port: count, reason: leaveReason }),
  z.object({ type: z.literal('server-lost'), server: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), peer: z.string().optional() }),
  z.object({ type: z.literal('folder-restored'), folder: z.string() }),
  z.object({ type: z.literal('peer-folder-restored'), peer: z.string() }),
  z.object({ type: z.literal('transfer-started'), peer: z.string(), path: z.string(), total: count }),
  z.object({ type: z.literal('transfer-progress'), peer: z.string(), path: z.string(), bytes: count, total: count }),
  z.object({ type: z.literal('transfer-failed'), peer: z.string(), path: z.string(), reason: z.string(), retrying: z.boolean().optional() }),
  z.object({ type: z.literal('file-synced'), peer: z.string(), path: z.string(), bytes: count, version: z.string() }),
  z.object({ type: z.literal('file-removed'), peer: z.string(), path: z.string() }),
  z.object({ type: z.literal('peer-synced'), peer: z.string(), files: count, bytes: count }),
  z.object({ type: z.literal('buffer'), used: count, capacity: count }),
  z.object({ type: z.literal('workers'), busy: count, total: count, states: z.array(workerState) }),
  z.object({ type: z.literal('join-request'), id: z.string(), name: z.string(), address: z.string() }),
  z.object({ type: z.literal('member-added'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('member-removed'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('removed'), message: z.string() }),
])

export const statusEventSchema = z.object({ type: z.literal('status'), status: engineStatusSchema })
export type StatusEvent = z.infer<typeof statusEventSchema>

/**
 * What the window receives: an engine event or a status change, stamped with main's clock (ms)
 * and a sequence number, so a window can tell which events its snapshot already holds.
 */
export type AppEvent = (EngineEvent | StatusEvent) & { at: number; seq: number }
export const appEventSchema = z.union([engineEventSchema, statusEventSchema]).and(z.object({ at: z.number(), seq: count }))
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
  /** A native folder picker exists (desktop) or not (browser: type the path). */
  canChooseFolder: z.boolean(),
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
      })
      .strict(),
    reply: saveReplySchema,
  },
  [REQUEST.chooseFolder]: {
    request: z.object({ field: folderFieldSchema }).strict(),
    reply: z.object({ path: z.string().nullable() }),
  },
  [REQUEST.getSnapshot]: { request: z.undefined(), reply: snapshotSchema },
  [REQUEST.restartEngine]: { request: z.undefined(), reply: engineStatusSchema },
} as const satisfies Record<RequestChannel, { request: z.ZodType; reply: z.ZodType }>

export type RequestOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['request']>
export type ReplyOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['reply']>

export const events = { [EVENTS_CHANNEL]: eventBatchSchema } as const
