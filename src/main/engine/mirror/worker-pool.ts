// -w worker threads and the dispatcher that feeds them from the ring. What the workers hold
// between them is bounded by the ring's capacity (-b): a job leaves the ring only while fewer
// than -b are out, each worker taking at most its share (see dispatch for which).
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { WorkerState } from '../../../shared/events'
import type { AnsweredJob, Job, JobResult, LocalSource, MainToWorker, PeerRef, RunJob, WorkerInit, WorkerToMain } from './jobs'
import type { JobRing } from './job-ring'
import { fairShares, nextPeer, sharedRoom } from './fair-share'
import { PeerWindows } from './peer-windows'

export interface PoolHooks {
  /** The job leaves the ring for a worker; false drops it (its peer left). */
  accept(job: Job): boolean
  /** About one answered job: a file, one file of a batch, or a run. */
  message(job: AnsweredJob, message: WorkerToMain): void
  done(job: AnsweredJob, result: JobResult): void
  changed(): void
  /** Local files that may hold some of a pull's blocks (local-blocks.ts); none when absent. */
  findBlocks?(job: AnsweredJob, blockSize: number, hashes: Buffer): Promise<LocalSource[]>
}

/** A job taken from the ring, out at a worker until every job in it is answered. */
interface Unit {
  job: Job
  open: number
  /** The peer answered one of its jobs (a file came, or it has none): its window grows when the unit ends. */
  answered: boolean
}

interface Slot {
  id: number
  worker: Worker
  /**
   * Node has booted it ('online': it runs JavaScript; its script may still be loading, the last
   * ~20 ms). A thread still booting gets no jobs, which would wait there.
   */
  online: boolean
  /** Ring jobs handed to this worker and not finished, oldest first. */
  units: Map<number, Unit>
  /** What it will answer (a batch's files one by one), by job ID, oldest first. */
  answers: Map<number, { job: AnsweredJob; unit: Unit }>
  /** Of its units, file jobs waiting for their runs (spread-runs.ts): they hold no room, or a run could wait behind its own file. */
  waiting: Set<number>
}

/**
 * The most ring jobs one worker holds, whatever -b: its requests are pipelined on one connection
 * per peer, and a peer reads at most MAX_WAITING_REQUESTS of them ahead (defaults.ts).
 */
