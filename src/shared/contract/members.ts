// The server's members (members.json in the config folder) as the window sees and changes them.
import { z } from 'zod'
import { count } from './parts'

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
  /** Invites used and not yet expired: `key` as the created invite has it, and the device that used it. */
  usedInvites: z.array(z.object({ key: z.string(), shortId: z.string(), name: z.string() })),
  /** Why the list cannot be read (a damaged members.json), in words for the user. */
  problem: z.string().nullable(),
})
export type MembersState = z.infer<typeof membersStateSchema>

/** The whole member list again, whenever it changes (here or by the CLI): small, and never out of order. */
export const membersEventSchema = z.object({ type: z.literal('members'), state: membersStateSchema })
export type MembersEvent = z.infer<typeof membersEventSchema>

/** An answer to accept, refuse or remove: what happened (Membership's word for it) and the list after. */
export const memberActionReplySchema = z.object({
  result: z.enum(['accepted', 'already-member', 'refused', 'not-pending', 'removed', 'forgotten', 'unknown']),
  state: membersStateSchema,
})
export type MemberActionReply = z.infer<typeof memberActionReplySchema>
