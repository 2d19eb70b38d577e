// What the workers say about jobs, acted on: a file placed (into the manifest), refused, waiting
// for the peer's folder or the mirror's disk, or failed and tried again with backoff until it has
// failed MAX_ATTEMPTS times.
import type { EventSink } from '../../../shared/events'
import type { JobDispatch } from './job-dispatch'
import type { AnsweredJob, FileJob, JobResult, WorkerToMain } from './jobs'
import type { LocalWrites } from './local-writes'
import type { MirrorFiles } from './mirror-files'
import type { MirrorTasks } from './mirror-tasks'
import type { PeerState } from './peer-state'
import { REQUEST_DROPPED } from './peer-session'
import type { RunJobs } from './run-jobs'
import { WRITE_FAILED } from './write-failure'

const MAX_ATTEMPTS = 5
const RETRY_FIRST_MS = 200
/** The same error about the same peer, said again within this long, is not said again. */
const SAME_ERROR_QUIET_MS = 10_000

export interface JobResultsOptions {
  tasks: MirrorTasks
  onEvent: EventSink
  jobs: Pick<JobDispatch, 'finish' | 'generationOf'>
  files: Pick<MirrorFiles, 'settleKept' | 'placed' | 'removeFoldersMadeFor'>
  writes: Pick<LocalWrites<PeerState>, 'ended' | 'refused'>
  /** Where the peer's mirror stands changed (MirrorStats.touch, by device ID). */
  touch: (id: string) => void
  /** The peer remembered by that device ID, online or gone. */
  peer: (id: string) => PeerState | undefined
  /** Whether that device's mirror is paused, by itself or with the whole client. */
  paused: (id: string) => boolean
  /** Acts on what reconcile.ts decides for `rel`. */
  consider: (state: PeerState, generation: number, rel: string) => Promise<void>
  checkSynced: (state: PeerState) => void
  /** A big file's runs spread over the workers (run-jobs.ts). */
  runs: Pick<RunJobs, 'spread' | 'verified' | 'ended' | 'ownerEnded'>
}

export class JobResults {
  /** The last error said of each peer's jobs, by peer: a lost connection fails all its jobs with one. */
  private readonly said = new Map<string, { text: string; at: number }>()

  constructor(private readonly options: JobResultsOptions) {}

  /** Says a job's failure as an error once, not once per job that failed of the same cause. */
  private report(peer: string, code: string, reason: string): void {
    const text = `${code} ${reason}`
    const now = Date.now()
    const last = this.said.get(peer)
    if (last && last.text === text && now - last.at < SAME_ERROR_QUIET_MS) return
    // What is past its quiet time is of no more use: the map holds the peers failing now.
    for (const [key, said] of this.said) if (now - said.at >= SAME_ERROR_QUIET_MS) this.said.delete(key)
    this.said.set(peer, { text, at: now })
    this.options.tasks.report(code, reason)
  }

  onWorkerMessage(job: AnsweredJob, message: WorkerToMain): void {
    if (job.kind === 'run') {
      if (message.type === 'verified') this.options.runs.verified(job, message)
      return
    }
    if (job.kind !== 'file') return
    if (message.type === 'started' || message.type === 'progress') {
      // A job of a peer no longer mirrored (paused, gone, or back since) is not news: its row
      // would come back after the pause or leave that ended it, and stay.
      const state = this.options.peer(job.peer.id)
      if (!state?.online || this.options.jobs.generationOf(job.id) !== state.generation) return
    }
    if (message.type === 'spread') {
      this.options.tasks.background(this.options.runs.spread(job, message), () => `the runs of ${job.path} from ${job.peer.key}`)
    } else if (message.type === 'started') {
      this.options.onEvent({ type: 'transfer-started', peer: job.peer.key, path: job.path, total: message.total })
    } else if (message.type === 'progress') {
      this.options.onEvent({ type: 'transfer-progress', peer: job.peer.key, path: job.path, bytes: message.bytes, total: message.total })
    }
  }

