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

  it('keyed, lets no one key hold every slot: one is left to the others', async () => {
    const ring = new JobRing<string>(3, (job) => job.split(':')[0]!)
    expect(ring.keyCap).toBe(2)
    await ring.put('a:1')
    await ring.put('a:2')
    let third = false
    const waiting = ring.put('a:3').then(() => (third = true))
    await new Promise((r) => setTimeout(r, 20))
    // a holds its cap with a slot free: that slot is b's.
    expect([third, ring.used]).toEqual([false, 2])
    await ring.put('b:1')
    expect(ring.used).toBe(3)
    // Taking b's job does not let a in; taking one of a's does.
    expect(ring.takeFirst((job) => job.startsWith('b'))).toBe('b:1')
    await new Promise((r) => setTimeout(r, 20))
    expect(third).toBe(false)
    expect(ring.take()).toBe('a:1')
    await waiting
    expect([ring.take(), ring.take(), ring.take()]).toEqual(['a:2', 'a:3', undefined])
  })

  it('takes the oldest job a predicate accepts, the others keeping their order across the wrap', async () => {
    const ring = new JobRing<number>(4)
    for (const n of [1, 2, 3]) await ring.put(n)
    expect(ring.take()).toBe(1)
    for (const n of [4, 5]) await ring.put(n) // 5 wraps to the first slot
    expect(ring.takeFirst((n) => n % 2 === 0 && n > 2)).toBe(4)
    expect(ring.takeFirst((n) => n > 9)).toBeUndefined()
    expect([ring.take(), ring.take(), ring.take(), ring.used]).toEqual([2, 3, 5, 0])
  })

  it('a one-slot ring stays usable with a key', async () => {
    const ring = new JobRing<string>(1, () => 'only')
    await ring.put('x')
    expect([ring.keyCap, ring.take()]).toEqual([1, 'x'])
  })

  it('refuses a ring without slots', () => {
    expect(() => new JobRing(0)).toThrow(RangeError)
  })
})
