import { describe, expect, it } from 'vitest'
import { JobRing } from '../../src/main/engine/mirror/job-ring'

describe('JobRing', () => {
  it('hands jobs out in order and wraps around its slots', async () => {
    const ring = new JobRing<number>(3)
    for (let round = 0; round < 4; round++) {
      await ring.put(round * 10 + 1)
      await ring.put(round * 10 + 2)
      expect(ring.take()).toBe(round * 10 + 1)
      expect(ring.take()).toBe(round * 10 + 2)
    }
    expect(ring.take()).toBeUndefined()
  })

  it('makes a producer wait while every slot is taken, and wakes it when one frees', async () => {
    const ring = new JobRing<string>(1)
    await ring.put('a')
    let second = false
    const waiting = ring.put('b').then(() => (second = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(second).toBe(false)
    expect(ring.used).toBe(1)
    expect(ring.take()).toBe('a')
    await waiting
    expect(second).toBe(true)
    expect(ring.take()).toBe('b')
  })

  it('never holds more than its capacity, with many producers racing', async () => {
    const ring = new JobRing<number>(2)
    const seen: number[] = []
    let maxUsed = 0
    const producers = Array.from({ length: 5 }, (_, p) =>
      (async () => {
        for (let i = 0; i < 20; i++) {
          await ring.put(p * 100 + i)
          maxUsed = Math.max(maxUsed, ring.used)
        }
      })(),
    )
    const consumer = (async () => {
      while (seen.length < 100) {
        const job = ring.take()
        if (job === undefined) await new Promise((r) => setImmediate(r))
        else seen.push(job)
      }
    })()
    await Promise.all([...producers, consumer])
    expect(maxUsed).toBeLessThanOrEqual(2)
    expect(new Set(seen).size).toBe(100)
    // Each producer's own jobs stay in its order.
    for (let p = 0; p < 5; p++) {
      const mine = seen.filter((j) => Math.floor(j / 100) === p)
      expect(mine).toEqual([...mine].sort((x, y) => x - y))
    }
  })

  it('drops the jobs a predicate rejects and lets waiting producers in', async () => {
    const ring = new JobRing<string>(2)
    await ring.put('peer-a:1')
    await ring.put('peer-b:1')
    const waiting = ring.put('peer-b:2')
    ring.retain((job) => !job.startsWith('peer-a'))
    await waiting
    expect([ring.take(), ring.take(), ring.take()]).toEqual(['peer-b:1', 'peer-b:2', undefined])
  })

  it('refuses a ring without slots', () => {
    expect(() => new JobRing(0)).toThrow(RangeError)
  })
})
