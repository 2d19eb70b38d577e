// Acts on what reconcile.ts decides for one path of one peer: removes it (through the peer's
// mass-delete hold), restores it from the recycler, or queues its file job; and says, once per
// announcement, when a peer lists a path no folder can hold, one this disk cannot name, or two it
// cannot tell apart. The decision itself stays pure.
import type { EventSink } from '../../../shared/events'
import type { FileJob } from './jobs'
import { ListedFiles, clashWinner } from './listed-files'
import type { LocalBlocks } from './local-blocks'
import type { LocalWrites } from './local-writes'
import type { MirrorFiles } from './mirror-files'
import { pathInMirror } from './mirror-path'
import type { MirrorTasks } from './mirror-tasks'
import type { PeerDeletions } from './peer-deletions'
import { namedPeer, type PeerState } from './peer-state'
import { decide } from './reconcile'

export interface PathActionsDeps {
  tasks: MirrorTasks
  onEvent: EventSink
  writes: LocalWrites<PeerState>
  deletions: Pick<PeerDeletions, 'release' | 'remove'>
  files: Pick<MirrorFiles, 'restoreRecycled' | 'localCopyOf' | 'unrecorded' | 'reserveKeep'>
  localBlocks: Pick<LocalBlocks, 'knows'>
  /** Why the disk under the mirrors cannot hold a name, or null (disk-names.ts). */
  nameProblem: (rel: string) => string | null
  /** Puts the job in the ring in the peer's generation (waits while the ring is full). */
  produce: (state: PeerState, job: FileJob) => Promise<void>
}

export class PathActions {
  constructor(private readonly deps: PathActionsDeps) {}

  /**
   * Acts on what reconcile.ts decides for `rel`: removes it, or queues its job (waiting for a
   * slot in the ring), unless the recycler gives it back first.
   * `remote`: the peer's files as known (a list still arriving, for its first frames).
   */
  async consider(state: PeerState, generation: number, rel: string, remote = state.remote): Promise<void> {
    const listed = remote?.get(rel)
    const fileAbove = listed && remote ? fileStandingAbove(remote, rel) : undefined
    const sameNameAs = listed && remote instanceof ListedFiles ? clashWinner(rel, remote.spellingsOf(rel), state.manifest.holderOf(rel)) : undefined
    const nameRefused = listed ? this.deps.nameProblem(rel) : null
    const decision = decide({
      live: this.deps.tasks.live(state, generation) && remote !== null,
      want: listed,
      have: state.manifest.files.get(rel)?.version,
      record: state.paths.of(rel),
      probeDisk: state.probeDisk,
      insideFile: fileAbove,
      sameNameAs,
      nameRefused,
    })
    // A removal settles its own wait (peer-deletions.ts): the disk may refuse it too.
    if (decision.do === 'nothing') this.deps.writes.unwanted(state, rel)
    const refusal = decision.do === 'nothing' && listed ? refusalOf(decision.why, namedPeer(state), rel, { fileAbove, sameNameAs, nameRefused }) : null
    if (refusal && listed) {
      // Refused, so said once per announcement (PROTOCOL.md §12.3, §12.7).
      state.paths.refuse(rel, listed.version)
      this.deps.tasks.report(refusal.code, refusal.message, state.ref.key)
    }
    if (decision.release && this.deps.deletions.release(state, rel)) {
      this.deps.onEvent({ type: 'mass-delete-cleared', peer: state.ref.key, id: state.idText, name: state.name, confirmed: false })
    }
    if (decision.do === 'remove') return this.deps.deletions.remove(state, [rel])
    if (decision.do !== 'fetch') return
    const { want, have } = decision
    // On a disk that folds names, another spelling the peer no longer lists holds this path's file:
    // its deletion goes first (into the history, and the recycler for a move), not overwritten unkept.
    const displaced = state.manifest.holderOf(rel)
    if (displaced !== undefined && displaced !== rel && !remote?.has(displaced)) await this.deps.deletions.remove(state, [displaced])
    // A mirrored file stands where the peer now has a folder (replaced by one of the same name): its
    // deletion goes first, into the history, or the worker making the folder would unlink it unkept.
    const fileInTheWay = fileStandingAbove(state.manifest.files, rel)
    if (fileInTheWay !== undefined && !remote?.has(fileInTheWay)) await this.deps.deletions.remove(state, [fileInTheWay])
    // And a mirrored folder where the peer now has a file: what it holds that the peer no longer lists.
    if (state.manifest.files.filesBelow(rel) > 0) {
      const inTheWay = [...state.manifest.files.filesUnder(rel)].filter((below) => !remote?.has(below))
      if (inTheWay.length > 0) await this.deps.deletions.remove(state, inTheWay)
    }
    const where = pathInMirror(state.ref.folder, rel)
    if ('problem' in where) return
    if (decision.recycled && this.deps.files.restoreRecycled(state, rel, want, where.path)) return
    // Not fetched while it would not fit: it waits for room (local-writes.ts).
    if (!this.deps.writes.admit(state, rel, want.size)) return
    state.paths.setPending(rel, want.version)
    const job: FileJob = {
      kind: 'file',
      id: 0,
      peer: state.ref,
      path: rel,
      version: want.version,
      size: want.size,
      have,
      reuseFrom: decision.reuse ? (this.deps.files.localCopyOf(want.version, where.path) ?? (decision.probe ? this.deps.files.unrecorded(state, where.path, want.size) : null)) : null,
      // What it replaces goes to the history (the worker links it there before the rename).
      keepAs: have !== null ? this.deps.files.reserveKeep(state) : null,
      ...(this.deps.localBlocks.knows(want.size) ? { localBlocks: true } : {}),
    }
    await this.deps.produce(state, job)
  }
}

/** The error a path the mirror will not hold gets, by why: a list no folder can be, or a name this disk cannot hold. */
function refusalOf(
  why: string,
  peer: string,
  rel: string,
  facts: { fileAbove: string | undefined; sameNameAs: string | undefined; nameRefused: string | null },
): { code: string; message: string } | null {
  if (why === 'inside-file') return { code: 'bad-path', message: `${peer} lists ${rel} inside its file ${facts.fileAbove}: not mirrored` }
  if (why === 'name-clash') {
    const message = `${peer} lists ${rel} and ${facts.sameNameAs}, one file on this disk (it does not tell upper from lower case or Unicode forms apart): ${rel} is not mirrored`
    return { code: 'name-clash', message }
  }
  if (why === 'name-refused') return { code: 'name-refused', message: `${peer} lists ${rel}: ${facts.nameRefused}: not mirrored` }
  return null
}

/** The nearest folder above `rel` that `remote` (the peer's list, or the mirror's files) holds as a file, if any. */
function fileStandingAbove(remote: ReadonlyMap<string, unknown>, rel: string): string | undefined {
  for (let slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
    const above = rel.slice(0, slash)
    if (remote.has(above)) return above
  }
  return undefined
}
