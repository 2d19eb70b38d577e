// The events pushed to the window: the engine's own, the engine's status, and the member list,
// each stamped by main; and which engine events main forwards at all.
import { z } from 'zod'
import type { EngineEvent } from '../events'
import { engineStatusSchema } from './engine-status'
import { membersEventSchema, type MembersEvent } from './members'
import { count, device, folderStateFields, knownDevice, leaveReason, mirrorStateFields, preparingFile, workerState } from './parts'

export const engineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), role: z.enum(['server', 'client']), host: z.string(), port: count, ...knownDevice }),
  z.object({ type: z.literal('registered'), server: z.string(), ip: z.string(), port: count }),
  z.object({ type: z.literal('peer-joined'), ip: z.string(), port: count, ...knownDevice }),
  z.object({ type: z.literal('peer-left'), ip: z.string(), port: count, reason: leaveReason, ...knownDevice }),
  z.object({ type: z.literal('server-lost'), server: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), peer: z.string().optional(), server: z.string().optional() }),
  z.object({ type: z.literal('folder-restored'), folder: z.string() }),
  z.object({ type: z.literal('peer-folder-restored'), peer: z.string(), ...device }),
  z.object({ type: z.literal('transfer-started'), peer: z.string(), path: z.string(), total: count }),
  z.object({ type: z.literal('transfer-progress'), peer: z.string(), path: z.string(), bytes: count, total: count }),
  z.object({ type: z.literal('transfer-failed'), peer: z.string(), path: z.string(), reason: z.string(), retrying: z.boolean().optional(), waitsForPeer: z.boolean().optional() }),
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
