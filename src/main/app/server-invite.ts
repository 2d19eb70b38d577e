// An invite from the app's Server role: the addresses other machines reach this server at, with
// the port it listens on, in one single-use string (Membership keeps only the token's hash).
import type { CreatedInvite, EngineStatus } from '../../shared/contract'
import type { Settings } from '../../shared/settings'
import type { DeviceIdentity } from '../engine/identity/device-identity'
import type { InviteAddress } from '../engine/identity/invite-address'
import { formatInviteAddress } from '../engine/identity/invite-address'
import { decodeInvite, inviteTokenHash, MAX_INVITE_ADDRESSES } from '../engine/identity/invite'
import { localAddresses, machineAddresses } from '../engine/identity/local-addresses'
import { inviteView } from './invite-view'
import type { MembersService } from './members-service'

export interface ServerInviteInput {
  settings: Settings
  status: EngineStatus
  identity: () => Promise<DeviceIdentity>
  members: MembersService
  /** This machine's addresses (tests name their own). */
  hosts?: () => string[]
  now?: Date
}

export async function makeServerInvite(input: ServerInviteInput): Promise<CreatedInvite> {
  const { settings, status } = input
  if (settings.role !== 'server') return { ok: false, message: 'Invites are made by the server: choose Server in Settings and Save first.' }
  // A port of 0 is a new one at every start: only the one listening now can be put in an invite.
  const port = settings.port || (status.role === 'server' ? status.listening?.port : undefined)
  if (!port) return { ok: false, message: 'The server has no port yet: give it a Port in Settings (not 0) and Save, so the invite stays right after a restart.' }
  let identity: DeviceIdentity
  try {
    identity = await input.identity()
  } catch (error) {
    return { ok: false, message: `This device's identity cannot be read: ${(error as Error).message}` }
  }
  const addresses = inviteAddresses(settings, port, input.hosts?.() ?? machineAddresses())
  const now = input.now ?? new Date()
  const invite = await input.members.createInvite({ addresses, serverId: identity.id, now })
  const view = inviteView(invite, now)
  if (!view.ok) throw new Error(`the invite just made does not read back: ${view.message}`)
  const decoded = decodeInvite(invite, 0)
  if (!decoded.ok) throw new Error(`the invite just made does not read back: ${decoded.message}`)
  return { ok: true, invite, expires: view.expires, addresses: addresses.map(formatInviteAddress), key: inviteTokenHash(decoded.invite.token) }
}

/** Listening on one address, that is the one to dial; otherwise every address of this machine. */
function inviteAddresses(settings: Settings, port: number, hosts: string[]): InviteAddress[] {
  const only = settings.listenAddress && !['0.0.0.0', '::'].includes(settings.listenAddress) ? settings.listenAddress : null
  return only ? [{ host: only, port }] : localAddresses(port, MAX_INVITE_ADDRESSES, hosts)
}
