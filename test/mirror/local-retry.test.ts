// Files a mirror's disk would not take, waiting for it (mirror/local-retry.ts): when they are tried
// again, how many, when a cause is news, and that nothing is left running once disposed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LocalRetry, PROBES_PER_ROUND } from '../../src/main/engine/mirror/local-retry'
import { retryDelay } from '../../src/main/engine/mirror/reachability'

let tried: string[][]
let retry: LocalRetry

beforeEach(() => {
  vi.useFakeTimers()
  tried = []
  retry = new LocalRetry((paths) => tried.push(paths))
})

afterEach(() => {
  retry.dispose()
  vi.useRealTimers()
})

describe('LocalRetry', () => {
  it('a cause is news once while anything waits for it; each path is new once per cause', () => {
    const steps: Array<[string, 'read-only' | 'full', { news: boolean; first: boolean }]> = [
      ['a', 'read-only', { news: true, first: true }],
      ['b', 'read-only', { news: false, first: true }],
      ['a', 'read-only', { news: false, first: false }],
      ['c', 'full', { news: true, first: true }],
      ['a', 'full', { news: false, first: true }],
    ]
    for (const [rel, cause, answer] of steps) expect(retry.wait(rel, cause)).toEqual(answer)
    expect(retry.size).toBe(3)
  })

  it('a lone waiting file tried again and refused for the same cause is no news: the error is said once', () => {
    expect(retry.wait('only', 'full')).toEqual({ news: true, first: true })
    for (let round = 1; round <= 4; round++) {
      vi.advanceTimersByTime(retryDelay(round))
      expect(retry.wait('only', 'full')).toEqual({ news: false, first: false })
    }
    // Another cause for it is news, as it would be for any file.
    expect(retry.wait('only', 'read-only')).toEqual({ news: true, first: true })
  })

  it('tries a few each round, one second doubling to a minute, the ones tried last at the back', () => {
    for (let i = 0; i < 10; i++) retry.wait(`f${i}`, 'read-only')
    const rounds: number[] = []
    for (let round = 1; round <= 8; round++) {
      vi.advanceTimersByTime(retryDelay(round) - 1)
      expect(tried).toHaveLength(round - 1)
      vi.advanceTimersByTime(1)
      expect(tried).toHaveLength(round)
      rounds.push(retryDelay(round))
      // Each tried path fails again, as on a disk still read-only.
      for (const rel of tried.at(-1)!) retry.wait(rel, 'read-only')
    }
    expect(rounds).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
    expect(tried.every((paths) => paths.length === PROBES_PER_ROUND)).toBe(true)
    // Round after round, other files: the first three rounds try ten different ones (and two again).
    expect(new Set(tried.slice(0, 3).flat()).size).toBe(10)
  })

  it('once one is written, all the others are tried at once, and the schedule starts again at one second', () => {
    for (let i = 0; i < 10; i++) retry.wait(`f${i}`, 'read-only')
    vi.advanceTimersByTime(1000)
    for (const rel of tried[0]!) retry.wait(rel, 'read-only')
    vi.advanceTimersByTime(2000)
    expect(tried[1]).toEqual(['f4', 'f5', 'f6', 'f7'])
    tried = []
    retry.settled('f4', true)
    // All that are not out at the moment; the ones out have their own answer coming.
    expect(tried).toEqual([['f8', 'f9', 'f0', 'f1', 'f2', 'f3']])
    // A second write hands out nothing more: everything is out.
    retry.settled('f5', true)
    expect(tried).toHaveLength(1)
    vi.advanceTimersByTime(999)
    expect(tried).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(tried).toHaveLength(2)
  })

  it('a cause is over once nothing waits for it any more (news again), and the rounds stop when nothing waits', () => {
    retry.wait('a', 'read-only')
    retry.wait('b', 'read-only')
    retry.wait('c', 'full')
    retry.settled('a', true)
    expect(retry.wait('x', 'read-only').news).toBe(false)
    retry.settled('x', true)
    retry.settled('b', true)
    expect(retry.wait('y', 'read-only').news).toBe(true)
    retry.settled('y', true)
    // Not wanted any more: it waits no longer, though nothing was written.
    retry.settled('c', false)
    expect(retry.size).toBe(0)
    expect(retry.scheduled).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
    expect(retry.wait('d', 'full').news).toBe(true)
  })

  it('hands out again files whose answer never came, rather than wait forever', () => {
    retry.wait('a', 'full')
    vi.advanceTimersByTime(1000)
    expect(tried).toEqual([['a']])
    vi.advanceTimersByTime(2000)
    expect(tried).toEqual([['a'], ['a']])
  })

  it('disposed: no round runs, and nothing waits', () => {
    retry.wait('a', 'read-only')
    retry.dispose()
    expect(retry.scheduled).toBe(false)
    vi.advanceTimersByTime(120_000)
    expect(tried).toEqual([])
    expect(retry.wait('b', 'read-only')).toEqual({ news: false, first: false })
    expect(retry.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
