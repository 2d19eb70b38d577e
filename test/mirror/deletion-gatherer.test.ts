// Pushed deletions gathered into one burst (mirror/deletion-gatherer.ts): when a burst ends, and
// what leaves it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeletionGatherer } from '../../src/main/engine/mirror/deletion-gatherer'

let flushed: string[][]
let gatherer: DeletionGatherer

beforeEach(() => {
  vi.useFakeTimers()
  flushed = []
  gatherer = new DeletionGatherer((paths) => flushed.push(paths), 1000, 5000)
})

afterEach(() => {
  gatherer.dispose()
  vi.useRealTimers()
})

describe('the deletion gatherer', () => {
  it('hands over a burst once no deletion came for the quiet time', () => {
    gatherer.add(['a', 'b'], Date.now())
    vi.advanceTimersByTime(600)
    gatherer.add(['c'], Date.now())
    vi.advanceTimersByTime(999)
    expect(flushed).toEqual([])
    vi.advanceTimersByTime(1)
    expect(flushed).toEqual([['a', 'b', 'c']])
    expect(gatherer.size).toBe(0)
  })

  it('hands over at the latest the longest time after the first, however long the deletions go on', () => {
    for (let t = 0; t < 5000; t += 500) {
      gatherer.add([`f${t}`], Date.now())
      vi.advanceTimersByTime(500)
    }
    expect(flushed).toHaveLength(1)
    expect(flushed[0]).toHaveLength(10)
  })

  it('drops a path the peer has again, and a rename source', () => {
    gatherer.add(['a', 'b'], Date.now())
    gatherer.remove('a')
    expect(gatherer.has('a')).toBe(false)
    expect(gatherer.gathered()).toEqual(['b'])
    vi.advanceTimersByTime(1000)
    expect(flushed).toEqual([['b']])
  })

  it('hands over nothing when every path came back, and nothing after dispose', () => {
    gatherer.add(['a'], Date.now())
    gatherer.remove('a')
    vi.advanceTimersByTime(10_000)
    gatherer.add(['b'], Date.now())
    gatherer.dispose()
    vi.advanceTimersByTime(10_000)
    expect(flushed).toEqual([])
  })

  it('does not start the wait again for paths it already holds', () => {
    gatherer.add(['a'], Date.now())
    vi.advanceTimersByTime(900)
    gatherer.add(['a'], Date.now())
    vi.advanceTimersByTime(100)
    expect(flushed).toEqual([['a']])
  })
})
