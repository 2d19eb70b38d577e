// Which peer a person means (`dropbox-sync ctl … PEER`, the app's buttons): its device name, its
// device ID (whole, or from its first group on), its mirror folder's name, or its address
// (`ip:port`, or the `ip_port` folder of an earlier version). Pure: the client hands in the
// peers it knows, and gets one of them or one line saying what PEER could have been.
import { parseDeviceId } from '../../../shared/device-id'
import { peerKey } from './control-protocol'

export interface KnownPeer {
  /** Device ID, hex. */
  id: string
  /** Device ID as people read it. */
  idText: string
  name: string
  /** Its mirror folder's name in the mirror root, once it has one. */
  folder?: string
  /** Where it is, or was last seen, as `ip:port`; unknown for a device not seen since the start. */
  endpoint?: string
  /** The `IP_PORT` folder of an earlier version it took over. */
  adopted?: string
}

export type PeerMatch = { peer: KnownPeer } | { error: string }

/** How many peers an error lists before it says how many more there are. */
const LISTED = 10

const WHAT_PEER_IS = 'its device name, device ID, mirror folder or IP:PORT'

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** `bob laptop (ID MFZWI3D, mirror Bobs-laptop-MFZWI3D, at 10.0.0.2:4001)`. */
export function describePeer(peer: KnownPeer): string {
  const parts = [`ID ${peer.idText.slice(0, 7)}`]
  if (peer.folder) parts.push(`mirror ${peer.folder}`)
  if (peer.endpoint) parts.push(`at ${peer.endpoint}`)
  return `${peer.name || '(no name)'} (${parts.join(', ')})`
}

function listed(peers: readonly KnownPeer[]): string {
  const shown = peers.slice(0, LISTED).map(describePeer).join('; ')
  return peers.length > LISTED ? `${shown}; and ${peers.length - LISTED} more` : shown
}

/** The one peer `text` names, or why there is not exactly one. */
export function matchPeer(text: string, peers: readonly KnownPeer[]): PeerMatch {
  const wanted = text.trim()
  if (wanted === '') return { error: `name the peer: ${WHAT_PEER_IS}` }
  const lower = wanted.toLowerCase()
  const address = peerKey(wanted)
  const parsed = parseDeviceId(wanted)
  const fullId = parsed.bytes ? hex(parsed.bytes) : null
  // The first group (7 characters) or more of a device ID, dashes or not.
  const compact = wanted.replace(/[\s-]+/g, '').toUpperCase()
  const idStart = /^[A-Z2-7]{7,56}$/.test(compact) ? compact : null
  const found = peers.filter(
    (peer) =>
      peer.id === fullId ||
      (idStart !== null && peer.idText.replace(/-/g, '').startsWith(idStart)) ||
      (address !== null && peer.endpoint === address) ||
      peer.adopted?.toLowerCase() === lower ||
      peer.folder?.toLowerCase() === lower ||
      peer.name.toLowerCase() === lower,
  )
  const unique = [...new Map(found.map((peer) => [peer.id, peer])).values()]
  if (unique.length === 1) return { peer: unique[0]! }
  const quoted = JSON.stringify(wanted.slice(0, 100))
  if (unique.length > 1) return { error: `${quoted} could be any of ${unique.length} peers: ${listed(unique)}; name one by its device ID or mirror folder` }
  if (peers.length === 0) return { error: `no peer matches ${quoted}: this client knows no peers yet` }
  return { error: `no peer matches ${quoted} (${WHAT_PEER_IS}); this client knows: ${listed(peers)}` }
}
