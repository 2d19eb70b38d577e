// Where peers sit on the graph: stable while they stay, innermost free slot for newcomers, and
// no two peers on the same spot.
import { describe, expect, it } from 'vitest'
import { SlotAllocator, slotPosition } from '../../src/renderer/src/composables/peer-slots'

describe('peer slots', () => {
  it('keeps a staying peer in its slot and gives a newcomer the innermost free one', () => {
    const slots = new SlotAllocator()
    expect([...slots.sync(['a', 'b', 'c'])]).toEqual([['a', 0], ['b', 1], ['c', 2]])
    expect(slots.sync(['a', 'c']).get('c')).toBe(2)
    const next = slots.sync(['a', 'c', 'd', 'e'])
    expect([next.get('d'), next.get('e')]).toEqual([1, 3])
  })

  it('spreads 200 peers with room between every two', () => {
    const points = Array.from({ length: 200 }, (_, i) => slotPosition(i))
    let closest = Infinity
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) closest = Math.min(closest, Math.hypot(points[i]!.x - points[j]!.x, points[i]!.y - points[j]!.y))
    }
    expect(closest).toBeGreaterThan(30)
    expect(Math.min(...points.map((p) => Math.hypot(p.x, p.y)))).toBeGreaterThan(60)
  })
})
