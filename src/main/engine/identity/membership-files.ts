// The server's two membership files, their shapes and how they are read: `members.json` (who may
// connect, who asked, who was refused or removed) and `invites.json` (hashes of invite tokens).
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

export const MEMBERS_FILE = 'members.json'
export const INVITES_FILE = 'invites.json'

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes * 2} lower-case hex digits`)

export const MEMBER_STATES = ['member', 'pending', 'refused', 'removed'] as const
export type MemberState = (typeof MEMBER_STATES)[number]

/** Names come from peers: bounded, and printed to terminals, so free of control characters. */
export const MAX_NAME_LENGTH = 64

const memberSchema = z.strictObject({
  /** The device ID (SHA-256 of its certificate) in hex. */
  id: hex(32),
  name: z.string().max(MAX_NAME_LENGTH),
  /** When it became a member, or asked to. */
  added: z.iso.datetime(),
  state: z.enum(MEMBER_STATES),
  /** Where a join request came from (HOST:PORT), for the operator to judge it by. */
  address: z.string().max(300).optional(),
})
export type MemberRecord = z.infer<typeof memberSchema>

const membersSchema = z.strictObject({ version: z.literal(1), members: z.array(memberSchema) }).superRefine((file, ctx) => {
  const seen = new Set<string>()
  file.members.forEach((member, i) => {
    if (seen.has(member.id)) ctx.addIssue({ code: 'custom', path: ['members', i, 'id'], message: 'this device is listed twice' })
    seen.add(member.id)
  })
})
export type MembersFile = z.infer<typeof membersSchema>

const inviteSchema = z.strictObject({
  /** SHA-256 of the token in hex: the file never holds a token someone could use. */
  tokenHash: hex(32),
  /** Unix seconds. */
  expires: z.int().min(0),
  used: z.boolean(),
  /** The device that used it, so its retry after a lost answer is let in. */
  usedBy: hex(32).optional(),
})
export type InviteRecord = z.infer<typeof inviteSchema>

const invitesSchema = z.strictObject({ version: z.literal(1), invites: z.array(inviteSchema) })
export type InvitesFile = z.infer<typeof invitesSchema>

/** One line naming the file and what is wrong with it. */
export class MembershipFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message)
    this.name = 'MembershipFileError'
  }
}

/** What changes whenever a file is replaced (each write is a rename, so a new inode): null when absent. */
export function fileSignature(file: string): string | null {
  try {
    const s = statSync(file, { bigint: true })
    return `${s.ino}:${s.size}:${s.mtimeNs}`
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new MembershipFileError(`cannot read ${file}: ${(error as Error).message}`, file)
  }
}

export function readMembers(dir: string): MembersFile {
  return readChecked(path.join(dir, MEMBERS_FILE), membersSchema, 'member list', { version: 1, members: [] })
}

export function readInvites(dir: string): InvitesFile {
  return readChecked(path.join(dir, INVITES_FILE), invitesSchema, 'invite list', { version: 1, invites: [] })
}

function readChecked<T>(file: string, schema: z.ZodType<T>, what: string, empty: T): T {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty
    throw new MembershipFileError(`cannot read ${file}: ${(error as Error).message}`, file)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new MembershipFileError(`${file} is not JSON (${(error as Error).message}); fix it or move it aside`, file)
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
    throw new MembershipFileError(`${file} is not a valid ${what}: ${where}${issue.message}; fix it or move it aside`, file)
  }
  return parsed.data
}
