// What the Settings form shows for a pasted invite: the server it leads to and until when, or the
// reader's exact refusal. Decoding needs SHA-256, so it runs here and not in the window.
import type { DecodedInviteView } from '../../shared/contract'
import { formatDeviceId, shortDeviceId } from '../../shared/device-id'
import { decodeInvite } from '../engine/identity/invite'
import { formatInviteAddress } from '../engine/identity/invite-address'

export function inviteView(text: string, now = new Date()): DecodedInviteView {
  const decoded = decodeInvite(text, Math.floor(now.getTime() / 1000))
  if (!decoded.ok) return { ok: false, problem: decoded.problem, message: capitalized(decoded.message) }
  const { invite } = decoded
  return {
    ok: true,
    serverId: formatDeviceId(invite.serverId),
    serverShortId: shortDeviceId(invite.serverId),
    addresses: invite.addresses.map(formatInviteAddress),
    expires: invite.expires * 1000,
  }
}

/** The reader's messages follow an `error:` in the terminal; the form shows sentences. */
function capitalized(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1)
}
