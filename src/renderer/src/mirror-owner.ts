// Whose mirror a folder of the mirror root is, named as every screen names a peer (peer-label.ts):
// the History screen lists mirrors by folder (`NAME-SHORTID`), and people know peers by name.
import type { HistoryMirror, PeerView } from '../../shared/contract'
import { peerLabel } from '../../shared/peer-label'

/**
 * The device on record for the folder, by its name and address now when it is among the peers
 * (a renamed device keeps its folder), else as recorded, with the address its newest kept version
 * came from; a folder with no device on record (an `IP_PORT` one), by that address; else the folder.
 */
export function mirrorOwner(mirror: Pick<HistoryMirror, 'folder' | 'peer' | 'device'>, peers: readonly Pick<PeerView, 'key' | 'id' | 'name'>[]): string {
  const here = mirror.device ? peers.find((p) => p.id === mirror.device!.id) : undefined
  if (here) return peerLabel(here.name ?? mirror.device!.name, here.key)
  if (mirror.device) return mirror.peer ? peerLabel(mirror.device.name, mirror.peer) : mirror.device.name
  if (mirror.peer) return peerLabel(peers.find((p) => p.key === mirror.peer)?.name, mirror.peer)
  return mirror.folder
}
