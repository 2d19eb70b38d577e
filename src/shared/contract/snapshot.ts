// The snapshot: the live state a window starts from, events folding in on top of it.
import { z } from 'zod'
import { controlViewSchema } from './control'
import { engineStatusSchema } from './engine-status'
import { eventBatchSchema } from './events'
import { count, device, endpointText, folderStateFields, leaveReason, mirrorStateFields, preparingFile, workerState } from './parts'

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

export const folderStateViewSchema = z.object(folderStateFields)
export type FolderStateView = z.infer<typeof folderStateViewSchema>
export const mirrorStateViewSchema = z.object({
  ...mirrorStateFields,
  /** Why the mirror's disk refuses the files still to come (a `write-failed` error), until they are all in. */
  writeProblem: z.string().optional(),
})
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
