// The main thread's side of mirroring. For each peer the registry announces it subscribes to the
// peer's changes, lists its files on that connection, turns the list (and every pushed change)
// into one file job per file that differs, applies deletions and renames itself, and reports progress.
// It is the only producer of jobs; the workers only consume them (see job-ring.ts).
// This file starts and stops each peer's mirroring and asks when it is synced; each other job is
// a part wired in the constructor (peer-presence for joins, leaves and pauses, path-actions for
// reconcile.ts's decisions, peer-feed, job-results, peer-deletions, mirror-repair).
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { DeviceMirrors } from './device-mirrors'
import type { KnownPeer } from '../control/peer-match'
import { knownPeers } from './known-peers'
import { Throttle } from '../util/throttle'
import { MirrorRepair } from './mirror-repair'
import { MirrorTasks } from './mirror-tasks'
import { figuresOf, listSoFar, type PeerState } from './peer-state'
import { PeerTable } from './peer-table'
import { MirrorStats, toComeList, type MirrorSource, type ToCome } from './mirror-stats'
import { MirrorFiles } from './mirror-files'
import { PathActions } from './path-actions'
import { LocalWrites } from './local-writes'
import { WRITE_FAILED } from './write-failure'
import { PeerFeed } from './peer-feed'
import { JobDispatch } from './job-dispatch'
import { JobResults } from './job-results'
import { RunJobs } from './run-jobs'
import type { TlsCredentials } from '../net/tls'
import type { MassDeleteLimits } from './mass-delete'
import { PeerDeletions } from './peer-deletions'
import { PAUSE_FILE } from './pause-state'
import { PeerPresence } from './peer-presence'
import { WorkerPool } from './worker-pool'
import { loadBlockHash } from '../blocks/block-hash'
import { LocalBlocks } from './local-blocks'
import { askDisk, refusedNameProblem, type DiskNames } from '../folder/disk-names'

export interface MirrorOptions {
  mirrorRoot: string
  workers: number
  bufferSlots: number
  workerScript: string | URL
  /** This device's certificate and key, for its TLS connections to peers. */
  identity: TlsCredentials
  /** This device's name, sent in HELLO. */
  name: string
  onEvent: EventSink
  /** How often each watched mirror is looked at whole (default DEFAULT_RESCAN_EVERY_MS, see MirrorGuard). */
  rescanEveryMs?: number
  /** How many days the mirror history keeps what peers deleted or overwrote (default 30; 0: off). */
  keepDays?: number
  /** The most the history may hold (default: a tenth of the disk's size). */
  historyCapBytes?: number
  /** When a peer's deletions are held (see mass-delete.ts). */
  massDelete?: MassDeleteLimits
  /** The download limit's shared memory (net/token-bucket.ts), handed to every worker thread. */
  downloadRate?: SharedArrayBuffer
  /** How long a peer may leave requests unanswered (DEFAULT_PEER_STALL_MS). */
  peerStallMs?: number
}

/** Where the engine keeps its own files inside the mirror folder (never a peer folder name). */
export const STATE_FOLDER = '.dropbox-sync'
const STATE_EVENTS_EVERY_MS = 250
export { MAX_GONE_PEERS } from './peer-table'

export class MirrorCoordinator {
  /** The ring and the generation each job in it was queued in. */
  private readonly jobs: JobDispatch
  private pool: WorkerPool | null = null
  /** Every peer remembered, by device ID (hex). */
  private readonly peers: PeerTable
  /** Each device's mirror folder and manifest file. */
  private readonly devices: DeviceMirrors
  private readonly tasks: MirrorTasks
  /** The guard on each mirror that is whole, and the repair of what it finds. */
  private readonly repairs: MirrorRepair
  /** Each peer's subscription, list and pushed changes. */
  private readonly feed: PeerFeed
  /** What the workers say about each job, acted on. */
  private readonly results: JobResults
  private readonly stateEvents: Throttle
  /** Where each mirror stands (mirror-state events), told which peers changed. */
  private readonly stats: MirrorStats
  private readonly stateDir: string
  /** How the disk under the mirrors treats names (asked at start). */
  private disk: DiskNames = { fold: null, refused: '', windows: false }
  /** Removing, moving and restoring mirror files, with the history and the recycler. */
  private readonly files: MirrorFiles
  /** Pulls against the mirror's own disk: free space first, writes it refuses wait for it. */
  private readonly writes: LocalWrites<PeerState>
  /** Each peer's deletions, through its mass-delete hold. */
  private readonly deletions: PeerDeletions
  /** Blocks by hash in every local file with a kept list: pulls take them instead of fetching. */
  readonly localBlocks: LocalBlocks
  /** What each path's decision comes to: a removal, a restore, a file job. */
  private readonly actions: PathActions
  /** Which announced devices are mirrored now: joins, leaves, pauses (peer-presence.ts). */
  readonly presence: PeerPresence

