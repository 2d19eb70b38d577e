// Where a mirror stands, computed from what the peer lists and what the mirror holds: the pure
// figures and phase (table-driven), and the reports a burst of changes makes (few, the last one
// the settled state, none that repeats the one before).
import { describe, expect, it } from 'vitest'
import type { MirrorStateEvent } from '../../src/shared/events'
import { mirrorFigures, mirrorPhase, MirrorStats, toComeList, type MirrorSource, type PhaseFacts } from '../../src/main/engine/mirror/mirror-stats'
import { EventLog } from '../helpers/events'

type Files = Record<string, [version: string, size: number]>
const table = (files: Files) => new Map(Object.entries(files).map(([rel, [version, size]]) => [rel, { version, size }]))

describe('mirrorFigures', () => {
  const cases: Array<{ name: string; mirrored: Files; remote: Files | null; complete: boolean; refused?: Record<string, string>; want: ReturnType<typeof mirrorFigures> }> = [
    {
      name: 'nothing listed yet: only what the mirror holds',
      mirrored: { a: ['1', 10], b: ['2', 5] },
      remote: null,
      complete: false,
      want: { files: 2, bytes: 15, peerFiles: null, peerBytes: null, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 },
    },
    {
      name: 'the same files: nothing to come, nothing to go',
      mirrored: { a: ['1', 10], 'd/b': ['2', 5] },
      remote: { a: ['1', 10], 'd/b': ['2', 5] },
      complete: true,
      want: { files: 2, bytes: 15, peerFiles: 2, peerBytes: 15, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 },
    },
    {
      name: 'new and changed files to come, their bytes as the peer has them; a deleted one to go',
      mirrored: { a: ['1', 10], b: ['2', 5], gone: ['3', 7] },
      remote: { a: ['1', 10], b: ['2b', 50], c: ['4', 1000] },
      complete: true,
      want: { files: 3, bytes: 22, peerFiles: 3, peerBytes: 1060, needFiles: 2, needBytes: 1050, removeFiles: 1, failedFiles: 0 },
    },
    {
      name: 'a list still arriving says what is to come so far, not what is to go, nor what the peer has',
      mirrored: { a: ['1', 10], 'not-listed-yet': ['9', 3] },
      remote: { a: ['1', 10], c: ['4', 1000] },
      complete: false,
      want: { files: 2, bytes: 13, peerFiles: null, peerBytes: null, needFiles: 1, needBytes: 1000, removeFiles: 0, failedFiles: 0 },
    },
    {
      name: 'a version the peer sent wrong is failed, not to come; a newer one is to come',
      mirrored: {},
      remote: { bad: ['x', 10], newer: ['y2', 20] },
      complete: true,
      refused: { bad: 'x', newer: 'y1' },
      want: { files: 0, bytes: 0, peerFiles: 2, peerBytes: 30, needFiles: 1, needBytes: 20, removeFiles: 0, failedFiles: 1 },
    },
    {
      name: 'an empty peer and an empty mirror',
      mirrored: {},
      remote: {},
      complete: true,
      want: { files: 0, bytes: 0, peerFiles: 0, peerBytes: 0, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 },
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const refused = new Map(Object.entries(c.refused ?? {}))
      expect(mirrorFigures(table(c.mirrored), c.remote && table(c.remote), c.complete, refused)).toEqual(c.want)
    })
  }
})

describe('toComeList', () => {
  it('lists what is to come by path, the first `limit`, with the count and bytes of all', () => {
    const remote: Files = {}
    for (let i = 0; i < 1000; i++) remote[`f/${String(i).padStart(4, '0')}`] = [`v${i}`, i]
    const mirrored: Files = { 'f/0000': ['v0', 0], 'f/0001': ['old', 5] }
    const list = toComeList(table(mirrored), table(remote), new Map([['f/0002', 'v2']]), 3)
    expect(list).toEqual({
      files: [
        { path: 'f/0001', size: 1 },
        { path: 'f/0003', size: 3 },
        { path: 'f/0004', size: 4 },
      ],
      total: 998,
      bytes: (999 * 1000) / 2 - 2,
    })
  })

  it('orders by code point, as paths compare on the wire, and is empty without a list', () => {
    const remote = table({ 'b.txt': ['1', 1], 'B.txt': ['2', 2], 'a/z': ['3', 3], 'é': ['4', 4] })
    expect(toComeList(new Map(), remote, new Map(), 10).files.map((f) => f.path)).toEqual(['B.txt', 'a/z', 'b.txt', 'é'])
    expect(toComeList(new Map(), null, new Map(), 10)).toEqual({ files: [], total: 0, bytes: 0 })
    expect(toComeList(new Map(), remote, new Map(), 0)).toEqual({ files: [], total: 4, bytes: 10 })
  })
})

