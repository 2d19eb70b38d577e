// The process's batching of fan-out frames (net/write-batches.ts): when a turn's frames go at once
// or wait out the window, on a clock the test moves; and one flush for every waiting writer.
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { BATCH_WINDOW_MS, WriteBatches, type BatchedWriter } from '../../src/main/engine/net/write-batches'

/** Flushes as a connection does: only when it was waiting, counting each flush. */
function writer(batches: WriteBatches): BatchedWriter & { flushes: number } {
  const w = {
    flushes: 0,
    flush(): void {
      if (batches.delete(w)) w.flushes++
    },
  }
  return w
}

describe('WriteBatches.batchWait', () => {
  it('goes at once after a quiet spell, waits the window in the turns that follow it, and is judged once per turn', async () => {
    const clock = { now: 1000 }
    const batches = new WriteBatches(() => clock.now)
    // [ms since the start, wait of each frame batched in that turn]
    const turns: Array<[number, number[]]> = [
      [0, [0, 0, 0]], // the first turn ever: quiet before it
      [5, [BATCH_WINDOW_MS, BATCH_WINDOW_MS]], // a burst going on
      [50, [BATCH_WINDOW_MS]],
      [149, [BATCH_WINDOW_MS]], // 99 ms after the last: not quiet yet
      [249, [0, 0]], // 100 ms of nothing: quiet again
      [250, [BATCH_WINDOW_MS]],
    ]
    for (const [at, waits] of turns) {
      clock.now = 1000 + at
      expect(waits.map(() => batches.batchWait()), `turn at ${at} ms`).toEqual(waits)
      // Later frames of the same turn keep its verdict, whatever the clock says meanwhile.
      clock.now += 1000
      expect(batches.batchWait()).toBe(waits[0])
      await nextTurn()
    }
  })
})

describe('WriteBatches', () => {
  it('flushes every waiting writer once, however many frames each batched', async () => {
    const batches = new WriteBatches()
    const a = writer(batches)
    const b = writer(batches)
    batches.add(a)
    batches.add(b)
    batches.add(a)
    await expect.poll(() => [a.flushes, b.flushes], { timeout: 10_000 }).toEqual([1, 1])
    // Flushed, a writer is out of the set: nothing more for it until it batches again.
    expect(batches.delete(a)).toBe(false)
    batches.add(a)
    await expect.poll(() => a.flushes, { timeout: 10_000 }).toBe(2)
    expect(b.flushes).toBe(1)
  })

  it('a writer that flushed early (an unbatched frame) is not flushed again by the timer', async () => {
    const batches = new WriteBatches()
    const early = writer(batches)
    const late = writer(batches)
    batches.add(early)
    batches.add(late)
    early.flush()
    expect(early.flushes).toBe(1)
    await expect.poll(() => late.flushes, { timeout: 10_000 }).toBe(1)
    expect(early.flushes).toBe(1)
  })

  it('dispose writes what waits at once and leaves no timer behind', () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const before = timeouts()
    const batches = new WriteBatches()
    const a = writer(batches)
    batches.add(a)
    expect(timeouts()).toBe(before + 1)
    batches.dispose()
    expect(a.flushes).toBe(1)
    expect(batches.delete(a)).toBe(false)
    expect(timeouts()).toBe(before)
  })
})
