// The bounded buffer between producers (the main thread, turning peer lists and change pushes
// into jobs) and consumers (the transfer workers). Capacity is -b slots; a producer that finds it
// full waits (asynchronously) until a slot frees. Workers only consume, never produce, so a full
// ring can always drain: no deadlock, even with -w 1 -b 1.
//
// With a key (the peer a job is for), each key has a queue of its own and may fill an even part of
// all but one slot (fair-share.ts): a peer whose jobs are stuck never keeps the others out, and the
// dispatcher chooses whose job goes next.
import { sharedRoom } from './fair-share'

/** A FIFO of one key's jobs, each with its place in the order they were put. */
class Queue<T> {
  private items: Array<{ job: T; order: number } | undefined> = []
  private head = 0

  get size(): number {
    return this.items.length - this.head
  }

  get oldest(): number {
    return this.items[this.head]!.order
  }

  push(job: T, order: number): void {
    this.items.push({ job, order })
  }

  shift(): T {
    const item = this.items[this.head]!
    this.items[this.head++] = undefined
    // Dropping the taken prefix now and then keeps a long queue's shift O(1) on average.
    if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item.job
  }

  drain(): Array<{ job: T; order: number }> {
    const all = this.items.slice(this.head) as Array<{ job: T; order: number }>
    this.items = []
    this.head = 0
    return all
  }
}

export class JobRing<T> {
  /** Queued jobs by key (one key, '', without keyOf); a key without jobs has no queue. */
  private readonly queues = new Map<string, Queue<T>>()
  private count = 0
  private nextOrder = 0
  private readonly waitingProducers: Array<{ key: string | undefined; resume: () => void }> = []

  constructor(
    readonly capacity: number,
    private readonly keyOf: ((item: T) => string) | null = null,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring needs at least one slot, not ${capacity}`)
  }

  get used(): number {
    return this.count
  }

  /** Whether jobs are shared out by key: without one, every job is the same key's. */
  get keyed(): boolean {
    return this.keyOf !== null
  }

  /** The key a job is queued under. */
  keyOfJob(job: T): string {
    return this.keyOf?.(job) ?? ''
  }

  /** Keys with jobs queued, or a producer waiting to queue one. */
  activeKeys(): Set<string> {
    const keys = new Set(this.queues.keys())
    for (const { key } of this.waitingProducers) if (key !== undefined) keys.add(key)
    return keys
  }

  /** Jobs queued under `key`. */
  queued(key: string): number {
    return this.queues.get(key)?.size ?? 0
  }

  /** Each key with jobs queued, and the place of its oldest in the order jobs were put. */
  heads(): Array<{ peer: string; oldest: number }> {
    return [...this.queues].map(([peer, queue]) => ({ peer, oldest: queue.oldest }))
  }

  /**
   * The most jobs `key` may queue now: every slot without a key or in a one-slot ring, else an even
   * part of all but one, and no more than the consumer's `limitOf` the key (what it may send out next).
   */
  keyCap(key: string): number {
    if (!this.keyOf || this.capacity === 1) return this.capacity
    const active = this.activeKeys()
    active.add(key)
    return Math.max(1, Math.min(Math.floor(sharedRoom(this.capacity) / active.size), this.limitOf?.(key) ?? Infinity))
  }

  /** Set by the consumer: how many jobs of a key it would take next (a peer's window, peer-windows.ts). */
  limitOf: ((key: string) => number) | null = null

  /** A key's limit may have grown: waiting producers look again. */
  recheck(): void {
    if (this.waitingProducers.length > 0) this.wake()
  }

  /** Puts a job in a free slot, waiting while every slot is taken (or its key holds its part). */
  async put(job: T): Promise<void> {
    const key = this.keyOf?.(job)
    while (this.count === this.capacity || (key !== undefined && this.queued(key) >= this.keyCap(key))) {
      await new Promise<void>((resume) => this.waitingProducers.push({ key, resume }))
    }
    this.place(job, this.nextOrder++)
    this.onPut?.()
  }

  /** Takes the oldest job, or undefined when the ring is empty; wakes waiting producers. */
  take(): T | undefined {
    let oldest: string | undefined
    let order = Infinity
    for (const [key, queue] of this.queues) {
      if (queue.oldest < order) [oldest, order] = [key, queue.oldest]
    }
    return oldest === undefined ? undefined : this.takeOf(oldest)
  }

  /** Takes the oldest job queued under `key`, or undefined when it has none; wakes waiting producers. */
  takeOf(key: string): T | undefined {
    const queue = this.queues.get(key)
    if (!queue) return undefined
    const job = queue.shift()
    if (queue.size === 0) this.queues.delete(key)
    this.count--
    this.wake()
    return job
  }

  /** Removes every queued job the predicate rejects (jobs of a peer that left), waking producers. */
  retain(keep: (job: T) => boolean): void {
    const all = [...this.queues.values()].flatMap((queue) => queue.drain())
    this.queues.clear()
    this.count = 0
    for (const { job, order } of all.sort((a, b) => a.order - b.order)) if (keep(job)) this.place(job, order)
    this.wake()
  }

  /** Called after every put: the dispatcher hands the job to an idle worker. */
  onPut: (() => void) | null = null

  private place(job: T, order: number): void {
    const key = this.keyOf?.(job) ?? ''
    let queue = this.queues.get(key)
    if (!queue) this.queues.set(key, (queue = new Queue<T>()))
    queue.push(job, order)
    this.count++
  }

  /** Every waiting producer looks again: which of them may go depends on its key. */
  private wake(): void {
    for (const { resume } of this.waitingProducers.splice(0)) resume()
  }
}