describe('mirrorPhase', () => {
  const base: PhaseFacts = { online: true, folderAway: false, subscribed: true, listed: true, synced: false }
  const cases: Array<[Partial<PhaseFacts>, ReturnType<typeof mirrorPhase>]> = [
    [{ online: false, synced: true }, 'paused'],
    [{ folderAway: true, synced: true }, 'waiting'],
    [{ listed: false, subscribed: false }, 'connecting'],
    [{ listed: false }, 'listing'],
    [{ synced: true }, 'up-to-date'],
    [{}, 'syncing'],
  ]
  for (const [facts, phase] of cases) it(`${JSON.stringify(facts)} → ${phase}`, () => expect(mirrorPhase({ ...base, ...facts })).toBe(phase))
})

describe('MirrorStats', () => {
  /** A peer whose list holds `total` files, of which the mirror has the first `have`. */
  function peer(total: number) {
    const remote = new Map<string, { version: string; size: number }>()
    for (let i = 0; i < total; i++) remote.set(`f${i}`, { version: `v${i}`, size: 10 })
    const mirrored = new Map<string, { version: string; size: number }>()
    const source: MirrorSource = {
      peer: '127.0.0.1:4001',
      id: 'AAAAAAA-…',
      name: 'bob',
      facts: { online: true, folderAway: false, subscribed: true, listed: true, synced: false },
      // The figures' definition, recounted at each report (the coordinator keeps them as counters).
      get figures() {
        return mirrorFigures(mirrored, remote, true, new Map())
      },
      lastChange: null,
    }
    return { source, remote, mirrored }
  }

  it('a 20,000-file burst makes a few reports, not one per file, and the last is the settled state', async () => {
    const log = new EventLog()
    const { source, remote, mirrored } = peer(20_000)
    let present = true
    const stats = new MirrorStats((id) => (id === 'dev' && present ? source : null), log.sink, 50)
    // Files arriving one by one, each told, a few thousand per turn of the event loop.
    let i = 0
    for (const rel of remote.keys()) {
      mirrored.set(rel, remote.get(rel)!)
      stats.touch('dev')
      if (++i % 4000 === 0) await new Promise((r) => setTimeout(r, 20))
    }
    source.facts = { ...source.facts, synced: true }
    source.lastChange = 1234
    stats.touch('dev')
    const settled = (): MirrorStateEvent | undefined => log.events.at(-1) as MirrorStateEvent | undefined
    await log.until(() => settled()?.phase === 'up-to-date', 5000, 'the settled report')
    const reports = log.events as MirrorStateEvent[]
    // A report needs a timer to fire: at most one in each of the five pauses, and the settled one.
    expect(reports.length).toBeLessThanOrEqual(7)
    expect(settled()).toEqual({
      type: 'mirror-state',
      peer: '127.0.0.1:4001',
      id: 'AAAAAAA-…',
      name: 'bob',
      phase: 'up-to-date',
      files: 20_000,
      bytes: 200_000,
      needFiles: 0,
      needBytes: 0,
      removeFiles: 0,
      failedFiles: 0,
      peerFiles: 20_000,
      peerBytes: 200_000,
      lastChange: 1234,
    })
    // Along the way it said how much was still to come.
    expect(reports.some((r) => r.needFiles > 0 && r.needFiles < 20_000)).toBe(true)

    // Told again with nothing new: no report; a peer that left is not reported.
    stats.touch('dev')
    await new Promise((r) => setTimeout(r, 120))
    expect(log.events).toHaveLength(reports.length)
    present = false
    mirrored.clear()
    stats.touch('dev')
    await new Promise((r) => setTimeout(r, 120))
    expect(log.events).toHaveLength(reports.length)
    stats.close()
  })

  it('never reports in the turn that changed the state, and nothing after close', async () => {
    const log = new EventLog()
    const { source } = peer(3)
    const stats = new MirrorStats(() => source, log.sink, 50)
    stats.touch('dev')
    expect(log.events).toHaveLength(0)
    await log.until(() => log.events.length === 1)
    expect(log.events[0]).toMatchObject({ needFiles: 3, needBytes: 30, phase: 'syncing' })
    source.facts = { ...source.facts, online: false }
    stats.touch('dev')
    stats.close()
    await new Promise((r) => setTimeout(r, 120))
    expect(log.events).toHaveLength(1)
  })
})
