// Control: what the user paused, the mass deletes that wait for a confirmation, and the requests
// that change them (Pause, Resume, Rescan now, Confirm, Open folder).
import { z } from 'zod'
import { count, peerText } from './parts'

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
