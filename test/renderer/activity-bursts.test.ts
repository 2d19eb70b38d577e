// @vitest-environment happy-dom
// The Activity screen folds a peer's burst of files into one entry, fed the events main sends: a
// few files stay their own lines, many become "N files from PEER in T (SIZE)", growing while it
// lasts, and its files open beneath it (the first few hundred, then "and N more").
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { ACTIVITY_BURSTS, useActivityStore } from '../../src/renderer/src/stores/activity'
import ActivityView from '../../src/renderer/src/views/ActivityView.vue'
import type { AppEvent } from '../../src/shared/contract'

const BOB = '127.0.0.1:4001'
const S = ACTIVITY_BURSTS.settleMs
let seq = 0
const ev = (event: Record<string, unknown>): AppEvent => ({ ...event, at: Date.now(), seq: ++seq }) as AppEvent
const synced = (path: string, bytes = 2400): AppEvent => ev({ type: 'file-synced', peer: BOB, path, bytes, version: 'ab' })
const upToDate = (files: number): AppEvent => ev({ type: 'peer-synced', peer: BOB, files, bytes: files * 2400 })

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  vi.useFakeTimers()
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => {
  vi.useRealTimers()
})

/** `count` files arriving over `ms`, in batches of 500 as main sends them. */
function arrive(activity: ReturnType<typeof useActivityStore>, count: number, ms: number, from = 0): void {
  const batches = Math.ceil(count / 500)
  for (let b = 0; b < batches; b++) {
    activity.apply(Array.from({ length: Math.min(500, count - b * 500) }, (_, i) => synced(`d/f${from + b * 500 + i}.txt`)))
    vi.advanceTimersByTime(ms / batches)
  }
}

describe('the Activity store with bursts', () => {
  it('keeps a few files as their own lines once their peer is up to date', () => {
    const activity = useActivityStore()
    activity.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: 'X', name: 'bob' }), synced('a.txt', 5), synced('b.txt', 7), upToDate(2)])
    // Held until the peer has settled: a burst may still be under way.
    expect(activity.matching.map((e) => e.text)).toEqual(['bob (127.0.0.1:4001) joined'])
    vi.advanceTimersByTime(S)
    expect(activity.matching.map((e) => e.text)).toEqual([
      // Named as its join line named it, though file events carry only the address.
      'The mirror of bob (127.0.0.1:4001) is up to date: 2 files, 4.8 KB',
      `b.txt from bob (${BOB}) is in the mirror (7 B)`,
      `a.txt from bob (${BOB}) is in the mirror (5 B)`,
      'bob (127.0.0.1:4001) joined',
    ])
  })

  it('says which files are snapshots: one a peer was still writing, and one of this folder shared as it is', () => {
    const activity = useActivityStore()
    activity.apply([
      ev({ type: 'file-snapshot', path: 'rec.wav', bytes: 5_000_000, version: 'cd' }),
      ev({ type: 'file-synced', peer: BOB, path: 'big.log', bytes: 2400, version: 'ab', snapshot: true }),
      upToDate(1),
    ])
    vi.advanceTimersByTime(S)
    expect(activity.matching.map((e) => e.text)).toEqual([
      `The mirror of ${BOB} is up to date: 1 file, 2.4 KB`,
      `big.log from ${BOB} is in the mirror (2.4 KB) (a snapshot: still being written at the peer)`,
      'rec.wav is still being written; peers get it as it is now (a snapshot, 5.0 MB)',
    ])
    expect(activity.matching.map((e) => e.category)).toEqual(['transfers', 'transfers', 'transfers'])
  })

  it('says how much of a file came over the wire when the rest was on disk already (an edit, a resumed transfer)', () => {
    const activity = useActivityStore()
    activity.apply([ev({ type: 'file-synced', peer: BOB, path: 'big.bin', bytes: 50_331_648, transferred: 28_442_624, version: 'ab' }), upToDate(1)])
    vi.advanceTimersByTime(S)
    expect(activity.matching.map((e) => e.text)[1]).toBe(`big.bin from ${BOB} is in the mirror (50 MB, 28 MB over the wire)`)
  })

  it('folds 20,000 files into one entry that grows while they come, named as the peer is known', () => {
    const activity = useActivityStore()
    activity.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: 'X', name: 'bob' })])
    arrive(activity, 10_000, 1200)
    // Still going: one entry saying how far it is (as of its last report, once a second).
    expect(activity.matching.map((e) => e.text)).toEqual([expect.stringMatching(/^8,500 files from bob \(127\.0\.0\.1:4001\) so far \(20 MB\)…$/), 'bob (127.0.0.1:4001) joined'])
    const going = activity.matching[0]!
    expect(going.burst?.going).toBe(true)
    arrive(activity, 10_000, 1200, 10_000)
    activity.apply([upToDate(20_000)])
    vi.advanceTimersByTime(S)
    // The same entry, in the same place, now finished; then the up-to-date line.
    expect(activity.matching.map((e) => e.text)).toEqual([
      'The mirror of bob (127.0.0.1:4001) is up to date: 20000 files, 48 MB',
      expect.stringMatching(/^20,000 files from bob \(127\.0\.0\.1:4001\) in 2\.\d s \(48 MB\)$/),
      'bob (127.0.0.1:4001) joined',
    ])
    const done = activity.matching[1]!
    expect(done.key).toBe(going.key)
    expect(done.category).toBe('transfers')
    expect(done.burst).toMatchObject({ going: false, more: 20_000 - ACTIVITY_BURSTS.keepPaths })
    expect(done.burst!.paths).toHaveLength(ACTIVITY_BURSTS.keepPaths)
    expect(activity.total).toBe(3)
    // The filter finds a burst by the files it kept.
    activity.query = 'd/f7.txt'
    expect(activity.matching.map((e) => e.key)).toEqual([done.key])
  })

  it('shows failures at once, under Problems, and the summary counts them', () => {
    const activity = useActivityStore()
    arrive(activity, 50, 100)
    activity.apply([ev({ type: 'transfer-failed', peer: BOB, path: 'x.bin', reason: 'the disk is full', retrying: false })])
    expect(activity.matching.map((e) => e.text)).toEqual([`x.bin from ${BOB} failed: the disk is full`])
    expect(activity.matching[0]!.category).toBe('problems')
    // Cut because the peer left: it says when the file comes.
    activity.apply([ev({ type: 'transfer-failed', peer: BOB, path: 'y.bin', reason: 'the connection ended (closed)', retrying: false, waitsForPeer: true })])
    expect(activity.matching.map((e) => e.text)[0]).toBe(`y.bin from ${BOB} failed: the connection ended (closed) (it comes once the peer is back)`)
    activity.apply([upToDate(50)])
    vi.advanceTimersByTime(S)
    expect(activity.matching.map((e) => e.text)).toContainEqual(expect.stringMatching(/^50 files from 127\.0\.0\.1:4001 in .* s \(120 KB\), 2 failed$/))
  })

  it('starts from main\'s recent events: a burst over before the window opened is one entry at once', () => {
    const activity = useActivityStore()
    const recent = [...Array.from({ length: 300 }, (_, i) => synced(`f${i}`)), upToDate(300)]
    vi.advanceTimersByTime(5000)
    activity.load(recent, Date.now())
    expect(activity.matching.map((e) => e.text)).toEqual(['The mirror of 127.0.0.1:4001 is up to date: 300 files, 720 KB', '300 files from 127.0.0.1:4001 in under 0.01 s (720 KB)'])
  })

  it("replays main's recent events in the order they happened: a file that came minutes ago stays below what came after", () => {
    const activity = useActivityStore()
    const recent = [synced('early.txt', 5), upToDate(1)]
    vi.advanceTimersByTime(60_000)
    recent.push(ev({ type: 'transfer-started', peer: BOB, path: 'later.bin', total: 9000 }))
    vi.advanceTimersByTime(60_000)
    activity.load(recent, Date.now())
    expect(activity.matching.map((e) => e.text)).toEqual([
      `Receiving later.bin from ${BOB} (9.0 KB)`,
      'The mirror of 127.0.0.1:4001 is up to date: 1 file, 2.4 KB',
      `early.txt from ${BOB} is in the mirror (5 B)`,
    ])
  })
})