  async onDone(job: AnsweredJob, result: JobResult): Promise<void> {
    if (job.kind === 'run') {
      this.options.jobs.finish(job.id)
      return this.options.runs.ended(job, result)
    }
    this.options.runs.ownerEnded(job.id)
    this.options.touch(job.peer.id)
    const state = this.options.peer(job.peer.id)
    if (job.keepAs) this.options.files.settleKept(job, result, state?.manifest)
    const generation = this.options.jobs.finish(job.id)
    this.options.writes.ended(job.peer, job.path, result.ok)
    if (!state) return
    const current = state.online && generation === state.generation
    if (current) state.paths.clearPending(job.path)
    if (result.kind === 'file' && result.ok) {
      state.paths.forget(job.path, 'attempts')
      // The peer answered with content newer than it announced: the mirror holds that now, and
      // asking for the announced version again would bring the same reply until it announces.
      // (A list since, of a later generation, is newer than both: nothing is outrun by it.)
      if (current && result.version !== job.version) state.paths.outrun(job.path, job.version)
      // Whatever the generation, the file is on disk now: the manifest must say so.
      if (result.outcome !== 'up-to-date') {
        state.manifest.set(job.path, result.version, result.size, result.mtimeMs)
        this.options.files.placed(state, result.version)
        // The peer was still writing the file when it announced this version.
        const announced = state.remote?.get(job.path) ?? state.incoming?.files.get(job.path)
        const snapshot = announced?.version === result.version && announced.snapshot === true
        this.options.onEvent({ type: 'file-synced', peer: job.peer.key, path: job.path, bytes: result.size, ...(result.transferred < result.size ? { transferred: result.transferred } : {}), version: result.version, ...(snapshot ? { snapshot } : {}) })
      }
    } else if (!result.ok && result.outcome === 'source-gone') {
      // Nothing to report: considered again below, the bytes now come out of the recycler.
    } else if (!result.ok && result.outcome === 'not-found' && current) {
      // The peer no longer has it; its delete notice is on the way. Do not ask again until
      // the peer announces the path anew.
      state.paths.refuse(job.path, job.version)
      await this.options.files.removeFoldersMadeFor(state, job.path)
    } else if (!result.ok && result.outcome === 'failed' && result.code === 'peer-aborted' && current && state.folderAway) {
      // Not the file's fault, nor the peer's: it waits for the folder, however long that takes.
      state.paths.hold(job.path)
      state.paths.forget(job.path, 'attempts')
      this.options.onEvent({ type: 'transfer-failed', peer: job.peer.key, path: job.path, reason: result.reason, retrying: true })
      return
    } else if (!result.ok && result.outcome === 'failed' && result.code === WRITE_FAILED && current) {
      // The mirror's disk refused (full, read-only): not a try of the file's; it waits for the
      // disk, for as long as that lasts (local-writes.ts).
      if (this.options.writes.refused(state, job.path, result.reason)) this.options.onEvent({ type: 'transfer-failed', peer: job.peer.key, path: job.path, reason: result.reason, retrying: true })
      return
    } else if (!result.ok && result.outcome === 'failed' && result.code === REQUEST_DROPPED) {
      // Cut with a connection closed for another file's failure, which is said with that file:
      // asked for again, with no line, error or try of its own.
      if (current) this.retryFile(state, job, RETRY_FIRST_MS)
      return
    } else if (!result.ok && result.outcome === 'failed' && !state.online && this.options.paused(job.peer.id)) {
      // Cut by a pause the user asked for: no failure to say; the file comes at the resume.
      return
    } else if (!result.ok && result.outcome === 'failed') {
      const attempts = state.paths.attempts(job.path) + 1
      const again = current && result.retry && attempts < MAX_ATTEMPTS
      // Shown even when the peer has just left (the user saw the transfer start), saying it comes once the peer is back.
      this.options.onEvent({ type: 'transfer-failed', peer: job.peer.key, path: job.path, reason: result.reason, retrying: again, ...(state.online ? {} : { waitsForPeer: true }) })
      if (!current) return
      state.paths.setAttempts(job.path, attempts)
      // A peer that aborts because the file changed as it was read sends the new version next; a
      // lost connection is said by peer-left when the peer went: the transfer-failed line says so,
      // and an error only once it keeps happening.
      if (!again || (result.code !== 'peer-aborted' && result.code !== 'connection-lost')) this.report(job.peer.key, result.code, result.reason)
      if (again) {
        this.retryFile(state, job, RETRY_FIRST_MS * 2 ** (attempts - 1))
        return
      }
      state.paths.refuse(job.path, job.version)
      await this.options.files.removeFoldersMadeFor(state, job.path)
    }
    if (!current) {
      if (result.kind === 'file' && result.ok && result.outcome !== 'up-to-date') await this.placedLate(state, job.path, result.version)
      return
    }
    await this.options.consider(state, state.generation, job.path)
    this.options.checkSynced(state)
  }

  /**
   * A job of an earlier generation (the peer left and came back, or was paused and resumed, while
   * it ran) placed `version` at `rel`: the list since may want another there, or none, and may
   * have been weighed against the mirror already. Its own job under way, if any, decides instead.
   */
  private async placedLate(state: PeerState, rel: string, version: string): Promise<void> {
    if (!state.online || !state.remote || state.paths.isPending(rel)) return
    if (state.remote.get(rel)?.version !== version) state.synced = false
    await this.options.consider(state, state.generation, rel)
    this.options.checkSynced(state)
  }

  /** Holds the path pending (the peer is not synced meanwhile) and considers it again in `ms`. */
  private retryFile(state: PeerState, job: FileJob, ms: number): void {
    state.paths.setPending(job.path, job.version)
    const retry = (): Promise<void> => {
      state.paths.clearPending(job.path)
      return this.options.consider(state, state.generation, job.path).then(() => this.options.checkSynced(state))
    }
    this.options.tasks.retryLater(retry, ms, state, state.generation)
  }
}
