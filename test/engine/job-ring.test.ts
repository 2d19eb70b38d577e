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
    expect(ring.keyCap('a')).toBe(2)
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
    expect(ring.takeOf('b')).toBe('b:1')
    await new Promise((r) => setTimeout(r, 20))
    expect(third).toBe(false)
    expect(ring.take()).toBe('a:1')
    await waiting
    expect([ring.take(), ring.take(), ring.take()]).toEqual(['a:2', 'a:3', undefined])
  })

  // Each row: jobs queued (key:n, in order), keys with a producer waiting, then the cap of each key.
  for (const { capacity, queued, waiting, caps } of [
    { capacity: 64, queued: [], waiting: [], caps: { a: 63 } },
    { capacity: 64, queued: ['a:1'], waiting: ['b'], caps: { a: 31, b: 31, c: 21 } },
    { capacity: 4, queued: ['a:1', 'b:1'], waiting: ['c'], caps: { a: 1, b: 1, c: 1, d: 1 } },
    { capacity: 2, queued: ['a:1'], waiting: [], caps: { a: 1, b: 1 } },
    { capacity: 1, queued: [], waiting: [], caps: { a: 1 } },
  ]) {
    it(`-b ${capacity}, queued ${queued.join(' ') || 'nothing'}, waiting ${waiting.join(' ') || 'none'}: caps ${JSON.stringify(caps)}`, async () => {
      const ring = new JobRing<string>(capacity, (job) => job.split(':')[0]!)
      for (const job of queued) await ring.put(job)
      // Waiting producers: each key's queue filled to its cap, then one more put that waits.
      for (const key of waiting) {
        while (ring.queued(key) < ring.keyCap(key) && ring.used < capacity) await ring.put(`${key}:fill`)
        void ring.put(`${key}:more`)
      }
      for (const [key, cap] of Object.entries(caps)) expect([key, ring.keyCap(key)]).toEqual([key, cap])
    })
  }

  it('a key that filled the ring alone lets newcomers in as its jobs leave, none of its own', async () => {
    const ring = new JobRing<string>(4, (job) => job.split(':')[0]!)
    for (let i = 1; i <= 3; i++) await ring.put(`a:${i}`)
    const entered: string[] = []
    const put = (job: string) => void ring.put(job).then(() => entered.push(job))
    const settle = () => new Promise((r) => setTimeout(r, 20))
    put('a:4')
    put('b:1')
    put('b:2')
    put('c:1')
    await settle()
    // The one free slot went to b; a holds its cap.
    expect(entered).toEqual(['b:1'])
    // Three keys now: an even part of all but one slot is one each. a's slot goes to c, not a.
    expect(ring.take()).toBe('a:1')
    await settle()
    expect(entered).toEqual(['b:1', 'c:1'])
    expect(ring.takeOf('b')).toBe('b:1')
    await settle()
    expect(entered).toEqual(['b:1', 'c:1', 'b:2'])
    // a comes in again once it holds less than its part.
    expect([ring.take(), ring.used]).toEqual(['a:2', 3])
    await settle()
    expect(entered).toEqual(['b:1', 'c:1', 'b:2'])
    expect(ring.take()).toBe('a:3')
    await settle()
    expect(entered).toEqual(['b:1', 'c:1', 'b:2', 'a:4'])
  })

  it('takes the oldest job overall, or the oldest of one key, the others keeping their order', async () => {
    const ring = new JobRing<string>(8, (job) => job.split(':')[0]!)
    for (const job of ['a:1', 'b:1', 'a:2', 'c:1', 'b:2']) await ring.put(job)
    expect(ring.heads()).toEqual([
      { peer: 'a', oldest: 0 },
      { peer: 'b', oldest: 1 },
      { peer: 'c', oldest: 3 },
    ])
    expect(ring.takeOf('b')).toBe('b:1')
    expect(ring.takeOf('d')).toBeUndefined()
    expect(ring.take()).toBe('a:1')
    expect(ring.take()).toBe('a:2')
    ring.retain((job) => job !== 'c:1')
    expect([ring.take(), ring.take(), ring.used]).toEqual(['b:2', undefined, 0])
  })

  it('keeps a long queue in order through many puts and takes', async () => {
    const ring = new JobRing<number>(1000)
    const taken: number[] = []
    for (let i = 0; i < 5000; i++) {
      await ring.put(i)
      if (ring.used === 900) for (let j = 0; j < 700; j++) taken.push(ring.take()!)
    }
    for (let job = ring.take(); job !== undefined; job = ring.take()) taken.push(job)
    expect(taken).toEqual(Array.from({ length: 5000 }, (_, i) => i))
  })

  it('a one-slot ring stays usable with a key', async () => {
    const ring = new JobRing<string>(1, () => 'only')
    await ring.put('x')
    expect([ring.keyCap('only'), ring.take()]).toEqual([1, 'x'])
  })

  it('refuses a ring without slots', () => {
    expect(() => new JobRing(0)).toThrow(RangeError)
  })
})
