// A rate limit shared by every thread of the process: one per direction (--limit-rate), so the
// limit holds however many connections and worker threads move the bytes. Its state is two
// 64-bit slots in a SharedArrayBuffer, updated with compare-and-swap: no thread holds a lock, and
// a worker thread attaches to the same memory (postMessage / workerData share it, not copy it).
//
// It is a token bucket kept as one number, the time its debt is paid off (the virtual scheduling
// form of GCRA): taking n bytes moves that time on by n / rate, and the taker pauses for as long
// as it lies more than BURST_US ahead. Whoever takes pays at once: bytes never wait in memory for
// tokens, the reader or sender stops instead.

/** Debt allowed before anyone pauses: timers cannot wait less than about a millisecond, and a
 * pause for every TLS record would cap a fast limit far below itself. */
export const BURST_US = 50_000

/** The pure core: the new paid-off time, and how long the taker waits (ms, 0: not at all). */
export function reserve(paidUntilUs: number, nowUs: number, bytes: number, bytesPerSecond: number, burstUs = BURST_US): { paidUntilUs: number; waitMs: number } {
  if (bytesPerSecond <= 0) return { paidUntilUs, waitMs: 0 }
  // Time that passed with nothing taken is credit only up to the burst, never more.
  const next = Math.ceil(Math.max(paidUntilUs, nowUs) + (bytes * 1e6) / bytesPerSecond)
  const aheadUs = next - nowUs - burstUs
  return { paidUntilUs: next, waitMs: aheadUs > 0 ? aheadUs / 1000 : 0 }
}

/** Microseconds on a clock every thread of the process shares (CLOCK_MONOTONIC). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

const PAID_UNTIL = 0
const RATE = 1

export class TokenBucket {
  private readonly slots: BigInt64Array

  private constructor(
    /** The shared state: hand it to another thread and attach there. */
    readonly memory: SharedArrayBuffer,
    private readonly clock: () => number,
  ) {
    this.slots = new BigInt64Array(memory)
  }

  /** A new bucket; `bytesPerSecond` 0: no limit. */
  static create(bytesPerSecond: number, clock = monotonicUs): TokenBucket {
    const bucket = new TokenBucket(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT), clock)
    bucket.setRate(bytesPerSecond)
    return bucket
  }

  /** The bucket whose memory another thread created. */
  static attach(memory: SharedArrayBuffer, clock = monotonicUs): TokenBucket {
    return new TokenBucket(memory, clock)
  }

  get bytesPerSecond(): number {
    return Number(Atomics.load(this.slots, RATE))
  }

  /** A new limit takes effect at the next take, in every thread; the old debt is forgiven. */
  setRate(bytesPerSecond: number): void {
    Atomics.store(this.slots, RATE, BigInt(Math.max(0, Math.floor(bytesPerSecond))))
    Atomics.store(this.slots, PAID_UNTIL, 0n)
  }

  /** Takes `bytes` (already moved, or about to be): how long to pause before the next (ms). */
  take(bytes: number): number {
    const rate = this.bytesPerSecond
    if (rate === 0) return 0
    for (;;) {
      const before = Atomics.load(this.slots, PAID_UNTIL)
      const { paidUntilUs, waitMs } = reserve(Number(before), this.clock(), bytes, rate)
      // Another thread took meanwhile: try again from what it left.
      if (Atomics.compareExchange(this.slots, PAID_UNTIL, before, BigInt(paidUntilUs)) === before) return waitMs
    }
  }
}
