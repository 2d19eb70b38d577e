// What the mirror side remembers of one peer, in one place, and what changes in it when the peer
// comes and goes: every part of the coordinator reads and writes this record.
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import { peerLabel } from '../../../shared/peer-label'
import { DeletionGatherer } from './deletion-gatherer'
import type { PeerRef } from './jobs'
import type { MirrorGuard } from './mirror-guard'
import type { MirrorManifest } from './mirror-manifest'
import { MirrorTally } from './mirror-tally'
import type { ListedFiles } from './listed-files'
import type { MirrorFigures } from './mirror-stats'
import { PathRecords } from './path-records'
import type { PeerSession } from './peer-session'
import { Reachability } from './reachability'

export interface PeerState {
  /** Where it is now (`ref.key` names it in events); its folder and manifest follow the device. */
  ref: PeerRef
  endpoint: Endpoint
  /** Its device ID as people read it, and its name as last announced (for events). */
  idText: string
  name: string
  online: boolean
  /** Bumped on every join and leave: jobs of an older generation are dropped. */
  generation: number
  manifest: MirrorManifest
  ready: Promise<void>
  /** The peer's files as it last told us; null until its list arrives. */
  remote: ListedFiles | null
  listPending: boolean
  control: PeerSession | null
  /** The list arriving frame by frame on the subscription's connection; it becomes `remote` when complete. */
  incoming: { files: ListedFiles } | null
  /**
   * Each path's record beyond the manifest: the version its job brings (queued, running or to be
   * retried), a version the peer sent wrong (not asked for again), failed attempts, a wait for the
   * peer's folder.
   */
  paths: PathRecords
  /** The mirror against the peer's list, kept as counters (mirror-state, peer-synced). */
  tally: MirrorTally
  synced: boolean
  /** The peer said its shared folder is gone for now (FOLDER_STATE): its aborts are not failures. */
  folderAway: boolean
  /** Deletions admitted and not yet off the manifest (a batch is removed file by file). */
  deleting: number
  /** Pushed deletions waiting to be judged together (see deletion-gatherer.ts). */
  gathering: DeletionGatherer
  /** Watches the mirror for changes made by hand, from its first peer-synced on. */
  guard: MirrorGuard | null
  /** Whether it answers when dialled, and when to dial again when it does not. */
  reach: Reachability
  /** Lists it sent out of step in a row: said once, and asked for again less and less often. */
  badLists: Reachability
  /**
   * The mirror folder held files its manifest does not know (an adopted folder of an earlier
   * version without its record, a lost manifest): until the first list is applied, a file of
   * the announced size already at a path is checked locally (copied onto itself, hash checked)
   * before anything is fetched.
   */
  probeDisk: boolean
}

/** What makes a peer's record: who it is, its manifest, and what it waits on before use. */
export interface PeerBirth {
  ref: PeerRef
  endpoint: Endpoint
  idText: string
  name: string
  manifest: MirrorManifest
  ready: (state: PeerState) => Promise<void>
  /** Pushed deletions gathered for judging (see deletion-gatherer.ts). */
  gathered: (state: PeerState, paths: string[]) => void
}

/** A peer's record as first made: offline, nothing listed, nothing under way. */
export function newPeerState(birth: PeerBirth): PeerState {
  const { manifest } = birth
  const paths = new PathRecords()
  const state: PeerState = {
    ref: birth.ref,
    endpoint: birth.endpoint,
    idText: birth.idText,
    name: birth.name,
    online: false,
    generation: 0,
    manifest,
    ready: Promise.resolve(),
    remote: null,
    listPending: false,
    control: null,
    incoming: null,
    paths,
    tally: new MirrorTally(manifest.files, paths.refused, [manifest, paths]),
    synced: false,
    folderAway: false,
    deleting: 0,
    gathering: new DeletionGatherer((gathered) => birth.gathered(state, gathered)),
    guard: null,
    reach: new Reachability(),
    badLists: new Reachability(),
    probeDisk: false,
  }
  state.ready = birth.ready(state)
  return state
}

/** The peer as a line names it: `bob (10.0.0.5:4001)`, or its address alone while it has no name. */
export function namedPeer(peer: { readonly name: string; readonly ref: Pick<PeerRef, 'key'> }): string {
  return peerLabel(peer.name, peer.ref.key)
}

/** The peer's list as far as it is known: the whole one, or the part in so far, or none yet. */
export function listSoFar(state: PeerState): ListedFiles | null {
  return state.remote ?? state.incoming?.files ?? null
}

/** The mirror against that list, from the kept counters. */
export function figuresOf(state: PeerState): MirrorFigures {
  return state.tally.figures(listSoFar(state), state.remote !== null)
}

/** The peer is mirrored again, at `endpoint`: a new generation, and its list to come. */
export function stateOnline(state: PeerState, endpoint: Endpoint): void {
  // Where it is now: every connection dials this and pins the device announced.
  state.ref = { ...state.ref, ip: endpoint.ip, port: endpoint.port, key: endpointKey(endpoint) }
  state.endpoint = endpoint
  state.online = true
  state.generation++
  state.remote = null
  state.synced = false
}

/** The peer is not mirrored now (it left, or is paused): what its connection began ends; its mirror and manifest stay. */
export function stateOffline(state: PeerState): void {
  state.online = false
  state.generation++
  state.control?.close()
  state.control = null
  state.paths.forgetAll('pending')
  state.listPending = false
  state.incoming = null
  // Whoever comes back says again where its folder stands.
  state.folderAway = false
  state.paths.forgetAll('held')
  state.gathering.dispose()
  // Watched again once it is whole again; its list, when it is back, is weighed against the disk
  // first (see PeerFeed.applyList), so what was damaged meanwhile comes before it is called synced.
  state.guard?.close()
  state.guard = null
}
