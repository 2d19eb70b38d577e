// The bandwidth limit's bucket: the pure reservation, table-driven; the shared bucket on a clock
// the test moves; and real worker threads taking from one bucket at once (none of their takes lost).
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { build } from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import { BURST_US, reserve, TokenBucket } from '../../src/main/engine/net/token-bucket'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const S = 1_000_000

describe('reserve', () => {
  it.each([
    // what, paid until (µs), now (µs), bytes, bytes/s, burst (µs), → paid until, wait (ms)
    ['a little from an idle bucket goes at once', 0, 1 * S, 10, 1000, BURST_US, 1 * S + 10_000, 0],
    ['past the burst, the rest is waited for', 0, 1 * S, 100, 1000, BURST_US, 1 * S + 100_000, 50],
    ['a bucket in debt makes even nothing wait', 1 * S + 200_000, 1 * S, 0, 1000, BURST_US, 1 * S + 200_000, 150],
    ['debt adds up', 1 * S + 200_000, 1 * S, 100, 1000, BURST_US, 1 * S + 300_000, 250],
    ['a long idle spell is no credit beyond the burst', 0, 10 * S, 1000, 1000, BURST_US, 11 * S, 950],
    ['no burst: every byte waits its time', 5 * S, 5 * S, 1000, 1000, 0, 6 * S, 1000],
    ['a rate of 0 is no limit, and leaves the state alone', 7 * S, 1 * S, 1 << 30, 0, BURST_US, 7 * S, 0],
    ['a fraction of a microsecond is rounded up, never lost', 0, 0, 1, 3, 0, 333_334, 333.334],
    ['a fast limit: 1 GiB at 100 MiB/s', 0, 0, 1 << 30, 100 * (1 << 20), BURST_US, 10_240_000, 10_190],
  ])('%s', (_what, paidUntilUs, nowUs, bytes, rate, burstUs, paidAfter, waitMs) => {
    const grant = reserve(paidUntilUs, nowUs, bytes, rate, burstUs)
    expect(grant.paidUntilUs).toBe(paidAfter)
    expect(grant.waitMs).toBeCloseTo(waitMs, 6)
  })
})

/** A bucket on a clock the test moves, in µs. */
function onClock(bytesPerSecond: number): { bucket: TokenBucket; clock: { now: number } } {
  const clock = { now: 1 * S }
  return { bucket: TokenBucket.create(bytesPerSecond, () => clock.now), clock }
}

describe('TokenBucket', () => {
  it.each([
    // bytes/s, chunk: a reader of 16 KiB TLS records, a sender of 1 MiB chunks, a slow limit
    [100 * 1024 * 1024, 16 * 1024],
    [100 * 1024 * 1024, 1024 * 1024],
    [1024, 16 * 1024],
    [1000, 1],
  ])('holds a taker that pauses as told to %s bytes/s (chunks of %s bytes) within the burst', (rate, chunk) => {
    const { bucket, clock } = onClock(rate)
    const start = clock.now
    let moved = 0
    // Ten seconds' worth, each chunk moved the moment it is allowed.
    while (moved < rate * 10) {
      moved += chunk
      clock.now += Math.ceil(bucket.take(chunk) * 1000)
    }
    const elapsedUs = clock.now - start
    // Not faster than the rate, but for the burst; not slower than it, but for a rounding per take.
    expect(moved).toBeLessThanOrEqual((rate * (elapsedUs + BURST_US)) / S)
    expect(moved).toBeGreaterThanOrEqual((rate * elapsedUs) / S - chunk)
  })

  it('adds up takes made at the same moment: two takers share one limit', () => {
    const { bucket } = onClock(1000)
    expect(bucket.take(100)).toBeCloseTo(50, 6)
    expect(bucket.take(100)).toBeCloseTo(150, 6)
  })

  it('takes a new rate at once and forgives the old debt; 0 lets everything through', () => {
    const { bucket, clock } = onClock(1000)
    expect(bucket.take(10_000)).toBeCloseTo(9950, 6)
    bucket.setRate(0)
    expect(bucket.bytesPerSecond).toBe(0)
    expect(bucket.take(1 << 30)).toBe(0)
    bucket.setRate(1_000_000)
    expect(bucket.take(100_000)).toBeCloseTo(50, 6)
    clock.now += 100_000
    expect(bucket.take(0)).toBe(0)
  })

  it('is one bucket in every thread that attaches to it: four threads taking at once lose no take', async () => {
    const dir = tempDir('bucket-')
    const entry = path.join(dir, 'taker.ts')
    const module = fileURLToPath(new URL('../../src/main/engine/net/token-bucket.ts', import.meta.url))
    // Each thread's clock stands still: whatever it takes only moves the shared paid-off time on.
    writeFileSync(
      entry,
      `import { parentPort, workerData } from 'node:worker_threads'
import { TokenBucket } from ${JSON.stringify(module)}
const bucket = TokenBucket.attach(workerData.memory, () => 0)
const start = new Int32Array(workerData.start)
Atomics.wait(start, 0, 0)
for (let i = 0; i < workerData.takes; i++) bucket.take(1)
parentPort.postMessage('done')
`,
    )
    const script = path.join(dir, 'taker.mjs')
    await build({ entryPoints: [entry], outfile: script, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' })
    // 1 byte per µs: the paid-off time counts the bytes taken.
    const bucket = TokenBucket.create(1_000_000, () => 0)
    const start = new SharedArrayBuffer(4)
    const takes = 20_000
    const workers = Array.from({ length: 4 }, () => new Worker(script, { workerData: { memory: bucket.memory, start, takes } }))
    try {
      await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))))
      const done = workers.map((w) => new Promise((resolve, reject) => (w.once('message', resolve), w.once('error', reject))))
      Atomics.store(new Int32Array(start), 0, 1)
      Atomics.notify(new Int32Array(start), 0)
      await Promise.all(done)
    } finally {
      await Promise.all(workers.map((w) => w.terminate()))
    }
    expect(new BigInt64Array(bucket.memory)[0]).toBe(BigInt(4 * takes))
    // And the main thread's next take stands behind all of them.
    expect(bucket.take(0)).toBeCloseTo((4 * takes - BURST_US) / 1000, 6)
  })
})
