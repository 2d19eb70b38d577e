// The split of the -b slots between peers, and what each peer has earned to hold out: pure logic.
import { describe, expect, it } from 'vitest'
import { fairShares, nextPeer, sharedRoom } from '../../src/main/engine/mirror/fair-share'
import { PeerWindows, WINDOW_KEPT_MS } from '../../src/main/engine/mirror/peer-windows'

const map = (o: Record<string, number>) => new Map(Object.entries(o))

describe('fairShares', () => {
  for (const { capacity, wants, shares, why } of [
    { capacity: 64, wants: { a: 1000 }, shares: { a: 63 }, why: 'a lone peer has all but one slot' },
    { capacity: 64, wants: { a: 10 }, shares: { a: 10 }, why: 'no more than it wants' },
    { capacity: 64, wants: { a: 1000, b: 1000 }, shares: { a: 31, b: 32 }, why: 'two peers split it evenly' },
    { capacity: 64, wants: { a: 2, b: 1000, c: 1000 }, shares: { a: 2, b: 30, c: 31 }, why: 'a stalled peer on its first window leaves its part to the others' },
    { capacity: 4, wants: { a: 2, b: 9, c: 9 }, shares: { a: 1, b: 1, c: 1 }, why: 'three peers in a 4-slot ring: one each' },
    { capacity: 8, wants: { a: 2, b: 9, c: 9 }, shares: { a: 2, b: 2, c: 3 }, why: 'what is left after the small wants goes to the large' },
    { capacity: 4, wants: { a: 9, b: 9, c: 9, d: 9, e: 9 }, shares: { a: 1, b: 1, c: 1, d: 1, e: 1 }, why: 'never below one: -b bounds the total' },
    { capacity: 1, wants: { a: 9 }, shares: { a: 1 }, why: 'a one-slot ring' },
    { capacity: 2, wants: { a: 9, b: 9 }, shares: { a: 1, b: 1 }, why: 'a two-slot ring' },
    { capacity: 64, wants: { a: 0, b: 5 }, shares: { b: 5 }, why: 'a peer that wants nothing has no share' },
  ]) {
    it(`-b ${capacity}, wants ${JSON.stringify(wants)}: ${why}`, () => {
      expect(Object.fromEntries(fairShares(sharedRoom(capacity), map(wants)))).toEqual(shares)
    })
  }

  it('never shares out more than all but one slot while each peer can have one', () => {
    for (let capacity = 2; capacity <= 70; capacity++) {
      for (let peers = 1; peers < capacity; peers++) {
        const wants = new Map(Array.from({ length: peers }, (_, i) => [`p${i}`, 1 + ((i * 7919) % 90)]))
        const shares = fairShares(sharedRoom(capacity), wants)
        const total = [...shares.values()].reduce((a, b) => a + b, 0)
        expect(total).toBeLessThanOrEqual(capacity - 1)
        // Work-conserving: slots stay idle only when every peer has all it wants.
        const wanted = [...wants.values()].reduce((a, b) => a + b, 0)
        expect(total).toBe(Math.min(wanted, capacity - 1))
      }
    }
  })
})

describe('nextPeer', () => {
  for (const { queued, out, shares, lastSlot, next, why } of [
    { queued: [['a', 0]], out: {}, shares: { a: 3 }, next: 'a', why: 'the only peer with work' },
    { queued: [['a', 0], ['b', 5]], out: { a: 2, b: 1 }, shares: { a: 3, b: 3 }, next: 'b', why: 'the least busy first' },
    { queued: [['a', 0], ['b', 5]], out: { a: 1, b: 1 }, shares: { a: 3, b: 3 }, next: 'a', why: 'between equals, the oldest job' },
    { queued: [['a', 0], ['b', 5]], out: { a: 3 }, shares: { a: 3, b: 3 }, next: 'b', why: 'a peer at its share waits' },
    { queued: [['a', 0]], out: { a: 3 }, shares: { a: 3 }, next: undefined, why: 'nobody under its share' },
    { queued: [], out: { a: 1 }, shares: { a: 3 }, next: undefined, why: 'nothing queued' },
    { queued: [['c', 9]], out: {}, shares: {}, next: 'c', why: 'a peer new since the shares were made may have one' },
    { queued: [['a', 0], ['b', 5]], out: { a: 2 }, shares: { a: 3, b: 3 }, lastSlot: true, next: 'b', why: 'the last slot goes to a peer with nothing out' },
    { queued: [['a', 0], ['b', 5]], out: { a: 2, b: 1 }, shares: { a: 3, b: 3 }, lastSlot: true, next: undefined, why: 'nor to anyone while every peer with work has some out' },
  ] as Array<{ queued: Array<[string, number]>; out: Record<string, number>; shares: Record<string, number>; lastSlot?: boolean; next: string | undefined; why: string }>) {
    it(why, () => {
      const heads = queued.map(([peer, oldest]) => ({ peer, oldest }))
      expect(nextPeer(heads, map(out), map(shares), lastSlot)).toBe(next)
    })
  }

  it('turns between peers with work: round robin while their shares last', () => {
    const out = new Map<string, number>()
    const shares = map({ a: 3, b: 3, c: 3 })
    const order: string[] = []
    for (let peer = nextPeer([{ peer: 'a', oldest: 0 }, { peer: 'b', oldest: 1 }, { peer: 'c', oldest: 2 }], out, shares); peer; ) {
      order.push(peer)
      out.set(peer, (out.get(peer) ?? 0) + 1)
      peer = nextPeer([{ peer: 'a', oldest: 10 }, { peer: 'b', oldest: 11 }, { peer: 'c', oldest: 12 }], out, shares)
    }
    expect(order.join('')).toBe('abcabcabc')
  })
})

describe('PeerWindows', () => {
  it('a peer holds its first window until it answers, one more per answer, up to the most', () => {
    let now = 0
    const windows = new PeerWindows(2, 5, () => now)
    expect(windows.of('a', false)).toBe(2)
    expect(windows.of('a', true)).toBe(2)
    windows.answered('a')
    expect(windows.of('a', true)).toBe(3)
    for (let i = 0; i < 10; i++) windows.answered('a')
    expect(windows.of('a', true)).toBe(5)
    // Others earn their own.
    expect(windows.of('b', true)).toBe(2)
    // Busy, it keeps its window however long its jobs take; idle that long, it earns it again.
    now += WINDOW_KEPT_MS + 1
    expect(windows.of('a', true)).toBe(5)
    expect(windows.of('a', false)).toBe(2)
    windows.answered('a')
    now += WINDOW_KEPT_MS - 1
    expect(windows.of('a', false)).toBe(3)
    windows.forget('a')
    expect(windows.of('a', true)).toBe(2)
  })
})
