// What a long batch of new paths hands to peers before its end (announce-soon.ts).
import { describe, expect, it } from 'vitest'
import { AnnounceSoon } from '../../src/main/engine/folder/announce-soon'
import type { IndexChange } from '../../src/main/engine/protocol/messages'

const upsert = (i: number): IndexChange => ({ op: 'upsert', path: `new/f${i}`, version: Buffer.alloc(32, i), size: 1, snapshot: false })
const upserts = (n: number, from = 0): IndexChange[] => Array.from({ length: n }, (_, i) => upsert(from + i))
/** A clock the test moves: no test here depends on how fast the machine is. */
function clock(): { now: () => number; later: () => void } {
  let at = 0
  return { now: () => at, later: () => void (at += 60) }
}

describe('announcing a batch of new paths soon', () => {
  it('hands over what it holds once it holds enough and a moment has passed, then starts again', () => {
    const { now, later } = clock()
    const soon = new AnnounceSoon(false, now)
    const changes = upserts(40)
    // At once: the batch has barely begun.
    expect(soon.take(changes)).toEqual([])
    later()
    expect(soon.take(changes.slice(0, 10))).toEqual([])
    const taken = soon.take(changes)
    expect(taken.map((c) => c.path)).toEqual(upserts(40).map((c) => c.path))
    expect(changes).toEqual([])
    changes.push(...upserts(40, 40))
    expect(soon.take(changes)).toEqual([])
    later()
    expect(soon.take(changes)).toHaveLength(40)
  })

  it('hands over nothing in a batch that may delete, nor once a deletion is among the changes', () => {
    const { now, later } = clock()
    const held = new AnnounceSoon(true, now)
    later()
    expect(held.take(upserts(100))).toEqual([])
    const soon = new AnnounceSoon(false, now)
    later()
    const changes: IndexChange[] = [...upserts(20), { op: 'delete', path: 'old/f1' }, ...upserts(20, 20)]
    expect(soon.take(changes)).toEqual([])
    expect(changes).toHaveLength(41)
    changes.push(...upserts(100, 40))
    expect(soon.take(changes)).toEqual([])
  })
})
