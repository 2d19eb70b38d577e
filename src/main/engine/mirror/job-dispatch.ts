// The producing side of the ring. Each job is stamped with its peer's generation when queued: a
// job whose peer left (or came back) since is dropped when a worker takes it, and its result is
// not acted on as current.
import { JobRing } from './job-ring'
import type { Job } from './jobs'

export class JobDispatch {
  readonly ring: JobRing<Job>
  private readonly generations = new Map<number, number>()
  private nextJobId = 1

  /** A job left the ring without running: its peer left, or came back, since it was queued. */
  onDropped: ((job: Job) => void) | null = null

  /** `changed`: the ring's fill changed (for the buffer event). */
  constructor(slots: number, private readonly changed: () => void) {
    this.ring = new JobRing<Job>(slots)
  }

  /** Jobs queued or running whose generation is remembered. */
  get tracked(): number {
    return this.generations.size
  }

  /** The only place jobs enter the ring; waits while it is full. */
  async produce(generation: number, job: Job): Promise<void> {
    job.id = this.nextJobId++
    this.generations.set(job.id, generation)
    this.changed()
    await this.ring.put(job)
    this.changed()
  }

  /** The generation the job was queued in; undefined once it is forgotten. */
  generationOf(jobId: number): number | undefined {
    return this.generations.get(jobId)
  }

  /** Whether a job taken from the ring is still wanted; `now`: its peer's generation while it is online. */
  accept(job: Job, now: number | undefined): boolean {
    const current = now !== undefined && this.generations.get(job.id) === now
    if (!current) {
      this.generations.delete(job.id)
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
    this.remove((job) => job.peer.id === id).forEach((job) => this.onDropped?.(job))
  }

  /** Takes the queued jobs `drop` names out of the ring, forgotten; returns them. */
  remove(drop: (job: Job) => boolean): Job[] {
    const removed: Job[] = []
    this.ring.retain((job) => {
      if (!drop(job)) return true
      this.generations.delete(job.id)
      removed.push(job)
      return false
    })
    if (removed.length > 0) this.changed()
    return removed
  }
}
