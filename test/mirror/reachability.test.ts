// How often an unreachable peer is dialled again, and when that is worth a word: a pure table.
import { describe, expect, it } from 'vitest'
import { Reachability, retryDelay, RETRY_FIRST_MS, RETRY_MAX_MS } from '../../src/main/engine/mirror/reachability'

describe('retryDelay', () => {
  it.each([
    [1, RETRY_FIRST_MS],
    [2, 2 * RETRY_FIRST_MS],
    [3, 4 * RETRY_FIRST_MS],
    [6, 32 * RETRY_FIRST_MS],
    [7, RETRY_MAX_MS],
    [1000, RETRY_MAX_MS],
  ])('after %i failures in a row: %i ms', (failures, ms) => {
    expect(retryDelay(failures)).toBe(ms)
  })

  it('grows from one second to a minute', () => {
    expect([RETRY_FIRST_MS, RETRY_MAX_MS]).toEqual([1000, 60_000])
  })
})

describe('Reachability', () => {
  it('is news once per change of state, and waits longer after each failure in a row', () => {
    const peer = new Reachability()
    const steps: Array<['fail' | 'answer', boolean, number | null]> = [
      ['fail', true, 1000],
      ['fail', false, 2000],
      ['fail', false, 4000],
      ['answer', true, null],
      ['answer', false, null],
      ['fail', true, 1000],
      ['fail', false, 2000],
      ['answer', true, null],
    ]
    for (const [step, news, wait] of steps) {
      if (step === 'fail') expect(peer.failed()).toEqual({ news, retryInMs: wait })
      else expect(peer.answered()).toBe(news)
    }
  })

  it('a peer that never answered is news when it first fails, not when it first answers', () => {
    expect(new Reachability().answered()).toBe(false)
    expect(new Reachability().failed().news).toBe(true)
  })
})
