// Every peer the mirror side remembers, by device ID (hex): a device that comes back from another
// address is the same peer. Peers that left stay remembered, up to MAX_GONE_PEERS.
import { formatDeviceId } from '../../../shared/device-id'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import { isFolderAt } from '../folder/lstat-or-why'
import type { DeviceMirrors } from './device-mirrors'
import { MirrorManifest } from './mirror-manifest'
import type { NameFold } from '../folder/disk-names'
import { newPeerState, type PeerState } from './peer-state'

/**
 * Peers that left and are remembered (their manifest in memory, their refusals): the oldest to
 * leave is forgotten past this. One that comes back loads its manifest from disk again.
 */
export const MAX_GONE_PEERS = 64

export interface PeerTableOptions {
  devices: Pick<DeviceMirrors, 'assign'>
  /** How the disk under the mirrors folds names (disk-names.ts). */
  fold: () => NameFold | null
  /** An I/O problem to say (as `io-error`); never thrown. */
  problem: (message: string) => void
  /** A burst of the peer's pushed deletions, gathered (see deletion-gatherer.ts). */
  gathered: (state: PeerState, paths: string[]) => void
  /** The mirror's record is loaded, before anything of the peer's is asked for. */
  loaded?: (state: PeerState) => void
}

export class PeerTable {
  /** In the order they left, online ones anywhere: the first to leave is forgotten first. */
  private readonly peers = new Map<string, PeerState>()
  /** Manifests of forgotten peers still being saved: one that comes back loads after the save. */
  private readonly saving = new Map<string, Promise<void>>()

  constructor(private readonly options: PeerTableOptions) {}

  /** Peers remembered, online or gone. */
  get size(): number {
    return this.peers.size
  }

  get(id: string): PeerState | undefined {
    return this.peers.get(id)
  }

  values(): IterableIterator<PeerState> {
    return this.peers.values()
  }

  /** A device seen for the first time (this run, or since it was forgotten), not online yet. */
  create(endpoint: Endpoint, id: string, name: string): PeerState {
    const { folder, manifestFile, adopt } = this.options.devices.assign(id, name, endpoint)
    const manifest = new MirrorManifest(folder, manifestFile, this.options.fold(), this.options.problem)
    const key = endpointKey(endpoint)
    const state = newPeerState({
      ref: { ip: endpoint.ip, port: endpoint.port, id, key, folder },
      endpoint,
      idText: formatDeviceId(Buffer.from(id, 'hex')),
      name,
      manifest,
      // The folder itself is made once the peer answers (see PeerFeed.subscribe): a registration
      // nobody answers for leaves nothing on disk.
      ready: (made) =>
        (this.saving.get(id) ?? Promise.resolve())
          .then(adopt)
          .then(() => manifest.load())
          .then(() => {
            made.probeDisk = manifest.files.size === 0 && isFolderAt(folder)
            this.options.loaded?.(made)
          }),
      gathered: this.options.gathered,
    })
    this.peers.set(id, state)
    return state
  }

  /** The peer left: last to leave, last to be forgotten. */
  left(state: PeerState): void {
    this.peers.delete(state.ref.id)
    this.peers.set(state.ref.id, state)
    this.forgetGone()
  }

  /** Past MAX_GONE_PEERS peers that left, the ones that left first are forgotten. */
  private forgetGone(): void {
    let gone = 0
    for (const state of this.peers.values()) if (!state.online) gone++
    for (const [id, state] of this.peers) {
      if (gone <= MAX_GONE_PEERS) break
      if (state.online) continue
      this.peers.delete(id)
      gone--
      const saved = state.manifest.flush().catch((error: unknown) => this.options.problem(`saving the manifest of ${state.ref.key}: ${String(error)}`))
      const settled = saved.then(() => {
        if (this.saving.get(id) === settled) this.saving.delete(id)
      })
      this.saving.set(id, settled)
    }
  }
}