export const MAX_JOBS_PER_WORKER = 64

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
  /** What each peer has earned to hold out (a keyed ring): one per worker, at least two, until it answers. */
  private readonly windows: PeerWindows

  constructor(
    private readonly count: number,
    private readonly script: string | URL,
    private readonly init: Omit<WorkerInit, 'workerId'>,
    private readonly ring: JobRing<Job>,
    private readonly hooks: PoolHooks,
  ) {
    this.windows = new PeerWindows(Math.max(2, count), sharedRoom(ring.capacity))
    for (let id = 0; id < Math.min(count, BOOTING_AT_ONCE); id++) this.slots.push(this.spawn(id))
    ring.onPut = () => this.scheduleDispatch()
    // A peer queues no more than it may have out: a stalled one's queued jobs would fill the ring.
    if (ring.keyed) ring.limitOf = (peer) => this.windows.of(peer, this.holds(peer))
  }

  private spawn(id: number): Slot {
    const worker = new Worker(this.script, { workerData: { ...this.init, workerId: id, workers: this.count } satisfies WorkerInit })
    const slot: Slot = { id, worker, online: false, units: new Map(), answers: new Map(), waiting: new Set() }
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
      const job = s?.answers.values().next().value?.job
      return s && job
        ? { id, busy: true, peer: job.peer.key, path: job.path, jobs: s.units.size, files: s.answers.size }
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
    return this.slots.filter((s) => s.units.size > 0).length
  }

  /** Ring jobs out at the workers: never more than the ring's capacity. */
  get out(): number {
    return this.slots.reduce((n, s) => n + load(s), 0)
  }

  get size(): number {
    return this.count
  }

  /** Ring jobs out at the workers, by the ring's key (the peer's device ID). */
  private outByPeer(): Map<string, number> {
    const out = new Map<string, number>()
    for (const slot of this.slots) {
      for (const [id, unit] of slot.units) {
        if (slot.waiting.has(id)) continue
        const key = this.ring.keyOfJob(unit.job)
        out.set(key, (out.get(key) ?? 0) + 1)
      }
    }
    return out
  }

  /** Whether any worker holds a job of `peer`'s. */
  private holds(peer: string): boolean {
    for (const slot of this.slots) for (const unit of slot.units.values()) if (this.ring.keyOfJob(unit.job) === peer) return true
    return false
  }

  /**
   * The most jobs each peer may have out now (fair-share.ts): what it wants is what it has queued
   * and out, bounded by its window. A ring without keys has one queue, which may fill every slot.
   */
  private shares(out: ReadonlyMap<string, number>): Map<string, number> {
    if (!this.ring.keyed) return new Map([['', this.ring.capacity]])
    const wants = new Map<string, number>()
    for (const peer of new Set([...this.ring.activeKeys(), ...out.keys()])) {
      const busy = out.get(peer) ?? 0
      wants.set(peer, Math.min(this.windows.of(peer, busy > 0), busy + this.ring.queued(peer)))
    }
    return fairShares(sharedRoom(this.ring.capacity), wants)
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
    const ref = this.peers.get(peer)?.peer
    if (ref) this.windows.forget(ref.id)
    this.peers.delete(peer)
    this.post({ kind: 'forget', peer })
  }

  private post(message: MainToWorker): void {
    for (const slot of this.slots) slot.worker.postMessage(message)
  }

  /** Posts to the worker running job `id`; false when none is (it ended, or its worker crashed). */
  tell(id: number, message: MainToWorker): boolean {
    const slot = this.slots.find((s) => s.answers.has(id))
    slot?.worker.postMessage(message)
    return slot !== undefined
  }

  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }

  /**
   * Hands queued jobs out while fewer than the ring's capacity are out, each worker taking up to
   * its share of that. A file or batch goes to the worker that owns its folder when that one has
   * room: two threads creating files in one folder queue on the folder's lock in the kernel, and
   * that costs more than it gains. Threads boot one after another on a busy start: the first
   * jobs go to whichever is up first instead of waiting in a thread still booting.
   */
  dispatch(): void {
    this.dispatchScheduled = false
    if (this.stopping) return
    const online = this.slots.filter((s) => s.online)
    if (online.length === 0) return
    const share = Math.min(MAX_JOBS_PER_WORKER, Math.ceil(this.ring.capacity / this.count))
    let out = this.out
    // Each peer up to its fair share, the least busy first: one that stopped answering keeps the others going.
    const outByPeer = this.outByPeer()
    const shares = this.shares(outByPeer)
    // Jobs for one worker travel in one message: every message wakes a thread, and waking
    // threads costs more than copying a few jobs.
    const outgoing = new Map<Slot, Job[]>()
    while (out < this.ring.capacity) {
      const leastLoaded = online.reduce((a, b) => (load(b) < load(a) ? b : a))
      if (load(leastLoaded) >= share) break
      const peer = nextPeer(this.ring.heads(), outByPeer, shares, this.ring.keyed && out >= sharedRoom(this.ring.capacity))
      const job = peer === undefined ? undefined : this.ring.takeOf(peer)
      if (peer === undefined || !job) break
      if (!this.hooks.accept(job)) continue
      outByPeer.set(peer, (outByPeer.get(peer) ?? 0) + 1)
      // A file's runs go wherever there is room: spreading them is their point.
      const owner = job.kind === 'run' ? leastLoaded : this.slots[folderHash(job) % this.slots.length]!
      const slot = owner.online && load(owner) < share ? owner : leastLoaded
      this.handOut(slot, job)
      out++
      const batch = outgoing.get(slot)
      if (batch) batch.push(job)
      else outgoing.set(slot, [job])
    }
    for (const [slot, jobs] of outgoing) slot.worker.postMessage(jobs)
    this.hooks.changed()
  }

  private handOut(slot: Slot, job: Job): void {
    const answered = job.kind === 'batch' ? job.files : [job]
    const unit: Unit = { job, open: answered.length, answered: false }
    slot.units.set(job.id, unit)
    for (const each of answered) slot.answers.set(each.id, { job: each, unit })
  }

  /**
   * Handed out once the producer's current step is done: jobs put together still travel together,
   * and a producer going through a long list (it waits only when the ring is full) does not hold
   * the first batches back until the end of its turn.
   */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return
    this.dispatchScheduled = true
    queueMicrotask(() => this.dispatch())
  }

  private onMessages(slot: Slot, messages: WorkerToMain[]): void {
    let finished = false
    for (const message of messages) {
      const answer = slot.answers.get(message.id)
      // Always answered: the worker's pull waits for it.
      if (message.type === 'find-blocks') {
        this.answerFind(slot, answer?.job, message)
        continue
      }
      if (!answer) continue
      if (message.type === 'spread') slot.waiting.add(answer.unit.job.id)
      if (message.type !== 'done') {
        this.hooks.message(answer.job, message)
        continue
      }
      slot.answers.delete(message.id)
      this.hooks.done(answer.job, message.result)
      if (message.result.ok || message.result.outcome === 'not-found') answer.unit.answered = true
      if (--answer.unit.open > 0) continue
      slot.units.delete(answer.unit.job.id)
      slot.waiting.delete(answer.unit.job.id)
      if (answer.unit.answered) this.windows.answered(this.ring.keyOfJob(answer.unit.job))
      finished = true
    }
    if (finished) this.ring.recheck()
    if (finished) this.dispatch()
  }

  private answerFind(slot: Slot, job: AnsweredJob | undefined, ask: Extract<WorkerToMain, { type: 'find-blocks' }>): void {
    const hashes = Buffer.from(ask.hashes.buffer, ask.hashes.byteOffset, ask.hashes.byteLength)
    const found = job && this.hooks.findBlocks ? this.hooks.findBlocks(job, ask.blockSize, hashes) : Promise.resolve([])
    found
      .catch(() => [])
      .then((sources) => slot.worker.postMessage({ kind: 'blocks-found', ask: ask.ask, sources } satisfies MainToWorker))
      .catch(() => {})
  }

  private onCrash(slot: Slot, error: Error): void {
    const answers = [...slot.answers.values()]
    slot.answers.clear()
    slot.units.clear()
    slot.waiting.clear()
    for (const { job } of answers) {
      this.hooks.done(job, { kind: job.kind, ok: false, outcome: 'failed', code: 'worker-crashed', reason: String(error), retry: true })
    }
    if (this.stopping) return
    // Replace the dead thread so the pool keeps its size.
    this.slots[this.slots.indexOf(slot)] = this.spawn(slot.id)
    this.dispatch()
  }
}

/** Units a worker holds that take room: not file jobs waiting for their runs. */
function load(slot: Slot): number {
  return slot.units.size - slot.waiting.size
}

/** A stable number for the peer and folder of a file job (a batch: of its first file). */
function folderHash(job: Exclude<Job, RunJob>): number {
  const rel = job.kind === 'batch' ? (job.files[0]?.path ?? '') : job.path
  const slash = rel.lastIndexOf('/')
  const key = `${job.peer.key}/${slash < 0 ? '' : rel.slice(0, slash)}`
  let hash = 0
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0
  return hash
}
