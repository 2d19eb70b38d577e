// Where each folder stands, folded from the events by the reducer main and the window share, and
// kept in main's snapshot so a window opened later shows the numbers at once.
import { describe, expect, it } from 'vitest'
import { LiveSnapshot } from '../../src/main/app/live-snapshot'
import type { AppEvent, EngineStatus } from '../../src/shared/contract'
import { applyFolderStateEvent, createFolderStateTable, folderStatesOf } from '../../src/shared/live/folder-states'
import { mirror, OWN } from '../helpers/folder-states'

let seq = 0
const ev = (event: Record<string, unknown>, at = 1000): AppEvent => ({ ...event, at, seq: ++seq }) as AppEvent
const CLIENT: EngineStatus = {
  state: 'running',
  role: 'client',
  message: null,
  listening: { host: '::', port: 5000 },
  self: '127.0.0.1:5000',
  server: '127.0.0.1:4000',
  connected: true,
  addresses: [],
}
const status = (state: EngineStatus['state']) => ev({ type: 'status', status: { ...CLIENT, state } })

describe('the folder states, folded from the events', () => {
  it('keeps the latest of each, forgets a mirror whose peer left, and all of it when the engine is not running', () => {
    const table = createFolderStateTable()
    const steps: Array<[AppEvent, boolean, ReturnType<typeof folderStatesOf>]> = [
      [status('starting'), false, { own: null, mirrors: [], preparing: [] }],
      [ev({ type: 'folder-state', ...OWN, scanning: true }), true, { own: { ...OWN, scanning: true }, mirrors: [], preparing: [] }],
      [ev({ type: 'folder-state', ...OWN }), true, { own: OWN, mirrors: [], preparing: [] }],
      [ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001') }), true, { own: OWN, mirrors: [mirror('127.0.0.1:4001')], preparing: [] }],
      [ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001', { phase: 'up-to-date', needFiles: 0, needBytes: 0 }) }), true, { own: OWN, mirrors: [mirror('127.0.0.1:4001', { phase: 'up-to-date', needFiles: 0, needBytes: 0 })], preparing: [] }],
      [ev({ type: 'preparing', files: [{ path: 'big.iso', bytes: 5, total: 10 }] }), true, { own: OWN, mirrors: [mirror('127.0.0.1:4001', { phase: 'up-to-date', needFiles: 0, needBytes: 0 })], preparing: [{ path: 'big.iso', bytes: 5, total: 10 }] }],
      [status('running'), false, { own: OWN, mirrors: [mirror('127.0.0.1:4001', { phase: 'up-to-date', needFiles: 0, needBytes: 0 })], preparing: [{ path: 'big.iso', bytes: 5, total: 10 }] }],
      [ev({ type: 'peer-left', ip: '127.0.0.1', port: 4001, reason: 'log-off', id: 'X', name: 'bob' }), true, { own: OWN, mirrors: [], preparing: [{ path: 'big.iso', bytes: 5, total: 10 }] }],
      [ev({ type: 'peer-left', ip: '127.0.0.1', port: 4001, reason: 'log-off', id: 'X', name: 'bob' }), false, { own: OWN, mirrors: [], preparing: [{ path: 'big.iso', bytes: 5, total: 10 }] }],
      [status('stopped'), true, { own: null, mirrors: [], preparing: [] }],
    ]
    for (const [event, changed, after] of steps) {
      expect({ event: event.type, changed: applyFolderStateEvent(table, event) }).toEqual({ event: event.type, changed })
      expect(folderStatesOf(table)).toEqual(after)
    }
  })

  it('is in the snapshot main keeps for a window that opens later', () => {
    const live = new LiveSnapshot()
    live.apply(ev({ type: 'folder-state', ...OWN }))
    live.apply(ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001') }))
    live.apply(ev({ type: 'preparing', files: [{ path: 'big.iso', bytes: 5, total: 10 }] }))
    const snapshot = live.take(CLIENT)
    expect(snapshot.folders).toEqual({ own: OWN, mirrors: [mirror('127.0.0.1:4001')], preparing: [{ path: 'big.iso', bytes: 5, total: 10 }] })
    // Samples: none of them buries the Activity stream.
    expect(snapshot.recent).toEqual([])
  })
})
