// Every device this client knows, for finding the one a person names (control/peer-match.ts):
// on record in devices.json, mirrored this run, or announced now; the later source says more.
import path from 'node:path'
import { formatDeviceId } from '../../../shared/device-id'
import type { Endpoint } from '../../../shared/endpoint'
import type { KnownPeer } from '../control/peer-match'
import type { DeviceFolder } from './device-folders'
import type { PeerState } from './peer-state'

export function knownPeers(
  recorded: Iterable<[string, DeviceFolder]>,
  mirrored: Iterable<PeerState>,
  announced: Iterable<[string, { endpoint: Endpoint; id: string; name: string }]>,
): KnownPeer[] {
  const byId = new Map<string, KnownPeer>()
  const idText = (id: string): string => formatDeviceId(Buffer.from(id, 'hex'))
  for (const [id, entry] of recorded) byId.set(id, { id, idText: idText(id), name: entry.name, folder: entry.folder, ...(entry.adopted ? { adopted: entry.adopted } : {}) })
  for (const state of mirrored) {
    const known = byId.get(state.ref.id)
    byId.set(state.ref.id, { ...known, id: state.ref.id, idText: state.idText, name: state.name, folder: path.basename(state.ref.folder), endpoint: state.ref.key })
  }
  for (const [key, { id, name }] of announced) {
    const known = byId.get(id)
    byId.set(id, { ...known, id, idText: known?.idText ?? idText(id), name, endpoint: key })
  }
  return [...byId.values()]
}
