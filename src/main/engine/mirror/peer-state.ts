// What the mirror side remembers of one peer, in one place: every part of the coordinator
// (mirror-coordinator.ts, peer-feed.ts, job-results.ts, mirror-repair.ts) reads and writes this record.
import type { Endpoint } from '../../../shared/endpoint'
import type { IndexChange } from '../protocol/messages'
import type { DeletionGatherer } from './deletion-gatherer'
import type { ListEntry, PeerRef } from './jobs'
import type { MirrorGuard } from './mirror-guard'
import type { MirrorManifest } from './mirror-manifest'
import type { PathRecords } from './path-records'
import type { PeerSession } from './peer-session'
import type { Reachability } from './reachability'

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
  remote: Map<string, ListEntry> | null
  listPending: boolean
  control: PeerSession | null
  /** Changes pushed before the list arrived, applied after it. */
  early: IndexChange[]
  /** The list arriving frame by frame, for the list job `jobId`; it becomes `remote` when complete. */
  incoming: { jobId: number; files: Map<string, ListEntry> } | null
  /**
   * Each path's record beyond the manifest: the version its job brings (queued, running or to be
   * retried), a version the peer sent wrong (not asked for again), failed attempts, a wait for the
   * peer's folder.
   */
  paths: PathRecords
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
  /**
   * The mirror folder held files its manifest does not know (an adopted folder of an earlier
   * version without its record, a lost manifest): until the first list is applied, a file of
   * the announced size already at a path is checked locally (copied onto itself, hash checked)
   * before anything is fetched.
   */
  probeDisk: boolean
}
