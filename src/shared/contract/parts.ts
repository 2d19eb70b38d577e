// The pieces more than one area of the bridge contract builds from: counts, addresses, who a
// device is, and the fields of the folder and mirror states that both events and the snapshot carry.
import { z } from 'zod'

export const endpointText = z.string().max(300)
export const count = z.number().int().nonnegative()

export const leaveReason = z.enum(['log-off', 'connection-lost', 'timeout', 'removed'])
// Who a peer is (its TLS identity and the name it gives): always on ready and on a peer's arrival and
// departure; on other peer events only where the engine knows it.
export const device = { id: z.string().max(100).optional(), name: z.string().max(300).optional() }
export const knownDevice = { id: z.string().max(100), name: z.string().max(300) }
export const workerState = z.object({ id: count, busy: z.boolean(), peer: z.string().optional(), path: z.string().optional(), jobs: count.optional(), files: count.optional() })
// Where the shared folder and each mirror stand (see FolderStateEvent, MirrorStateEvent, PreparingEvent in shared/events.ts).
export const folderStateFields = { folder: z.string(), files: count, bytes: count, ignored: count, scanning: z.boolean(), missing: z.boolean(), ignoreProblem: z.string().nullable() }
export const mirrorStateFields = {
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
export const preparingFile = z.object({ path: z.string(), bytes: count, total: count })

/** What names a peer: its device name or ID, its mirror folder, or its `ip:port`; the client judges it. */
export const peerText = z.string().trim().min(1).max(300)
