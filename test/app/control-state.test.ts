// What the window and the tray show as paused and held, folded from the events: the pure reducer
// main's snapshot and the window share. A table of event sequences and the state after them.
import { describe, expect, it } from 'vitest'
import type { AppEvent, ControlView } from '../../src/shared/contract'
import { applyControlEvent, createControlView, heldFor, isPeerPaused } from '../../src/shared/live/control-state'

const BOB = { id: 'BOBBBBB-…', name: 'bob laptop' }
const ANN = { id: 'ANNNNNN-…', name: 'ann' }
const status = (state: 'starting' | 'running' | 'stopped'): Record<string, unknown> => ({
  type: 'status',
  status: { state, role: 'client', message: null, listening: null, self: null, server: null, connected: false, addresses: [] },
})

function fold(events: Array<Record<string, unknown>>, from: ControlView = createControlView()): ControlView {
  return events.reduce<ControlView>((view, event, i) => applyControlEvent(view, { at: 0, seq: i + 1, ...event } as AppEvent), from)
}

describe('the control state', () => {
  it.each<[string, Array<Record<string, unknown>>, ControlView]>([
    ['nothing said', [], { paused: false, pausedPeers: [], held: [] }],
    ['the client paused', [{ type: 'paused' }], { paused: true, pausedPeers: [], held: [] }],
    ['the client paused and resumed', [{ type: 'paused' }, { type: 'resumed' }], { paused: false, pausedPeers: [], held: [] }],
    ['a peer paused', [{ type: 'paused', peer: '10.0.0.2:1', ...BOB }], { paused: false, pausedPeers: [{ peer: '10.0.0.2:1', ...BOB }], held: [] }],
    ['a peer paused twice (at start and again)', [{ type: 'paused', ...BOB }, { type: 'paused', peer: '10.0.0.2:1', ...BOB }], { paused: false, pausedPeers: [{ peer: '10.0.0.2:1', ...BOB }], held: [] }],
    ['a peer paused at start, before it is seen, then announced', [{ type: 'paused', ...BOB }, { type: 'peer-joined', ip: '10.0.0.2', port: 7, ...BOB }], { paused: false, pausedPeers: [{ peer: '10.0.0.2:7', ...BOB }], held: [] }],
    ['two peers paused, one resumed', [{ type: 'paused', peer: '10.0.0.2:1', ...BOB }, { type: 'paused', peer: '10.0.0.3:1', ...ANN }, { type: 'resumed', peer: '10.0.0.2:1', ...BOB }], { paused: false, pausedPeers: [{ peer: '10.0.0.3:1', ...ANN }], held: [] }],
    ["an older engine's pause, by address only", [{ type: 'paused', peer: '10.0.0.2:1' }, { type: 'resumed', peer: '10.0.0.2:1' }], { paused: false, pausedPeers: [], held: [] }],
    ['a mass delete held', [{ type: 'mass-delete', peer: '10.0.0.2:1', files: 1200, total: 2000, ...BOB }], { paused: false, pausedPeers: [], held: [{ peer: '10.0.0.2:1', files: 1200, held: 1200, total: 2000, ...BOB }] }],
    ['a hold reached over batches: the first ones applied', [{ type: 'mass-delete', peer: '10.0.0.2:1', files: 1000, held: 275, total: 1003, ...BOB }], { paused: false, pausedPeers: [], held: [{ peer: '10.0.0.2:1', files: 1000, held: 275, total: 1003, ...BOB }] }],
    ['a hold that grows', [{ type: 'mass-delete', peer: '10.0.0.2:1', files: 1200, total: 2000, ...BOB }, { type: 'mass-delete', peer: '10.0.0.2:1', files: 1500, total: 2000, ...BOB }], { paused: false, pausedPeers: [], held: [{ peer: '10.0.0.2:1', files: 1500, held: 1500, total: 2000, ...BOB }] }],
    ['a hold confirmed', [{ type: 'mass-delete', peer: '10.0.0.2:1', files: 1200, total: 2000, ...BOB }, { type: 'mass-delete-cleared', peer: '10.0.0.2:1', confirmed: true, ...BOB }], { paused: false, pausedPeers: [], held: [] }],
    ['a held peer that moved', [{ type: 'mass-delete', peer: '10.0.0.2:1', files: 1200, total: 2000, ...BOB }, { type: 'peer-joined', ip: '10.0.0.9', port: 2, ...BOB, name: 'bob' }], { paused: false, pausedPeers: [], held: [{ peer: '10.0.0.9:2', files: 1200, held: 1200, total: 2000, id: BOB.id, name: 'bob' }] }],
    ['the client starting again: it says anew what is paused', [{ type: 'paused' }, { type: 'paused', ...BOB }, { type: 'mass-delete', peer: '10.0.0.2:1', files: 1200, total: 2000, ...BOB }, status('starting')], { paused: false, pausedPeers: [], held: [] }],
    ['the client stopped: kept until it starts', [{ type: 'paused' }, status('stopped')], { paused: true, pausedPeers: [], held: [] }],
  ])('%s', (_what, events, want) => {
    expect(fold(events)).toEqual(want)
  })

  it('returns the same state for events that change nothing, so nothing is redrawn', () => {
    const view = fold([{ type: 'paused' }])
    expect(applyControlEvent(view, { at: 0, seq: 9, type: 'paused' } as AppEvent)).toBe(view)
    expect(applyControlEvent(view, { at: 0, seq: 9, type: 'file-synced', peer: 'x', path: 'a', bytes: 1, version: 'v' } as AppEvent)).toBe(view)
    expect(applyControlEvent(view, { at: 0, seq: 9, type: 'peer-joined', ip: '10.0.0.2', port: 1, ...ANN } as AppEvent)).toBe(view)
    expect(applyControlEvent(view, { at: 0, seq: 9, ...status('running') } as AppEvent)).toBe(view)
  })

  it('tells whether the peer at an address is paused (by itself or with the client) and what it has held', () => {
    const view = fold([{ type: 'paused', peer: '10.0.0.2:1', ...BOB }, { type: 'mass-delete', peer: '10.0.0.3:1', files: 5, total: 6, ...ANN }])
    expect([isPeerPaused(view, '10.0.0.2:1'), isPeerPaused(view, '10.0.0.3:1')]).toEqual([true, false])
    expect(isPeerPaused({ ...view, paused: true }, '10.0.0.3:1')).toBe(true)
    expect(heldFor(view, '10.0.0.3:1')).toMatchObject({ files: 5, total: 6 })
    expect(heldFor(view, '10.0.0.2:1')).toBeUndefined()
  })
})
