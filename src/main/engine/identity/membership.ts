// The server's member store in its config folder. Lookups are synchronous and see changes made
// by another process (the CLI's `members` and `invite` while the server runs) at once: each one
// stats the two files, and re-reads only a file that was replaced. Writes re-read, change and
// replace the files under a lock, so two processes never undo each other's changes.
import { randomBytes } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../folder/atomic-write'
import { withFileLock } from './file-lock'
import { encodeInvite, inviteTokenHash, TOKEN_BYTES } from './invite'
import type { InviteAddress } from './invite-address'
import {
  fileSignature,
  INVITES_FILE,
  MAX_NAME_LENGTH,
  MEMBERS_FILE,
  MembershipFileError,
  readInvites,
  readMembers,
  type InvitesFile,
  type MemberRecord,
  type MembersFile,
  type MemberState,
} from './membership-files'

export { MembershipFileError, type MemberRecord, type MemberState } from './membership-files'

const LOCK_FILE = 'membership.lock'
/** Expired invites are kept this long, so their use is answered "expired" rather than "unknown". */
const KEEP_EXPIRED_SECONDS = 7 * 24 * 3600
/** The safety net under fs.watch, which some file systems (network shares) never fire. */
const POLL_MS = 500

export type RedeemResult = 'ok' | 'used' | 'expired' | 'unknown'

/** One device whose state changed, by whichever process changed it; null: no record. */
export interface MemberChange {
  id: string
  name: string
  before: MemberState | null
  after: MemberState | null
}

export interface MembershipOptions {
  /** Called with every change seen after opening, made here or by another process. */
  onChange?: (changes: MemberChange[]) => void
  /** A file damaged while running: lookups keep what was last read; told once per damage. */
  onProblem?: (message: string) => void
  /** The damaged file was replaced by one that reads (whether or not anyone's state changed). */
  onRecovered?: () => void
}

export class Membership {
  private members = new Map<string, MemberRecord>()
  private signature: string | null = null
  private watcher: FSWatcher | null = null
  private poll: NodeJS.Timeout | null = null

  private constructor(
    readonly dir: string,
    private readonly options: MembershipOptions,
  ) {}

  /** Reads the files (absent ones are empty); a bad file is a MembershipFileError naming it. */
  static async open(configDir: string, options: MembershipOptions = {}): Promise<Membership> {
    const membership = new Membership(path.resolve(configDir), options)
    // What the files hold at opening is where the store starts, not a change: no onChange for it.
    membership.load(false)
    readInvites(membership.dir)
    return membership
  }

  list(): MemberRecord[] {
    this.refresh()
    return [...this.members.values()].map((member) => ({ ...member }))
  }

  get(id: Uint8Array): MemberRecord | undefined {
    this.refresh()
    const member = this.members.get(hex(id))
    return member && { ...member }
  }

  isMember(id: Uint8Array): boolean {
    return this.get(id)?.state === 'member'
  }

  /** Records a new invite and returns its text; only the token's hash is kept. */
  async createInvite(params: { addresses: InviteAddress[]; serverId: Uint8Array; validHours?: number; now?: Date }): Promise<string> {
    const token = randomBytes(TOKEN_BYTES)
    const now = params.now ?? new Date()
    const expires = seconds(now) + Math.round((params.validHours ?? 24) * 3600)
    const text = encodeInvite({ addresses: params.addresses, serverId: params.serverId, token, expires })
    await this.change(({ invites }) => {
      invites.invites.push({ tokenHash: inviteTokenHash(token), expires, used: false })
      return { invites }
    }, now)
    return text
  }