  constructor(private readonly options: MirrorOptions) {
    this.jobs = new JobDispatch(options.bufferSlots, () => this.stateEvents.schedule())
    const runs = new RunJobs({
      produce: (generation, job) => this.jobs.produce(generation, job),
      generationOf: (jobId) => this.jobs.generationOf(jobId),
      tell: (owner, message) => this.pool?.tell(owner, message) ?? false,
      remove: (drop) => void this.jobs.remove(drop),
    })
    this.jobs.onDropped = (job) => job.kind === 'run' && runs.dropped(job)
    this.tasks = new MirrorTasks(options.onEvent)
    this.stateDir = path.join(options.mirrorRoot, STATE_FOLDER)
    this.files = new MirrorFiles({
      stateDir: this.stateDir,
      keepDays: options.keepDays,
      historyCapBytes: options.historyCapBytes,
      onEvent: options.onEvent,
      problem: (message) => this.tasks.report('io-error', message),
      mirrors: () => this.peers.values(),
    })
    this.localBlocks = new LocalBlocks({
      stateDir: this.stateDir,
      mirrors: () => this.peers.values(),
      problem: (message) => this.tasks.report('io-error', message),
    })
    this.devices = new DeviceMirrors({ mirrorRoot: options.mirrorRoot, stateDir: this.stateDir, problem: (message) => this.tasks.report('io-error', message) })
    this.peers = new PeerTable({
      devices: this.devices,
      fold: () => this.disk.fold,
      problem: (message) => this.tasks.report('io-error', message),
      gathered: (state, paths) => this.tasks.background(this.feed.applyGathered(state, paths), () => `deletions of ${state.ref.key}`),
      loaded: (state) => this.repairs.keepChangedWhileStopped(state),
    })
    this.deletions = new PeerDeletions({
      tasks: this.tasks,
      onEvent: options.onEvent,
      limits: options.massDelete,
      files: this.files,
      who: (id) => this.knownPeers().find((known) => known.id === id),
      checkSynced: (state) => this.checkSynced(state),
      consider: (state, generation, rel) => this.consider(state, generation, rel),
      refused: (state, rel, reason) => void this.writes.refused(state, rel, reason),
      settled: (state, rel, removed) => (removed ? this.writes.removed(state, rel) : this.writes.unwanted(state, rel)),
    })
    this.repairs = new MirrorRepair({
      tasks: this.tasks,
      handEdits: this.files.handEdits,
      rescanEveryMs: options.rescanEveryMs,
      consider: (state, generation, rel) => this.consider(state, generation, rel),
      checkSynced: (state) => this.checkSynced(state),
    })
    this.feed = new PeerFeed({
      tasks: this.tasks,
      identity: options.identity,
      name: options.name,
      ...(options.peerStallMs !== undefined ? { peerStallMs: options.peerStallMs } : {}),
      onEvent: options.onEvent,
      devices: this.devices,
      files: this.files,
      repairs: this.repairs,
      touch: (id) => this.stats.touch(id),
      connected: (ref) => this.pool?.connect(ref),
      consider: (state, generation, rel, remote) => this.consider(state, generation, rel, remote),
      checkSynced: (state) => this.checkSynced(state),
      removeDeleted: (state, rels) => this.deletions.remove(state, rels),
    })
    this.presence = new PeerPresence({
      tasks: this.tasks,
      onEvent: options.onEvent,
      peers: this.peers,
      pauseFile: path.join(this.stateDir, PAUSE_FILE),
      who: (id) => this.knownPeers().find((known) => known.id === id),
      attached: (state) => this.attached(state),
      detached: (state) => this.detached(state),
    })
    this.stateEvents = new Throttle(STATE_EVENTS_EVERY_MS, () => this.emitState())
    this.stats = new MirrorStats((id) => this.statsSource(id), options.onEvent)
    this.writes = new LocalWrites({
      report: (message, peer) => this.tasks.report(WRITE_FAILED, message, peer),
      retry: (state, paths) => this.tasks.background(this.retryWrites(state, paths), () => `writing again into the mirror of ${state.ref.key}`),
      toCome: (state) => figuresOf(state).needBytes,
    })
    this.actions = new PathActions({
      tasks: this.tasks,
      onEvent: options.onEvent,
      writes: this.writes,
      deletions: this.deletions,
      files: this.files,
      localBlocks: this.localBlocks,
      nameProblem: (rel) => refusedNameProblem(rel, this.disk),
      produce: (state, job) => this.jobs.produce(state.generation, job),
    })
    this.results = new JobResults({
      tasks: this.tasks,
      onEvent: options.onEvent,
      jobs: this.jobs,
      files: this.files,
      writes: this.writes,
      touch: (id) => this.stats.touch(id),
      peer: (id) => this.peers.get(id),
      paused: (id) => this.presence.mirrorPaused(id),
      consider: (state, generation, rel) => this.consider(state, generation, rel),
      checkSynced: (state) => this.checkSynced(state),
      runs,
    })
  }

