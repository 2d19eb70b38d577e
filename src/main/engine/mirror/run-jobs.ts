// The main thread's part in spreading a big file over the workers (spread-runs.ts is the owner's):
// a file job's missing runs become RunJobs in the ring, stamped with the owner's generation, so
// they are dropped with the rest of a peer that leaves. Whatever becomes of a run (blocks
// verified, its end, dropped before a worker took it) is said to the owner's worker: the owner
// ends only once every one of its runs has.
import { BLOCK_HASH_BYTES } from '../blocks/block-hash'
import type { Failure, FileJob, Job, JobResult, MainToWorker, RunJob, WorkerToMain } from './jobs'

export interface RunJobsOptions {
  /** Queues a job in the ring (waiting for a slot), in that generation of its peer. */
  produce(generation: number, job: Job): Promise<void>
  /** The generation a job was queued in; undefined once it is forgotten. */
  generationOf(jobId: number): number | undefined
  /** Posts to the worker running job `owner`; false when none is. */
  tell(owner: number, message: MainToWorker): boolean
  /** Takes the queued jobs `drop` names out of the ring, forgotten. */
  remove(drop: (job: Job) => boolean): void
}

export class RunJobs {
  /** File jobs whose runs are out, by job id. */
  private readonly owners = new Set<number>()

  constructor(private readonly options: RunJobsOptions) {}

  /** Queues the runs `owner` asked for; each that cannot be queued is said ended at once. */
  async spread(owner: FileJob, message: Extract<WorkerToMain, { type: 'spread' }>): Promise<void> {
    const generation = this.options.generationOf(owner.id)
    this.owners.add(owner.id)
    for (const { first, count } of message.runs) {
      const job: RunJob = {
        kind: 'run',
        id: 0,
        peer: owner.peer,
        path: owner.path,
        owner: owner.id,
        version: message.version,
        size: message.size,
        blockSize: message.blockSize,
        first,
        count,
        hashes: message.hashes.slice(first * BLOCK_HASH_BYTES, (first + count) * BLOCK_HASH_BYTES),
      }
      if (!this.owners.has(owner.id)) return
      if (generation === undefined) this.dropped(job)
      else await this.options.produce(generation, job)
    }
  }

  /** A run's blocks, written and checked: the owner records them. */
  verified(run: RunJob, message: Extract<WorkerToMain, { type: 'verified' }>): void {
    this.options.tell(run.owner, { kind: 'run-verified', owner: run.owner, blocks: message.blocks, bytes: message.bytes })
  }

  ended(run: RunJob, result: JobResult): void {
    const failure: Failure | undefined = result.ok || result.outcome !== 'failed' ? undefined : { code: result.code, reason: result.reason, retry: result.retry }
    this.options.tell(run.owner, { kind: 'run-ended', owner: run.owner, ...(failure ? { failure } : {}) })
  }

  /** A run left the ring without running (its peer left or came back since). */
  dropped(run: RunJob): void {
    this.ended(run, { kind: 'run', ok: false, outcome: 'failed', code: 'peer-left', reason: `${run.peer.key} left while ${run.path} was coming`, retry: true })
  }

  /** The owner ended (its runs all did, or its worker crashed): runs of it still queued go. */
  ownerEnded(owner: number): void {
    if (!this.owners.delete(owner)) return
    this.options.remove((job) => job.kind === 'run' && job.owner === owner)
  }
}
