// The burst summarizer, table-driven: events and clock ticks in, lines out. No processes, no timers:
// every step names its own time.
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/events'
import { describeBurst, describeBurstProgress, formatCount, formatSeconds } from '../../src/shared/live/burst-text'
import { BurstSummarizer, DEFAULT_BURST_OPTIONS, type BurstOptions, type BurstOutput } from '../../src/shared/live/bursts'

const BOB = '127.0.0.1:4001'
const EVE = '127.0.0.1:4002'

const synced = (path: string, bytes = 100, peer = BOB): EngineEvent => ({ type: 'file-synced', peer, path, bytes, version: 'ab' })
const removed = (path: string, peer = BOB): EngineEvent => ({ type: 'file-removed', peer, path })
const upToDate = (files: number, peer = BOB): EngineEvent => ({ type: 'peer-synced', peer, files, bytes: files * 100 })
const failed = (path: string, retrying: boolean, peer = BOB): EngineEvent => ({ type: 'transfer-failed', peer, path, reason: 'cut', retrying })
const started = (path: string, peer = BOB): EngineEvent => ({ type: 'transfer-started', peer, path, total: 1_000_000 })
const joined = (port: number, name: string): EngineEvent => ({ type: 'peer-joined', ip: '127.0.0.1', port, id: 'ID', name })
const left = (port: number): EngineEvent => ({ type: 'peer-left', ip: '127.0.0.1', port, reason: 'log-off', id: 'ID', name: '' })

/** A step: an event at a time, a tick of the timer, or the flush on exit. */
type Step = [at: number, what: EngineEvent | 'tick' | 'flush']

/** `count` events made by `make`, spread evenly from `from` to `to` ms. */
function spread(count: number, from: number, to: number, make: (i: number) => EngineEvent): Step[] {
  return Array.from({ length: count }, (_, i) => [from + Math.floor(((to - from) * i) / Math.max(1, count - 1)), make(i)] as Step)
}

/** What a reader would see: an event as `type path`, a burst as its sentence. */
function shown(output: BurstOutput<EngineEvent>): string {
  if (output.kind === 'summary') return describeBurst(output.burst)
  if (output.kind === 'progress') return describeBurstProgress(output.burst)
  const event = output.event
  return 'path' in event ? `${event.type} ${event.path}` : event.type
}

/** Runs the steps in time order (steps at one time in the order given); returns each output with its time. */
function run(steps: Step[], options: Partial<BurstOptions> = {}): string[] {
  const bursts = new BurstSummarizer<EngineEvent>({ ...DEFAULT_BURST_OPTIONS, ...options })
  const lines: string[] = []
  for (const [at, what] of steps.slice().sort((a, b) => a[0] - b[0])) {
    const outputs = what === 'tick' ? bursts.tick(at) : what === 'flush' ? bursts.flush() : bursts.push(what, at)
    // Progress samples pass straight through (a test below says so): the cases leave them out.
    for (const output of outputs) if (output.kind !== 'event' || output.event.type !== 'transfer-progress') lines.push(`${at}: ${shown(output)}`)
  }
  return lines
}

const S = DEFAULT_BURST_OPTIONS.settleMs
const Q = DEFAULT_BURST_OPTIONS.quietMs
const P = DEFAULT_BURST_OPTIONS.progressEveryMs

