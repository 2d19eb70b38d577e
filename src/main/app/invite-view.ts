// What the Settings form shows for a pasted invite: the server it leads to and until when, or the
// reader's exact refusal; once this device has joined that server, that the invite did its work.
// Decoding needs SHA-256, so it runs here and not in the window.
import type { DecodedInviteView } from '../../shared/contract'
import { capitalized } from '../../shared/capitalized'
import { formatDeviceId, shortDeviceId } from '../../shared/device-id'
import type { SavedServer } from '../engine/client/saved-server'
import { decodeInvite, inviteTokenHash, type Invite } from '../engine/identity/invite'
import { formatInviteAddress } from '../engine/identity/invite-address'

/** `saved`: this device's membership (`server.json`), null when it has none. */
export function inviteView(text: string, now = new Date(), saved: SavedServer | null = null): DecodedInviteView {
  const decoded = decodeInvite(text, Math.floor(now.getTime() / 1000))
  if (decoded.ok) return validView(decoded.invite, saved)
  // An invite of the server this device is a member of has done its work: its expiry is no problem.
  const expired = decoded.problem === 'expired' ? decodeInvite(text, 0) : null
  if (expired?.ok && isMemberOf(expired.invite, saved)) return validView(expired.invite, saved)
  return { ok: false, problem: decoded.problem, message: capitalized(decoded.message) }
}

function validView(invite: Invite, saved: SavedServer | null): DecodedInviteView {
  const member = isMemberOf(invite, saved)
  const joined = member ? saved?.joinedWith : undefined
  return {
    ok: true,
    serverId: formatDeviceId(invite.serverId),
    serverShortId: shortDeviceId(invite.serverId),
    addresses: invite.addresses.map(formatInviteAddress),
    expires: invite.expires * 1000,
    member,
    usedAt: joined?.tokenHash === inviteTokenHash(invite.token) ? Date.parse(joined.at) : null,
  }
}

function isMemberOf(invite: Invite, saved: SavedServer | null): boolean {
  return saved?.id.equals(invite.serverId) === true
}