  async start(): Promise<void> {
    // Threads first: they boot in parallel with everything after, the hash's loading included.
    this.pool = new WorkerPool(
      this.options.workers,
      this.options.workerScript,
      {
        certPem: this.options.identity.certPem,
        keyPem: this.options.identity.keyPem,
        name: this.options.name,
        ...(this.options.downloadRate ? { downloadRate: this.options.downloadRate } : {}),
        ...(this.options.peerStallMs !== undefined ? { peerStallMs: this.options.peerStallMs } : {}),
      },
      this.jobs.ring,
      {
        accept: (job) => {
          const state = this.peers.get(job.peer.id)
          return this.jobs.accept(job, state?.online ? state.generation : undefined)
        },
        message: (job, message) => this.results.onWorkerMessage(job, message),
        done: (job, result) => {
          if (result.kind === 'file' && result.ok && result.list) this.tasks.background(this.localBlocks.placed(result.version, result.size, result.list), () => `keeping the block list of ${job.peer.key}'s file`)
          this.tasks.background(this.results.onDone(job, result), () => `placing ${job.kind === 'file' ? job.path : 'a list'} from ${job.peer.key}`)
        },
        findBlocks: (_job, blockSize, hashes) => Promise.resolve(this.localBlocks.find(blockSize, hashes)),
        changed: () => this.stateEvents.schedule(),
      },
    )
    await loadBlockHash()
    await this.files.start()
    this.disk = askDisk(this.stateDir, (message) => this.tasks.report('io-error', message))
    this.tasks.background(this.localBlocks.start(), () => "learning the mirrors' block lists")
    this.presence.loadPauses()
    this.emitState()
  }

  async stop(): Promise<void> {
    this.tasks.stopped = true
    this.localBlocks.stop()
    this.stateEvents.cancel()
    this.stats.close()
    this.writes.dispose()
    for (const state of this.peers.values()) {
      state.control?.close()
      state.guard?.close()
      state.gathering.dispose()
    }
    await this.pool?.stop()
    await this.files.stop()
    await Promise.all([...this.peers.values()].map((s) => s.manifest.flush().catch(() => {})))
  }

  /** Peers remembered, online or gone (see MAX_GONE_PEERS). */
  get peerCount(): number {
    return this.peers.size
  }

  /** Jobs queued or running whose generation is remembered. */
  get jobsTracked(): number {
    return this.jobs.tracked
  }

  // --- the control socket's commands (pause and resume are the presence's) --------------------

  /**
   * Every device this client knows, for finding the one a person names (see peer-match.ts):
   * announced now, mirrored this run, or on record in devices.json.
   */
  knownPeers(): KnownPeer[] {
    return knownPeers(this.devices.recorded(), this.peers.values(), this.presence.entries())
  }

