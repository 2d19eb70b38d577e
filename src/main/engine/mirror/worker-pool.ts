// -w worker threads and the dispatcher that feeds them from the ring: whenever a booted worker
// has room (JOBS_PER_WORKER) and the ring holds a job, it goes there (see dispatch for which).
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { WorkerState } from '../../../shared/events'
import type { FileJob, Job, JobResult, LocalSource, MainToWorker, PeerRef, WorkerInit, WorkerToMain } from './jobs'
import type { JobRing } from './job-ring'

export interface PoolHooks {
  /** The job leaves the ring for a worker; false drops it (its peer left). */
  accept(job: Job): boolean
  message(job: Job, message: WorkerToMain): void
  done(job: Job, result: JobResult): void
  changed(): void
  /** Local files that may hold some of a pull's blocks (local-blocks.ts); none when absent. */
  findBlocks?(job: Job, blockSize: number, hashes: Buffer): Promise<LocalSource[]>
}

interface Slot {
  id: number
  worker: Worker
  /**
   * Node has booted it ('online': it runs JavaScript; its script may still be loading, the last
   * ~20 ms). A thread still booting gets no jobs, which would wait there.
   */
  online: boolean
  /** Jobs handed to this worker and not finished, oldest first. */
  jobs: Map<number, Job>
  /** Of those, file jobs waiting for their runs (spread-runs.ts): they hold no room, or a run could wait behind its own file. */
  waiting: Set<number>
}

/**
 * Jobs one worker holds at once. Its requests to a peer are pipelined on one connection, so
 * small files do not each wait a round trip: 256 keeps eight 32-file batches in flight per
 * worker (at 64, two, and a worker sat idle while its results went round the main thread for
 * more). The ring still bounds what waits for a worker.
 */
export const JOBS_PER_WORKER = 256

/**
 * Threads that boot at once. Each is a V8 isolate that takes ~40 ms of CPU to start: 128 started
 * together on two cores kept the client from registering for 3.4 s. One core each, the rest
 * start as these come up.
 */
export const BOOTING_AT_ONCE = Math.max(1, availableParallelism())

export class WorkerPool {
  private readonly slots: Slot[] = []
  /** Peers every worker should be connected to: a thread that boots later connects to them too. */
  private readonly peers = new Map<string, Extract<MainToWorker, { kind: 'connect' }>>()
  private stopping = false
  private dispatchScheduled = false

  constructor(
    private readonly count: number,
    private readonly script: string | URL,
    private readonly init: Omit<WorkerInit, 'workerId'>,
    private readonly ring: JobRing<Job>,
    private readonly hooks: PoolHooks,
  ) {
    for (let id = 0; id < Math.min(count, BOOTING_AT_ONCE); id++) this.slots.push(this.spawn(id))
    ring.onPut = () => this.scheduleDispatch()
  }

  private spawn(id: number): Slot {
    const worker = new Worker(this.script, { workerData: { ...this.init, workerId: id, workers: this.count } satisfies WorkerInit })
    const slot: Slot = { id, worker, online: false, jobs: new Map(), waiting: new Set() }
    // Booted after the peers were announced (see BOOTING_AT_ONCE): it connects to them at once too.
    for (const message of this.peers.values()) worker.postMessage(message)
    worker.once('online', () => {
      slot.online = true
      if (!this.stopping && this.slots.length < this.count) this.slots.push(this.spawn(this.slots.length))
      this.dispatch()
    })
    worker.on('message', (messages: WorkerToMain[]) => this.onMessages(slot, messages))
    worker.on('error', (error) => this.onCrash(slot, error))
    return slot
  }

  get states(): WorkerState[] {
    return Array.from({ length: this.count }, (_, id) => {
      const s = this.slots[id]
      const job = s?.jobs.values().next().value as Job | undefined
      return s && job
        ? { id, busy: true, peer: job.peer.key, ...(job.kind !== 'list' ? { path: job.path } : {}), jobs: s.jobs.size }
        : { id, busy: false, jobs: 0 }
    })
  }

  /** Threads created so far: the rest wait for one of these to boot (BOOTING_AT_ONCE). */
  get started(): number {
    return this.slots.length
  }

  /** Threads booted, and so given jobs. */
  get ready(): number {
    return this.slots.filter((s) => s.online).length
  }

  get busy(): number {
    return this.slots.filter((s) => s.jobs.size > 0).length
  }

  get size(): number {
    return this.count
  }

  /**
   * Has every worker open its connection to a peer that has just accepted us, while its list is
   * still to come: the handshake is then out of the way when the first files are handed out.
   */
  connect(peer: PeerRef): void {
    const message = { kind: 'connect', peer } as const
    this.peers.set(peer.key, message)
    this.post(message)
  }