  /**
   * Single use: the first device in becomes a member. The same device retrying (its answer lost
   * with the connection) is let in again while the invite is valid, unless it was removed since.
   */
  async redeemInvite(token: Uint8Array, deviceId: Uint8Array, name: string, now = new Date()): Promise<RedeemResult> {
    const id = hex(deviceId)
    return this.change(({ members, invites }) => {
      const invite = invites.invites.find((record) => record.tokenHash === inviteTokenHash(token))
      if (!invite) return { result: 'unknown' }
      if (seconds(now) >= invite.expires) return { result: 'expired' }
      const state = members.members.find((member) => member.id === id)?.state
      if (invite.used && (invite.usedBy !== id || (state !== undefined && state !== 'member'))) return { result: 'used' }
      invite.used = true
      invite.usedBy = id
      if (state === 'member') return { invites, result: 'ok' }
      // The invite is marked used first: a crash in between leaves a retry that adds the member.
      return { invites, members: upsert(members, { id, name: cleanName(name), added: now.toISOString(), state: 'member' }), result: 'ok' }
    }, now)
  }

  /**
   * Invites used and not yet expired, by token hash and the device that used it: the ones a window
   * could still show as valid. Read from the file each time (it is small); a damaged one throws.
   */
  usedInvites(now = new Date()): Array<{ tokenHash: string; usedBy: string }> {
    return readInvites(this.dir).invites.flatMap((invite) =>
      invite.used && invite.usedBy !== undefined && invite.expires > seconds(now) ? [{ tokenHash: invite.tokenHash, usedBy: invite.usedBy }] : [],
    )
  }

  async add(deviceId: Uint8Array, name: string, now = new Date()): Promise<'added' | 'already-member'> {
    const id = hex(deviceId)
    return this.change(({ members }) => {
      if (find(members, id)?.state === 'member') return { result: 'already-member' }
      return { members: upsert(members, { id, name: cleanName(name), added: now.toISOString(), state: 'member' }), result: 'added' }
    })
  }

  /** A device with a valid certificate but no membership asks in; its state is the answer. */
  async request(deviceId: Uint8Array, name: string, address: string, now = new Date()): Promise<MemberState> {
    const id = hex(deviceId)
    return this.change(({ members }) => {
      const existing = find(members, id)
      if (existing && existing.state !== 'pending') return { result: existing.state }
      const record: MemberRecord = { id, name: cleanName(name), added: existing?.added ?? now.toISOString(), state: 'pending', address: address.slice(0, 300) }
      if (existing && existing.name === record.name && existing.address === record.address) return { result: 'pending' }
      return { members: upsert(members, record), result: 'pending' }
    })
  }

  /** Lets in a device that asked, was refused or was removed. */
  async accept(deviceId: Uint8Array, now = new Date()): Promise<'accepted' | 'already-member' | 'unknown'> {
    const id = hex(deviceId)
    return this.change(({ members }) => {
      const existing = find(members, id)
      if (!existing) return { result: 'unknown' }
      if (existing.state === 'member') return { result: 'already-member' }
      return { members: upsert(members, { id, name: existing.name, added: now.toISOString(), state: 'member' }), result: 'accepted' }
    })
  }

  async refuse(deviceId: Uint8Array): Promise<'refused' | 'not-pending' | 'unknown'> {
    const id = hex(deviceId)
    return this.change(({ members }) => {
      const existing = find(members, id)
      if (!existing) return { result: 'unknown' }
      if (existing.state !== 'pending') return { result: 'not-pending' }
      return { members: upsert(members, { ...existing, state: 'refused' }), result: 'refused' }
    })
  }

  /**
   * A member becomes `removed` (kept, so it is refused as removed and cannot simply ask again);
   * any other record is forgotten, so that device may ask anew.
   */
  async remove(deviceId: Uint8Array): Promise<'removed' | 'forgotten' | 'unknown'> {
    const id = hex(deviceId)
    return this.change(({ members }) => {
      const existing = find(members, id)
      if (!existing) return { result: 'unknown' }
      if (existing.state === 'member') return { members: upsert(members, { id, name: existing.name, added: existing.added, state: 'removed' }), result: 'removed' }
      return { members: { ...members, members: members.members.filter((member) => member.id !== id) }, result: 'forgotten' }
    })
  }

