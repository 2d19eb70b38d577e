// A peer's deletions reach its mirror through the mass-delete hold (mass-delete.ts): a burst that
// would take much of the mirror at once is held until the user confirms it; the rest is applied.
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import type { KnownPeer } from '../control/peer-match'
import { DEFAULT_MASS_DELETE, MassDeleteHold, type MassDeleteLimits } from './mass-delete'
import type { MirrorFiles } from './mirror-files'
import type { MirrorTasks } from './mirror-tasks'
import { namedPeer, type PeerState } from './peer-state'

export interface PeerDeletionsOptions {
  tasks: MirrorTasks
  onEvent: EventSink
  /** When a peer's deletions are held (default DEFAULT_MASS_DELETE). */
  limits?: MassDeleteLimits
  files: Pick<MirrorFiles, 'removeLocal' | 'history'>
  /** The device with that ID (hex) as the user knows it, for the confirm's event. */
  who: (id: string) => KnownPeer | undefined
  checkSynced: (state: PeerState) => void
  /** Acts on what reconcile.ts decides for `rel` (the coordinator's consider). */
  consider: (state: PeerState, generation: number, rel: string) => Promise<void>
  /** The disk refused to remove `rel` (`reason`): it waits for the disk, as a refused write does (local-writes.ts). */
  refused: (state: PeerState, rel: string, reason: string) => void
  /** `rel` is gone from the mirror, or no longer to go now (held): it waits for the disk no more. */
  settled: (state: PeerState, rel: string, removed: boolean) => void
}

export class PeerDeletions {
  /** Each peer's recent deletions and those held, by device ID; kept while it is away. */
  private readonly holds = new Map<string, MassDeleteHold>()
  /** Deletions admitted that the disk refused, by device ID: tried again, they are not counted twice. */
  private readonly refusedByDisk = new Map<string, Set<string>>()

  constructor(private readonly options: PeerDeletionsOptions) {}

  /**
   * Deletions the peer made: applied, unless they make a mass delete (see mass-delete.ts), which
   * is held until the user confirms it.
   */
  async remove(state: PeerState, rels: string[]): Promise<void> {
    const refused = this.refusedByDisk.get(state.ref.id)
    const mirrored = rels.filter((rel) => state.manifest.files.has(rel) && !refused?.has(rel))
    let hold = this.holds.get(state.ref.id)
    if (!hold) this.holds.set(state.ref.id, (hold = new MassDeleteHold(this.options.limits ?? DEFAULT_MASS_DELETE)))
    // Batches come concurrently: one still being removed must count as deleted, not as still there.
    const admission = hold.admit(mirrored, state.manifest.files.size - state.deleting, Date.now())
    if (admission.hold && admission.started) {
      const { files, total } = admission
      this.options.onEvent({ type: 'mass-delete', peer: state.ref.key, id: state.idText, name: state.name, files, held: admission.held, total })
      const folder = path.basename(state.ref.folder)
      this.options.tasks.report(
        'mass-delete',
        `${namedPeer(state)} deleted ${files} of its ${total} files at once: its mirror keeps them, and its other changes go on, until you confirm with: dropbox-sync ctl confirm ${folder}`,
        state.ref.key,
      )
    }
    const held = admission.hold ? new Set(mirrored) : null
    const applying = new Set(admission.hold ? [] : admission.apply)
    state.deleting += applying.size
    try {
      for (const rel of rels) {
        if (held?.has(rel)) {
          this.options.settled(state, rel, false)
          continue
        }
        await this.removeUnlisted(state, rel)
        if (applying.delete(rel)) state.deleting--
      }
    } finally {
      state.deleting -= applying.size
    }
  }

  /**
   * Removes `rel` unless the peer lists it again or a job for it is under way (whose result then
   * decides): removals of a burst take turns, and a push may put a file back between them. One
   * listed again while it was being removed is brought back (out of the recycler). True: removed.
   */
  private async removeUnlisted(state: PeerState, rel: string): Promise<boolean> {
    if (state.remote?.has(rel) || state.paths.isPending(rel)) return false
    const refusal = await this.options.files.removeLocal(state, rel)
    let refused = this.refusedByDisk.get(state.ref.id)
    if (refusal !== null) {
      if (!refused) this.refusedByDisk.set(state.ref.id, (refused = new Set()))
      refused.add(rel)
      this.options.refused(state, rel, refusal)
      return false
    }
    if (refused?.delete(rel) && refused.size === 0) this.refusedByDisk.delete(state.ref.id)
    this.options.settled(state, rel, true)
    if (state.remote?.has(rel)) await this.options.consider(state, state.generation, rel)
    return true
  }

  /** The peer has `rel` again: it is no longer a held deletion. True when that cleared the hold. */
  release(state: PeerState, rel: string): boolean {
    this.refusedByDisk.get(state.ref.id)?.delete(rel)
    return this.holds.get(state.ref.id)?.release(rel) ?? false
  }

  /**
   * The user confirms a device's held mass delete (ID, hex; `peer` names it): it is applied (into
   * the history). `state`: the device's mirror, if it is remembered.
   */
  async confirm(id: string, peer: string, state: PeerState | undefined): Promise<{ ok: boolean; message: string }> {
    const hold = this.holds.get(id)
    if (!hold || hold.held.size === 0) return { ok: false, message: `no deletions of ${peer} are held` }
    const remote = state?.online ? state.remote : null
    const paths = hold.confirm(remote !== null)
    const who = this.options.who(id)
    this.options.onEvent({ type: 'mass-delete-cleared', ...(who?.endpoint === undefined ? {} : { peer: who.endpoint }), id: who?.idText, name: who?.name, confirmed: true })
    if (!state || !remote) return { ok: true, message: `confirmed; ${peer} is not mirrored now: its ${paths.length} deletions are applied when its list arrives` }
    let applied = 0
    for (const rel of paths) if (state.manifest.files.has(rel) && (await this.removeUnlisted(state, rel))) applied++
    this.options.checkSynced(state)
    return { ok: true, message: `applied ${applied} deletions of ${peer}${this.options.files.history.enabled ? '; the files are in the mirror history' : ''}` }
  }
}
