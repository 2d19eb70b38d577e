// One record per path: each field set and cleared on its own, a record gone once it holds
// nothing, the pending count kept with the records. No disk, no network.
import { describe, expect, it } from 'vitest'
import { PathRecords } from '../../src/main/engine/mirror/path-records'

describe('PathRecords', () => {
  it('keeps each field of a path apart, and drops the record once it holds nothing', () => {
    const records = new PathRecords()
    records.setPending('a', 'v1')
    records.refuse('a', 'v0')
    records.setAttempts('a', 2)
    expect(records.of('a')).toEqual({ pending: 'v1', refused: 'v0', attempts: 2 })
    records.clearPending('a')
    expect(records.of('a')).toEqual({ refused: 'v0', attempts: 2 })
    expect(records.refused.get('a')).toBe('v0')
    records.forget('a', 'refused')
    records.forget('a', 'attempts')
    expect(records.of('a')).toEqual({})
    expect(records.size).toBe(0)
  })

  it.each<{ name: string; steps: (r: PathRecords) => void; pending: boolean; size: number }>([
    { name: 'nothing', steps: () => {}, pending: false, size: 0 },
    { name: 'one job', steps: (r) => r.setPending('a', 'v1'), pending: true, size: 1 },
    { name: 'the same path queued twice counts once', steps: (r) => (r.setPending('a', 'v1'), r.setPending('a', 'v2'), r.clearPending('a')), pending: false, size: 0 },
    { name: 'clearing a path never pending changes nothing', steps: (r) => (r.setPending('a', 'v1'), r.clearPending('b')), pending: true, size: 1 },
    { name: 'a peer that left forgets its jobs, not its refusals', steps: (r) => (r.setPending('a', 'v1'), r.setPending('b', 'v1'), r.refuse('b', 'v0'), r.forgetAll('pending')), pending: false, size: 1 },
    { name: 'a fresh list forgets refusals, not jobs', steps: (r) => (r.setPending('a', 'v1'), r.refuse('b', 'v0'), r.forgetAll('refused')), pending: true, size: 1 },
  ])('$name', ({ steps, pending, size }) => {
    const records = new PathRecords()
    steps(records)
    expect(records.anyPending).toBe(pending)
    expect(records.size).toBe(size)
  })

  it('gives the held paths back once, in the order their records began', () => {
    const records = new PathRecords()
    records.hold('b')
    records.setPending('c', 'v1')
    records.hold('a')
    records.hold('c')
    expect(records.takeHeld()).toEqual(['b', 'c', 'a'])
    expect(records.takeHeld()).toEqual([])
    expect(records.of('c')).toEqual({ pending: 'v1' })
    expect(records.size).toBe(1)
  })
})
