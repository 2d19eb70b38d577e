import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IndexSaves } from '../../src/main/engine/folder/index-saves'

describe('IndexSaves: when the index is written', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('saves once changes have stopped for half a second, once for a whole burst', () => {
    let saves = 0
    const schedule = new IndexSaves(() => saves++)
    for (let i = 0; i < 10; i++) {
      schedule.changed()
      vi.advanceTimersByTime(100)
    }
    expect(saves).toBe(0)
    vi.advanceTimersByTime(400)
    expect(saves).toBe(1)
    vi.advanceTimersByTime(10_000)
    expect(saves).toBe(1)
  })

  it('saves at least every 5 seconds while changes never stop', () => {
    let saves = 0
    const schedule = new IndexSaves(() => saves++)
    for (let i = 0; i < 120; i++) {
      schedule.changed()
      vi.advanceTimersByTime(100)
    }
    expect(saves).toBe(2)
  })

  it('dispose stops the timer and says whether a save was due', () => {
    let saves = 0
    const schedule = new IndexSaves(() => saves++)
    expect(schedule.dispose()).toBe(false)
    schedule.changed()
    expect(schedule.dispose()).toBe(true)
    vi.advanceTimersByTime(10_000)
    expect(saves).toBe(0)
  })
})
