// What is still to come from a peer: the first paths of its list and how much is left.
import { z } from 'zod'
import { count } from './parts'

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
