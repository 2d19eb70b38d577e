// The server's two membership files, their shapes and how they are read: `members.json` (who may
// connect, who asked, who was refused or removed) and `invites.json` (hashes of invite tokens).
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'

export const MEMBERS_FILE = 'members.json'
export const INVITES_FILE = 'invites.json'

export const MEMBER_STATES = ['member', 'pending', 'refused', 'removed'] as const
export type MemberState = (typeof MEMBER_STATES)[number]

/** Names come from peers: bounded, and printed to terminals, so free of control characters. */
export const MAX_NAME_LENGTH = 64

export interface MemberRecord {
  /** The device ID (SHA-256 of its certificate) in hex. */
  id: string
  name: string
  /** When it became a member, or asked to (ISO 8601, UTC). */
  added: string
  state: MemberState
  /** Where a join request came from (HOST:PORT), for the operator to judge it by. */
  address?: string
}

export interface MembersFile {
  version: 1
  members: MemberRecord[]
}

export interface InviteRecord {
  /** SHA-256 of the token in hex: the file never holds a token someone could use. */
  tokenHash: string
  /** Unix seconds. */
  expires: number
  used: boolean
  /** The device that used it, so its retry after a lost answer is let in. */
  usedBy?: string
}

export interface InvitesFile {
  version: 1
  invites: InviteRecord[]
}

// Checked by hand rather than with a schema library: the server would load one only for these
// two files, and it costs a long-running process more memory than the rest of the member store.
type Path = Array<string | number>

/** The first thing wrong with a file's JSON, and where. */
class Invalid extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message)
  }
}

/** An object with exactly these keys (the optional ones may be missing). */
function record(value: unknown, path: Path, required: string[], optional: string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(path, 'expected an object')
  const fields = value as Record<string, unknown>
  for (const key of required) if (!(key in fields)) throw new Invalid([...path, key], 'missing')
  for (const key of Object.keys(fields)) {
    if (!required.includes(key) && !optional.includes(key)) throw new Invalid(path, `unrecognized key "${key}"`)
  }
  return fields
}

function list(value: unknown, path: Path): unknown[] {
  if (!Array.isArray(value)) throw new Invalid(path, 'expected an array')
  return value
}

function text(value: unknown, path: Path, max: number): string {
  if (typeof value !== 'string') throw new Invalid(path, 'expected a string')
  if (value.length > max) throw new Invalid(path, `longer than ${max} characters`)
  return value
}

function hex32(value: unknown, path: Path): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new Invalid(path, 'expected 64 lower-case hex digits')
  return value
}

function version1(value: unknown, path: Path): 1 {
  if (value !== 1) throw new Invalid(path, 'expected version 1')
  return 1
}

/** An ISO 8601 date and time in UTC, as toISOString() writes it (any number of decimals). */
function dateTime(value: unknown, path: Path): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Invalid(path, 'expected an ISO date and time in UTC')
  }
  return value
}

function parseMembers(json: unknown): MembersFile {
  const file = record(json, [], ['version', 'members'])
  const version = version1(file['version'], ['version'])
  const seen = new Set<string>()
  const members = list(file['members'], ['members']).map((value, i): MemberRecord => {
    const at = ['members', i]
    const fields = record(value, at, ['id', 'name', 'added', 'state'], ['address'])
    const state = fields['state']
    if (!MEMBER_STATES.includes(state as MemberState)) throw new Invalid([...at, 'state'], `expected one of ${MEMBER_STATES.join(', ')}`)
    const member: MemberRecord = { id: hex32(fields['id'], [...at, 'id']), name: text(fields['name'], [...at, 'name'], MAX_NAME_LENGTH), added: dateTime(fields['added'], [...at, 'added']), state: state as MemberState }
    if (fields['address'] !== undefined) member.address = text(fields['address'], [...at, 'address'], 300)
    return member
  })
  members.forEach((member, i) => {
    if (seen.has(member.id)) throw new Invalid(['members', i, 'id'], 'this device is listed twice')
    seen.add(member.id)
  })
  return { version, members }
}

function parseInvites(json: unknown): InvitesFile {
  const file = record(json, [], ['version', 'invites'])
  const version = version1(file['version'], ['version'])
  const invites = list(file['invites'], ['invites']).map((value, i): InviteRecord => {
    const at = ['invites', i]
    const fields = record(value, at, ['tokenHash', 'expires', 'used'], ['usedBy'])
    const expires = fields['expires']
    if (typeof expires !== 'number' || !Number.isSafeInteger(expires) || expires < 0) throw new Invalid([...at, 'expires'], 'expected a whole number of seconds, 0 or more')
    if (typeof fields['used'] !== 'boolean') throw new Invalid([...at, 'used'], 'expected true or false')
    const invite: InviteRecord = { tokenHash: hex32(fields['tokenHash'], [...at, 'tokenHash']), expires, used: fields['used'] }
    if (fields['usedBy'] !== undefined) invite.usedBy = hex32(fields['usedBy'], [...at, 'usedBy'])
    return invite
  })
  return { version, invites }
}

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
  return readChecked(path.join(dir, MEMBERS_FILE), parseMembers, 'member list', { version: 1, members: [] })
}

export function readInvites(dir: string): InvitesFile {
  return readChecked(path.join(dir, INVITES_FILE), parseInvites, 'invite list', { version: 1, invites: [] })
}

function readChecked<T>(file: string, parse: (json: unknown) => T, what: string, empty: T): T {
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
  try {
    return parse(json)
  } catch (error) {
    if (!(error instanceof Invalid)) throw error
    const where = error.path.length > 0 ? `${error.path.join('.')}: ` : ''
    throw new MembershipFileError(`${file} is not a valid ${what}: ${where}${error.message}; fix it or move it aside`, file)
  }
}