  /** Every watched mirror is looked at whole, now. */
  rescan(): void {
    for (const state of this.peers.values()) state.guard?.lookNow()
  }

  /** The user confirms a device's held mass delete (ID, hex; `peer` names it): it is applied (into the history). */
  async confirm(id: string, peer: string): Promise<{ ok: boolean; message: string }> {
    return this.deletions.confirm(id, peer, this.peers.get(id))
  }

  /**
   * The first `limit` files still to come from the peer at `peer` (`ip:port`), by path, and the
   * count of all; `complete` is false while its list is still on its way. Null: no such peer here.
   */
  toCome(peer: string, limit: number): (ToCome & { complete: boolean }) | null {
    const id = this.presence.deviceAt(peer)
    const state = id === undefined ? undefined : this.peers.get(id)
    if (!state) return null
    return { ...toComeList(state.manifest.files, listSoFar(state), state.paths.refused, limit), complete: state.remote !== null && !state.listPending }
  }

  /** A peer as MirrorStats reads it; null once it has left (a paused one is still announced). */
  private statsSource(id: string): MirrorSource | null {
    const state = this.peers.get(id)
    if (!state || (!state.online && !this.presence.isAnnounced(state.ref.key, id))) return null
    const listed = state.remote !== null && !state.listPending
    return {
      peer: state.ref.key,
      id: state.idText,
      name: state.name,
      facts: { online: state.online, folderAway: state.folderAway, subscribed: state.control !== null, listed, synced: state.synced },
      figures: figuresOf(state),
      lastChange: state.manifest.changedAt,
    }
  }

  /** A device online now (peer-presence.ts): subscribed to, and its list fetched. */
  private attached(state: PeerState): void {
    this.stats.touch(state.ref.id)
    this.tasks.background(state.ready.then(() => this.feed.subscribe(state, state.generation)), () => `subscribing to ${state.ref.key}`)
  }

  /** A device offline now (it left, or is paused): its jobs and workers' connections go. */
  private detached(state: PeerState): void {
    this.writes.forget(state)
    this.jobs.dropPeer(state.ref.id)
    this.pool?.forget(state.ref.key)
    this.peers.left(state)
    this.stateEvents.schedule()
    this.stats.touch(state.ref.id)
  }

  /** Acts on what reconcile.ts decides for `rel` (path-actions.ts); `remote`: the peer's files as known. */
  private consider(state: PeerState, generation: number, rel: string, remote = state.remote): Promise<void> {
    return this.actions.consider(state, generation, rel, remote)
  }

  /** Files that waited for the mirror's disk: considered again. */
  private async retryWrites(state: PeerState, paths: string[]): Promise<void> {
    for (const rel of paths) await this.consider(state, state.generation, rel)
    this.checkSynced(state)
  }

  private checkSynced(state: PeerState): void {
    this.stats.touch(state.ref.id)
    // A peer whose folder is away has a list that may be stale: it is not synced until it is back.
    if (!state.online || !state.remote || state.listPending || state.paths.anyPending || state.synced || state.folderAway) return
    // Nothing of this peer's in flight: a folder renamed now races none of its writes.
    this.files.respellFolders(state)
    // Asked of the kept counters: a walk over the list would make each job's end cost the whole mirror.
    if (!state.tally.matches(state.remote)) return
    const { peerBytes } = state.tally.figures(state.remote, true)
    state.synced = true
    this.options.onEvent({ type: 'peer-synced', peer: state.ref.key, id: state.idText, name: state.name, files: state.remote.size, bytes: peerBytes ?? 0 })
    // Watched only once it is whole: the first sync's own writes are not looked at a second time.
    if (!state.guard && !this.tasks.stopped) this.repairs.watch(state)
  }

  // --- plumbing ---------------------------------------------------------------------------

  private emitState(): void {
    if (!this.pool) return
    this.options.onEvent({ type: 'buffer', used: this.jobs.ring.used, capacity: this.jobs.ring.capacity })
    this.options.onEvent({ type: 'workers', busy: this.pool.busy, total: this.pool.size, states: this.pool.states })
  }
}