describe('the Activity screen', () => {
  it('counts its events in words that agree with the number: 1 event, 2 events', async () => {
    const view = mount(ActivityView, { global: { plugins: [pinia] }, attachTo: document.body })
    const activity = useActivityStore()
    activity.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 })])
    await nextTick()
    expect(view.get('.summary').text()).toBe('1 event')
    activity.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4002 })])
    await nextTick()
    expect(view.get('.summary').text()).toBe('2 events')
    view.unmount()
  })

  it('opens a burst to show its files, the first few hundred and how many more', async () => {
    const view = mount(ActivityView, { global: { plugins: [pinia] }, attachTo: document.body })
    const activity = useActivityStore()
    arrive(activity, 1000, 500)
    activity.apply([ev({ type: 'transfer-failed', peer: BOB, path: 'bad.txt', reason: 'refused', retrying: false }), upToDate(1000)])
    vi.advanceTimersByTime(S)
    await nextTick()
    const burst = view.findAll('li').find((li) => li.text().includes('1,000 files from'))!
    const toggle = burst.get('button')
    expect(toggle.text()).toContain('Show files')
    expect(toggle.attributes('aria-expanded')).toBe('false')
    expect(burst.find('[aria-label="Files in this burst"]').exists()).toBe(false)
    await toggle.trigger('click')
    expect(toggle.attributes('aria-expanded')).toBe('true')
    const files = view.get(`#${toggle.attributes('aria-controls')}`)
    const rows = files.findAll('li')
    expect(rows).toHaveLength(ACTIVITY_BURSTS.keepPaths)
    expect(rows[0]!.text()).toContain('d/f0.txt')
    expect(rows[0]!.text()).toContain('in the mirror, 2.4 KB')
    expect(files.text()).toContain(`and ${(1001 - ACTIVITY_BURSTS.keepPaths).toLocaleString('en-US')} more`)
    // Other entries have no files to show.
    expect(view.findAll('button.burst-toggle')).toHaveLength(1)
    await toggle.trigger('click')
    expect(view.find('[aria-label="Files in this burst"]').exists()).toBe(false)
    view.unmount()
  })
})
