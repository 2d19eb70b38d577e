// The bounded circular buffer between producers (the main thread, turning peer lists and change
// pushes into jobs) and consumers (the transfer workers). Capacity is -b slots; a producer that
// finds it full waits (asynchronously) until a slot frees. Workers only consume, never produce,
// so a full ring can always drain: no deadlock, even with -w 1 -b 1.

export class JobRing<T> {
  private readonly slots: Array<T | undefined>
  private head = 0
  private count = 0
  private readonly waitingProducers: Array<() => void> = []

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring needs at least one slot, not ${capacity}`)
    this.slots = new Array<T | undefined>(capacity)
  }

  get used(): number {
    return this.count
  }

  /** Puts a job in the next free slot, waiting while every slot is taken. */
  async put(job: T): Promise<void> {
    while (this.count === this.capacity) {
      await new Promise<void>((resolve) => this.waitingProducers.push(resolve))
    }
    this.slots[(this.head + this.count) % this.capacity] = job
    this.count++
    this.onPut?.()
  }

  /** Takes the oldest job, or undefined when the ring is empty; wakes one waiting producer. */
  take(): T | undefined {
    if (this.count === 0) return undefined
    const job = this.slots[this.head]
    this.slots[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.count--
    this.waitingProducers.shift()?.()
    return job
  }

  /** Removes every queued job the predicate rejects (jobs of a peer that left), waking producers. */
  retain(keep: (job: T) => boolean): void {
    const kept: T[] = []
    while (this.count > 0) {
      const job = this.take()!
      if (keep(job)) kept.push(job)
    }
    for (const job of kept) {
      this.slots[(this.head + this.count) % this.capacity] = job
      this.count++
    }
  }

  /** Called after every put: the dispatcher hands the job to an idle worker. */
  onPut: (() => void) | null = null
}
