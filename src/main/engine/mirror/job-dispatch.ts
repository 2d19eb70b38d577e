// The producing side of the ring. Each job is stamped with its peer's generation when queued: a
// job whose peer left (or came back) since is dropped when a worker takes it, and its result is
// not acted on as current. Small files of one peer are gathered into batch jobs here, so one ring
// slot (and one job out at a worker) is one GET_FILES.
import { setImmediate as nextTurn } from 'node:timers/promises'
import { FILES_PER_BATCH, isBatchable } from './batch-rule'
import { JobRing } from './job-ring'
import type { BatchJob, FileJob, Job } from './jobs'

export class JobDispatch {
  readonly ring: JobRing<Job>
  private readonly generations = new Map<number, number>()
  /** Each peer's batch still filling, by device ID: it enters the ring when full, or at the end of the turn. */
  private readonly filling = new Map<string, BatchJob>()
  private flushScheduled = false
  private nextJobId = 1

  /** A job left the ring without running: its peer left, or came back, since it was queued. */
  onDropped: ((job: Job) => void) | null = null

  /** `changed`: the ring's fill changed (for the buffer event). */
  constructor(slots: number, private readonly changed: () => void) {
    // Keyed by peer: one whose jobs are stuck leaves a slot to the others.
    this.ring = new JobRing<Job>(slots, (job) => job.peer.id)
  }

  /** Jobs queued or running whose generation is remembered. */
  get tracked(): number {
    return this.generations.size
  }

  /**
   * The only place jobs enter the ring; waits while it is full. A small file joins its peer's
   * batch instead and waits only when that batch is full and the ring is too.
   */
  async produce(generation: number, job: Job): Promise<void> {
    job.id = this.nextJobId++
    this.generations.set(job.id, generation)
    this.changed()
    if (job.kind === 'file' && isBatchable(job)) return this.gather(generation, job)
    await this.enter(job)
  }

  private gather(generation: number, job: FileJob): Promise<void> {
    let batch = this.filling.get(job.peer.id)
    if (batch && this.generations.get(batch.id) !== generation) {
      this.filling.delete(job.peer.id)
      this.enterLater(batch)
      batch = undefined
    }
    if (!batch) {
      batch = { kind: 'batch', id: this.nextJobId++, peer: job.peer, files: [] }
      this.generations.set(batch.id, generation)
      this.filling.set(job.peer.id, batch)
      this.scheduleFlush()
    }
    batch.files.push(job)
    if (batch.files.length < FILES_PER_BATCH) return Promise.resolve()
    this.filling.delete(job.peer.id)
    // A turn of the event loop per batch: the workers' results are taken in while a long list is
    // still being turned into jobs (the ring, full only every 64 batches, would hold them back).
    return this.enter(batch).then(nextTurn)
  }

  private async enter(job: Job): Promise<void> {
    await this.ring.put(job)
    this.changed()
  }

  /** A batch nobody waits for: it enters the ring as soon as a slot is free. */
  private enterLater(batch: BatchJob): void {
    // The ring's put only ever waits; it never fails.
    this.enter(batch).catch(() => {})
  }

  /** What the producers gathered in this turn goes as it is: a batch does not wait for more files. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      const batches = [...this.filling.values()]
      this.filling.clear()
      for (const batch of batches) this.enterLater(batch)
    })
  }

  /** The generation the job was queued in; undefined once it is forgotten. */
  generationOf(jobId: number): number | undefined {
    return this.generations.get(jobId)
  }

  /**
   * Whether a job taken from the ring is still wanted; `now`: its peer's generation while it is
   * online. A batch's own stamp is forgotten here: from now on its files stand for it.
   */
  accept(job: Job, now: number | undefined): boolean {
    const current = now !== undefined && this.generations.get(job.id) === now
    if (job.kind === 'batch') this.generations.delete(job.id)
    if (!current) {
      this.forget(job)
      this.onDropped?.(job)
    }
    return current
  }

  /** The job ended: the generation it was queued in, forgotten now. */
  finish(jobId: number): number | undefined {
    const generation = this.generations.get(jobId)
    this.generations.delete(jobId)
    return generation
  }

  /** The peer is not mirrored now: its queued jobs leave the ring, and are forgotten. */
  dropPeer(id: string): void {
    const filling = this.filling.get(id)
    if (filling) this.forget(filling)
    this.filling.delete(id)
    this.remove((job) => job.peer.id === id).forEach((job) => this.onDropped?.(job))
  }

  /** Takes the queued jobs `drop` names out of the ring, forgotten; returns them. */
  remove(drop: (job: Job) => boolean): Job[] {
    const removed: Job[] = []
    this.ring.retain((job) => {
      if (!drop(job)) return true
      this.forget(job)
      removed.push(job)
      return false
    })
    if (removed.length > 0) this.changed()
    return removed
  }

  private forget(job: Job): void {
    this.generations.delete(job.id)
    if (job.kind === 'batch') for (const file of job.files) this.generations.delete(file.id)
  }
}
