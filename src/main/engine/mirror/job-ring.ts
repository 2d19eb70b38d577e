// The bounded circular buffer between producers (the main thread, turning peer lists and change
// pushes into jobs) and consumers (the transfer workers). Capacity is -b slots; a producer that
// finds it full waits (asynchronously) until a slot frees. Workers only consume, never produce,
// so a full ring can always drain: no deadlock, even with -w 1 -b 1.
//
// With a key (the peer a job is for), no one key may hold every slot: of two or more slots, one
// is always left to the others, so a peer whose jobs are stuck cannot keep every other peer out.

export class JobRing<T> {
  private readonly slots: Array<T | undefined>
  private head = 0
  private count = 0
  private readonly waitingProducers: Array<() => void> = []
  /** Slots each key holds, when the ring has a key. */
  private readonly held = new Map<string, number>()

  constructor(
    readonly capacity: number,
    private readonly keyOf: ((item: T) => string) | null = null,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring needs at least one slot, not ${capacity}`)
    this.slots = new Array<T | undefined>(capacity)
  }

  get used(): number {
    return this.count
  }

  /** The most slots one key may hold: all of them without a key or in a one-slot ring, else all but one. */
  get keyCap(): number {
    return this.keyOf && this.capacity > 1 ? this.capacity - 1 : this.capacity
  }

  /** Puts a job in the next free slot, waiting while every slot is taken (or its key holds its cap). */
  async put(job: T): Promise<void> {
    const key = this.keyOf?.(job)
    while (this.count === this.capacity || (key !== undefined && (this.held.get(key) ?? 0) >= this.keyCap)) {
      await new Promise<void>((resolve) => this.waitingProducers.push(resolve))
    }
    this.place(job)
    this.onPut?.()
  }

  /** Takes the oldest job, or undefined when the ring is empty; wakes waiting producers. */
  take(): T | undefined {
    return this.takeFirst(() => true)
  }

  /** Takes the oldest job `wanted` accepts, the others keeping their order; wakes waiting producers. */
  takeFirst(wanted: (job: T) => boolean): T | undefined {
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % this.capacity
      const job = this.slots[at]!
      if (!wanted(job)) continue
      // Close the gap: the jobs before it move up one slot, in order.
      for (let j = i; j > 0; j--) this.slots[(this.head + j) % this.capacity] = this.slots[(this.head + j - 1) % this.capacity]
      this.slots[this.head] = undefined
      this.head = (this.head + 1) % this.capacity
      this.count--
      this.release(job)
      this.wake()
      return job
    }
    return undefined
  }

  /** Removes every queued job the predicate rejects (jobs of a peer that left), waking producers. */
  retain(keep: (job: T) => boolean): void {
    const kept: T[] = []
    while (this.count > 0) {
      const job = this.slots[this.head]!
      this.slots[this.head] = undefined
      this.head = (this.head + 1) % this.capacity
      this.count--
      this.release(job)
      if (keep(job)) kept.push(job)
    }
    for (const job of kept) this.place(job)
    this.wake()
  }

  /** Called after every put: the dispatcher hands the job to an idle worker. */
  onPut: (() => void) | null = null

  private place(job: T): void {
    this.slots[(this.head + this.count) % this.capacity] = job
    this.count++
    const key = this.keyOf?.(job)
    if (key !== undefined) this.held.set(key, (this.held.get(key) ?? 0) + 1)
  }

  private release(job: T): void {
    const key = this.keyOf?.(job)
    if (key === undefined) return
    const left = (this.held.get(key) ?? 0) - 1
    if (left > 0) this.held.set(key, left)
    else this.held.delete(key)
  }

  /** Every waiting producer looks again: which of them may go depends on its key. */
  private wake(): void {
    for (const resume of this.waitingProducers.splice(0)) resume()
  }
}