  /** Tells every worker to drop its connection to a peer that left. */
  forget(peer: string): void {
    this.peers.delete(peer)
    this.post({ kind: 'forget', peer })
  }

  private post(message: MainToWorker): void {
    for (const slot of this.slots) slot.worker.postMessage(message)
  }

  /** Posts to the worker running job `id`; false when none is (it ended, or its worker crashed). */
  tell(id: number, message: MainToWorker): boolean {
    const slot = this.slots.find((s) => s.jobs.has(id))
    slot?.worker.postMessage(message)
    return slot !== undefined
  }

  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }

  /**
   * Hands queued jobs out until the ring is empty or every booted worker is full. A file goes to
   * the worker that owns its folder when that one has room: two threads creating files in one
   * folder queue on the folder's lock in the kernel, and that costs more than it gains. Threads
   * boot one after another on a busy start (100–130 ms each here): the first peer's list goes to
   * whichever is up first instead of waiting in a thread still booting.
   */
  dispatch(): void {
    this.dispatchScheduled = false
    if (this.stopping) return
    const online = this.slots.filter((s) => s.online)
    if (online.length === 0) return
    // Jobs for one worker travel in one message: every message wakes a thread, and waking
    // threads costs more than copying a few jobs.
    const outgoing = new Map<Slot, Job[]>()
    for (;;) {
      const leastLoaded = online.reduce((a, b) => (load(b) < load(a) ? b : a))
      if (load(leastLoaded) >= JOBS_PER_WORKER) break
      const job = this.ring.take()
      if (!job) break
      if (!this.hooks.accept(job)) continue
      const owner = job.kind === 'file' ? this.slots[folderHash(job) % this.slots.length]! : leastLoaded
      const slot = owner.online && load(owner) < JOBS_PER_WORKER ? owner : leastLoaded
      slot.jobs.set(job.id, job)
      const batch = outgoing.get(slot)
      if (batch) batch.push(job)
      else outgoing.set(slot, [job])
    }
    for (const [slot, jobs] of outgoing) slot.worker.postMessage(jobs)
    this.hooks.changed()
  }

  /** Producers put jobs one by one; handing them out once per turn lets them travel together. */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return
    this.dispatchScheduled = true
    setImmediate(() => this.dispatch())
  }

  private onMessages(slot: Slot, messages: WorkerToMain[]): void {
    let finished = false
    for (const message of messages) {
      const job = slot.jobs.get(message.id)
      // Always answered: the worker's pull waits for it.
      if (message.type === 'find-blocks') {
        this.answerFind(slot, job, message)
        continue
      }
      if (!job) continue
      if (message.type === 'spread') slot.waiting.add(job.id)
      if (message.type !== 'done') {
        this.hooks.message(job, message)
        continue
      }
      slot.jobs.delete(message.id)
      slot.waiting.delete(message.id)
      this.hooks.done(job, message.result)
      finished = true
    }
    if (finished) this.dispatch()
  }

  private answerFind(slot: Slot, job: Job | undefined, ask: Extract<WorkerToMain, { type: 'find-blocks' }>): void {
    const hashes = Buffer.from(ask.hashes.buffer, ask.hashes.byteOffset, ask.hashes.byteLength)
    const found = job && this.hooks.findBlocks ? this.hooks.findBlocks(job, ask.blockSize, hashes) : Promise.resolve([])
    found
      .catch(() => [])
      .then((sources) => slot.worker.postMessage({ kind: 'blocks-found', ask: ask.ask, sources } satisfies MainToWorker))
      .catch(() => {})
  }

  private onCrash(slot: Slot, error: Error): void {
    const jobs = [...slot.jobs.values()]
    slot.jobs.clear()
    slot.waiting.clear()
    for (const job of jobs) {
      this.hooks.done(job, { kind: job.kind, ok: false, outcome: 'failed', code: 'worker-crashed', reason: String(error), retry: true })
    }
    if (this.stopping) return
    // Replace the dead thread so the pool keeps its size.
    this.slots[this.slots.indexOf(slot)] = this.spawn(slot.id)
    this.dispatch()
  }
}

/** Jobs a worker holds that take room: not files waiting for their runs. */
function load(slot: Slot): number {
  return slot.jobs.size - slot.waiting.size
}

/** A stable number for the peer and folder of a file job. */
function folderHash(job: FileJob): number {
  const slash = job.path.lastIndexOf('/')
  const key = `${job.peer.key}/${slash < 0 ? '' : job.path.slice(0, slash)}`
  let hash = 0
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0
  return hash
}