describe('the burst summarizer', () => {
  it.each<[string, Step[], string[]]>([
    [
      'one edit: its own line, once the peer has said it is up to date and settled',
      [[0, synced('a.txt')], [5, upToDate(1)], [5 + S - 1, 'tick'], [5 + S, 'tick']],
      [`${5 + S}: file-synced a.txt`, `${5 + S}: peer-synced`],
    ],
    [
      'a few files without an up-to-date: their own lines once the peer is quiet',
      [[0, synced('a')], [10, removed('b')], [20, synced('c')], [20 + Q - 1, 'tick'], [20 + Q, 'tick']],
      [`${20 + Q}: file-synced a`, `${20 + Q}: file-removed b`, `${20 + Q}: file-synced c`],
    ],
    [
      'exactly as many as single lines allow stay single lines',
      [...spread(10, 0, 90, (i) => synced(`f${i}`)), [100, upToDate(10)], [100 + S, 'tick']],
      [...Array.from({ length: 10 }, (_, i) => `${100 + S}: file-synced f${i}`), `${100 + S}: peer-synced`],
    ],
    [
      '20,000 files: one summary, then the up-to-date line, once the peer has settled',
      [...spread(20_000, 0, 2400, (i) => synced(`f${i}`, 2400)), [2400, upToDate(20_000)], [2400 + S - 1, 'tick'], [2400 + S, 'tick']],
      [`${2400 + S}: 20,000 files from ${BOB} in 2.4 s (48 MB)`, `${2400 + S}: peer-synced`],
    ],
    [
      'the peer by the name its arrival gave',
      [[0, joined(4001, 'bob laptop')], ...spread(50, 10, 60, (i) => synced(`f${i}`)), [60, upToDate(50)], [60 + S, 'tick']],
      ['0: peer-joined', `${60 + S}: 50 files from bob laptop (${BOB}) in 0.05 s (5.0 KB)`, `${60 + S}: peer-synced`],
    ],
    [
      'a long burst says how far it is now and then',
      [...spread(700, 0, 7000, (i) => synced(`f${i}`)), [P, 'tick'], [2 * P, 'tick'], [2 * P + 1, 'tick'], [7000, upToDate(700)], [7000 + S, 'tick']],
      [`${P}: 300 files from ${BOB} so far (30 KB)…`, `${2 * P}: 600 files from ${BOB} so far (60 KB)…`, `${7000 + S}: 700 files from ${BOB} in 7.0 s (70 KB)`, `${7000 + S}: peer-synced`],
    ],
    [
      'a large file still in flight keeps the burst open; a count that has not moved is not said again',
      [
        ...spread(20, 0, 1000, (i) => synced(`f${i}`)),
        ...spread(60, 1000, 7000, () => ({ type: 'transfer-progress', peer: BOB, path: 'big', bytes: 1, total: 2 })),
        [P, 'tick'],
        [2 * P, 'tick'],
        [7000, synced('big', 1_000_000)],
        [7001, upToDate(21)],
        [7001 + S, 'tick'],
      ],
      [`${P}: 20 files from ${BOB} so far (2.0 KB)…`, `${7001 + S}: 21 files from ${BOB} in 7.0 s (1.0 MB)`, `${7001 + S}: peer-synced`],
    ],
    [
      'a few files before a large one: their lines do not wait for it',
      [
        [0, synced('a')],
        [10, started('big')],
        ...spread(60, 100, 6000, () => ({ type: 'transfer-progress', peer: BOB, path: 'big', bytes: 1, total: 2 })),
        [10 + Q, 'tick'],
        [6000, synced('big', 1_000_000)],
        [6001, upToDate(2)],
        [6001 + S, 'tick'],
      ],
      ['10: transfer-started big', `${10 + Q}: file-synced a`, `${6001 + S}: file-synced big`, `${6001 + S}: peer-synced`],
    ],
    [
      'a mirror that catches up between pushes of one live burst: still one summary, the last up-to-date after it',
      [
        ...spread(500, 0, 400, (i) => synced(`a${i}`)),
        [400, upToDate(500)],
        [400 + S - 1, 'tick'],
        ...spread(500, 400 + S - 1, 2000, (i) => synced(`b${i}`)),
        [2000, upToDate(1000)],
        [2000 + S, 'tick'],
      ],
      [`${2000 + S}: 1,000 files from ${BOB} in 2.0 s (100 KB)`, `${2000 + S}: peer-synced`],
    ],
    [
      'a first push of a few files and the rest soon after: one burst, not a few lines and a summary',
      [...spread(3, 0, 2, (i) => synced(`a${i}`)), [10, upToDate(3)], ...spread(100, 600, 900, (i) => synced(`b${i}`)), [950, upToDate(103)], [950 + S, 'tick']],
      [`${950 + S}: 103 files from ${BOB} in 0.9 s (10 KB)`, `${950 + S}: peer-synced`],
    ],
    [
      'failures show as they come, and the summary counts them',
      [...spread(20, 0, 100, (i) => synced(`f${i}`)), [50, failed('x', true)], [60, failed('y', false)], [120, upToDate(21)], [120 + S, 'tick']],
      ['50: transfer-failed x', '60: transfer-failed y', `${120 + S}: 20 files from ${BOB} in 0.1 s (2.0 KB), 1 failed, 1 tried again`, `${120 + S}: peer-synced`],
    ],
    [
      'a peer that leaves ends its burst before the line that says so',
      [...spread(30, 0, 300, (i) => synced(`f${i}`)), [400, left(4001)]],
      [`400: 30 files from ${BOB} in 0.3 s (3.0 KB)`, '400: peer-left'],
    ],
    [
      'deletions alone, and with arrivals',
      [
        ...spread(12, 0, 110, (i) => removed(`old${i}`)),
        [120, upToDate(0)],
        [120 + S, 'tick'],
        ...spread(15, 5000, 5140, (i) => synced(`n${i}`)),
        ...spread(3, 5150, 5170, (i) => removed(`n${i}`)),
        [5200, upToDate(12)],
        [5200 + S, 'tick'],
      ],
      [`${120 + S}: 12 files removed from the mirror of ${BOB} in 0.1 s`, `${120 + S}: peer-synced`, `${5200 + S}: 15 files from ${BOB} in 0.2 s (1.5 KB), 3 removed`, `${5200 + S}: peer-synced`],
    ],
    [
      'two peers fold apart',
      [...spread(40, 0, 400, (i) => synced(`b${i}`)), ...spread(2, 100, 200, (i) => synced(`e${i}`, 100, EVE)), [250, upToDate(2, EVE)], [250 + S, 'tick'], [400, upToDate(40)], [400 + S, 'tick']],
      [`${250 + S}: file-synced e0`, `${250 + S}: file-synced e1`, `${250 + S}: peer-synced`, `${400 + S}: 40 files from ${BOB} in 0.4 s (4.0 KB)`, `${400 + S}: peer-synced`],
    ],
    [
      '"receiving" lines while a burst is small, none once it is large',
      [[0, started('big0')], ...spread(12, 10, 120, (i) => synced(`f${i}`)), [130, started('big1')], [140, synced('big0', 1_000_000)], [150, upToDate(13)], [150 + S, 'tick']],
      ['0: transfer-started big0', `${150 + S}: 13 files from ${BOB} in 0.1 s (1.0 MB)`, `${150 + S}: peer-synced`],
    ],
    [
      'files after an up-to-date void it: the burst ends when quiet, with no up-to-date line',
      [...spread(20, 0, 100, (i) => synced(`f${i}`)), [100, upToDate(20)], [200, synced('late')], [200 + S, 'tick'], [200 + Q, 'tick']],
      [`${200 + Q}: 21 files from ${BOB} in 0.2 s (2.1 KB)`],
    ],
    [
      'on exit, every open burst comes out: a small one as lines, a large one as its summary',
      [[0, synced('e', 100, EVE)], ...spread(11, 0, 100, (i) => synced(`f${i}`)), [150, 'flush']],
      ['150: file-synced e', `150: 11 files from ${BOB} in 0.1 s (1.1 KB)`],
    ],
    [
      'errors about the peer pass at once and count as failures',
      [...spread(11, 0, 100, (i) => synced(`f${i}`)), [110, { type: 'error', code: 'peer-folder-missing', message: 'gone', peer: BOB }], [110 + Q, 'tick']],
      ['110: error', `${110 + Q}: 11 files from ${BOB} in 0.1 s (1.1 KB), 1 failed`],
    ],
  ])('%s', (_name, steps, expected) => {
    expect(run(steps)).toEqual(expected)
  })

  it('keeps at most keepPaths names per burst and counts the rest', () => {
    const bursts = new BurstSummarizer<EngineEvent>({ ...DEFAULT_BURST_OPTIONS, keepPaths: 300 })
    for (let i = 0; i < 1000; i++) bursts.push(synced(`f${i}`), i)
    const [summary] = bursts.flush()
    expect(summary).toMatchObject({ kind: 'summary', burst: { synced: 1000, morePaths: 700 } })
    if (summary?.kind !== 'summary') throw new Error('no summary')
    expect(summary.burst.paths).toHaveLength(300)
    expect(summary.burst.paths[299]).toEqual({ path: 'f299', kind: 'synced', bytes: 100 })
  })

  it('asks for the timer only while a burst is open, at its next deadline', () => {
    const bursts = new BurstSummarizer<EngineEvent>()
    expect(bursts.nextDue()).toBeNull()
    bursts.push(synced('a'), 1000)
    expect(bursts.nextDue()).toBe(1000 + Q)
    for (let i = 0; i < 20; i++) bursts.push(synced(`f${i}`), 1100)
    // Large now: a progress report is due before the quiet end.
    expect(bursts.nextDue()).toBe(Math.min(1000 + P, 1100 + Q))
    bursts.push(upToDate(21), 1200)
    expect(bursts.nextDue()).toBe(1200 + S)
    bursts.tick(1200 + S)
    expect(bursts.nextDue()).toBeNull()
  })

  it('every other event passes straight through', () => {
    const bursts = new BurstSummarizer<EngineEvent>()
    const events: EngineEvent[] = [
      { type: 'buffer', used: 1, capacity: 4 },
      { type: 'transfer-progress', peer: BOB, path: 'x', bytes: 1, total: 2 },
      { type: 'mass-delete', peer: BOB, files: 2000, total: 3000 },
      { type: 'paused' },
    ]
    for (const event of events) expect(bursts.push(event, 0)).toEqual([{ kind: 'event', event }])
  })
})

describe('burst words', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [20_000, '20,000'],
    [1_234_567, '1,234,567'],
  ])('count %d reads %s', (n, text) => expect(formatCount(n)).toBe(text))

  it.each([
    [0, 'under 0.01 s'],
    [9, 'under 0.01 s'],
    [40, '0.04 s'],
    [2400, '2.4 s'],
    [17_300, '17 s'],
    [185_000, '3 min 5 s'],
  ])('%d ms reads %s', (ms, text) => expect(formatSeconds(ms)).toBe(text))
})
