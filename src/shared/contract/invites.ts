// This device's identity and the invites that let another device join the server.
import { z } from 'zod'

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
    /** This device is a member of that server already (its saved membership): the invite is not needed. */
    member: z.boolean(),
    /** When this device joined that server with this very invite (ms since the epoch), which used it; null otherwise. */
    usedAt: z.number().nullable(),
  }),
  z.object({ ok: z.literal(false), problem: inviteProblemSchema, message: z.string() }),
])
export type DecodedInviteView = z.infer<typeof decodedInviteSchema>

export const createdInviteSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    invite: z.string(),
    expires: z.number(),
    addresses: z.array(z.string()),
    /** What the member list calls it once a device has used it (`usedInvites`): its token's SHA-256. */
    key: z.string(),
  }),
  /** Why no invite could be made (not a server, no port yet, a damaged identity), in words for the user. */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type CreatedInvite = z.infer<typeof createdInviteSchema>