  /** Tells onChange of changes other processes make, without waiting for a lookup. */
  watch(): void {
    if (this.poll) return
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null || name === MEMBERS_FILE) this.refresh()
      })
      this.watcher.on('error', () => this.watcher?.close())
    } catch {
      // A folder that cannot be watched is still polled.
    }
    this.poll = setInterval(() => this.refresh(), POLL_MS).unref()
  }

  close(): void {
    this.watcher?.close()
    this.watcher = null
    if (this.poll) clearInterval(this.poll)
    this.poll = null
  }

  /** Re-reads members.json if it was replaced; a damaged one keeps the last good list. */
  private refresh(): void {
    try {
      if (fileSignature(path.join(this.dir, MEMBERS_FILE)) !== this.signature) this.load()
    } catch (error) {
      if (!(error instanceof MembershipFileError)) throw error
      // Told once per damaged version of the file, not at every lookup.
      const signature = safeSignature(error.file)
      if (signature !== this.badSignature) this.options.onProblem?.(error.message)
      this.badSignature = signature
    }
  }

  private badSignature: string | null = null

  private load(announce = true): void {
    const file = path.join(this.dir, MEMBERS_FILE)
    const signature = fileSignature(file)
    const next = new Map(readMembers(this.dir).members.map((member) => [member.id, member]))
    const changes = diff(this.members, next)
    const recovered = this.badSignature !== null
    this.members = next
    this.signature = signature
    this.badSignature = null
    if (announce && changes.length > 0) this.options.onChange?.(changes)
    if (recovered) this.options.onRecovered?.()
  }

  /** Read, change and write both files under the lock; a damaged file is never overwritten. */
  private async change<T>(
    edit: (files: { members: MembersFile; invites: InvitesFile }) => { members?: MembersFile; invites?: InvitesFile; result?: T },
    now = new Date(),
  ): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    return withFileLock(path.join(this.dir, LOCK_FILE), async () => {
      const invites = readInvites(this.dir)
      const out = edit({ members: readMembers(this.dir), invites })
      if (out.invites) {
        const keepFrom = seconds(now) - KEEP_EXPIRED_SECONDS
        out.invites.invites = out.invites.invites.filter((invite) => invite.expires >= keepFrom)
        await writeFileAtomic(path.join(this.dir, INVITES_FILE), `${JSON.stringify(out.invites, null, 2)}\n`, 0o600)
      }
      if (out.members) await writeFileAtomic(path.join(this.dir, MEMBERS_FILE), `${JSON.stringify(out.members, null, 2)}\n`, 0o600)
      this.refresh()
      return out.result as T
    })
  }
}

function diff(before: Map<string, MemberRecord>, after: Map<string, MemberRecord>): MemberChange[] {
  const changes: MemberChange[] = []
  for (const [id, member] of after) {
    const old = before.get(id)
    if (old?.state !== member.state) changes.push({ id, name: member.name, before: old?.state ?? null, after: member.state })
  }
  for (const [id, member] of before) if (!after.has(id)) changes.push({ id, name: member.name, before: member.state, after: null })
  return changes
}

function find(members: MembersFile, id: string): MemberRecord | undefined {
  return members.members.find((member) => member.id === id)
}

/** The list with `record` in place of the same device's entry, or added at the end. */
function upsert(members: MembersFile, record: MemberRecord): MembersFile {
  const i = members.members.findIndex((member) => member.id === record.id)
  const list = [...members.members]
  if (i >= 0) list[i] = record
  else list.push(record)
  return { ...members, members: list }
}

/** Control characters out (a name is printed to terminals), at most MAX_NAME_LENGTH characters. */
function cleanName(name: string): string {
  let out = ''
  for (const char of name.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim()) {
    // Counted as the file's check counts (UTF-16 units), never splitting a character.
    if (out.length + char.length > MAX_NAME_LENGTH) break
    out += char
  }
  return out
}

function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

function safeSignature(file: string): string | null {
  try {
    return fileSignature(file)
  } catch {
    return null
  }
}
