// The server's member list as the window sees it: one Membership on the config folder, watched, so
// a change made anywhere (the window, or `dropbox-sync members` in a terminal) reaches every window
// as events: join-request, member-added and member-removed for Activity, and the whole list again.
import { formatDeviceId, shortDeviceId } from '../../shared/device-id'
import type { MemberActionReply, MembersEvent, MembersState, MemberView } from '../../shared/contract'
import type { EngineEvent } from '../../shared/events'
import type { InviteAddress } from '../engine/identity/invite-address'
import { Membership, type MemberChange, type MemberRecord } from '../engine/identity/membership'

export type MembersSink = (event: EngineEvent | MembersEvent) => void

export class MembersService {
  private membership: Membership | null = null
  private opening: Promise<Membership> | null = null
  private problem: string | null = null
  private revision = 0
  private closed = false

  constructor(
    private readonly configDir: string,
    private readonly emit: MembersSink,
  ) {}

  /** Opens the files and starts watching them; a damaged file is kept as the list's problem. */
  async open(): Promise<MembersState> {
    await this.ready().catch(() => {})
    return this.state()
  }

  async list(): Promise<MembersState> {
    return this.open()
  }

  async createInvite(params: { addresses: InviteAddress[]; serverId: Uint8Array; now: Date }): Promise<string> {
    return (await this.ready()).createInvite(params)
  }

  async accept(id: string): Promise<MemberActionReply> {
    const result = await (await this.ready()).accept(bytes(id))
    return { result, state: this.state() }
  }

  async refuse(id: string): Promise<MemberActionReply> {
    const result = await (await this.ready()).refuse(bytes(id))
    return { result, state: this.state() }
  }

  async remove(id: string): Promise<MemberActionReply> {
    const result = await (await this.ready()).remove(bytes(id))
    return { result, state: this.state() }
  }

  /** True while the store is open and watched: every change to it becomes this service's events. */
  get watching(): boolean {
    return this.membership !== null && !this.closed
  }

  close(): void {
    this.closed = true
    this.membership?.close()
  }

  state(): MembersState {
    const members = this.membership?.list() ?? []
    return { revision: this.revision, members: members.map(toView), usedInvites: this.usedInvites(members), problem: this.problem }
  }

  /** Redeeming writes invites.json before members.json, so the member's change finds its invite used. */
  private usedInvites(members: MemberRecord[]): MembersState['usedInvites'] {
    let used: Array<{ tokenHash: string; usedBy: string }>
    try {
      used = this.membership?.usedInvites() ?? []
    } catch {
      // A damaged invites.json is the server's to report when a device presents an invite.
      return []
    }
    const names = new Map(members.map((member) => [member.id, member.name]))
    return used.map(({ tokenHash, usedBy }) => ({ key: tokenHash, shortId: shortDeviceId(bytes(usedBy)), name: names.get(usedBy) ?? '' }))
  }

  /** The open store; a failed open is tried again at the next call (the file may be fixed by then). */
  private ready(): Promise<Membership> {
    if (this.membership) return Promise.resolve(this.membership)
    this.opening ??= this.openStore().finally(() => {
      this.opening = null
    })
    return this.opening
  }

  private async openStore(): Promise<Membership> {
    try {
      const membership = await Membership.open(this.configDir, {
        onChange: (changes) => this.changed(changes),
        // Told from inside a lookup: the list is read again once that lookup is over.
        onProblem: (message) => {
          this.problem = message
          queueMicrotask(() => this.publish())
        },
        onRecovered: () => {
          if (this.problem === null) return
          this.problem = null
          queueMicrotask(() => this.publish())
        },
      })
      if (this.closed) return membership
      this.membership = membership
      membership.watch()
      if (this.problem) {
        this.problem = null
        this.publish()
      }
      return membership
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (message !== this.problem) {
        this.problem = message
        this.publish()
      }
      throw error
    }
  }

  private changed(changes: MemberChange[]): void {
    this.problem = null
    const records = new Map((this.membership?.list() ?? []).map((record) => [record.id, record]))
    for (const change of changes) {
      const event = eventFor(change, records.get(change.id))
      if (event) this.emit(event)
    }
    this.publish()
  }

  private publish(): void {
    this.revision++
    this.emit({ type: 'members', state: this.state() })
  }
}

/** The Activity line a change deserves; a refusal or a forgotten request changes only the list. */
function eventFor(change: MemberChange, record: MemberRecord | undefined): EngineEvent | null {
  const id = formatDeviceId(bytes(change.id))
  if (change.after === 'pending' && change.before !== 'pending') return { type: 'join-request', id, name: change.name, address: record?.address ?? '' }
  if (change.after === 'member') return { type: 'member-added', id, name: change.name }
  if (change.before === 'member') return { type: 'member-removed', id, name: change.name }
  return null
}

function toView(record: MemberRecord): MemberView {
  const id = bytes(record.id)
  return {
    id: record.id,
    deviceId: formatDeviceId(id),
    shortId: shortDeviceId(id),
    name: record.name,
    state: record.state,
    added: record.added,
    ...(record.address === undefined ? {} : { address: record.address }),
  }
}

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}
