// The desktop app's tray, built without Electron: the overall state and its words for each kind of
// status, peer set and paused state, a menu of Open, Pause syncing / Resume syncing (a client's)
// and Quit, and the state's dot as the pixels Electron is given.
import { describe, expect, it } from 'vitest'
import { trayIconBitmap, TRAY_COLORS } from '../../src/main/app/tray-icon'
import { trayModel, type TrayItem, type TrayState } from '../../src/main/app/tray-model'
import type { ControlView, EngineStatus, PeerView, TransferView } from '../../src/shared/contract'

const CLIENT: EngineStatus = {
  state: 'running',
  role: 'client',
  message: null,
  listening: { host: '::', port: 4100 },
  self: '192.168.1.21:4100',
  server: '192.168.1.20:4000',
  connected: true,
  addresses: ['192.168.1.21'],
}
const peer = (port: number, state: PeerView['state']): PeerView => ({ key: `10.0.0.1:${port}`, ip: '10.0.0.1', port, state, since: 0 })
const transfer: TransferView = { peer: '10.0.0.1:1', path: 'big.iso', bytes: 1, total: 10, startedAt: 0, updatedAt: 0, rate: 0 }
const NOTHING: ControlView = { paused: false, pausedPeers: [], held: [] }
const PAUSED: ControlView = { ...NOTHING, paused: true }
const ONE_PEER_PAUSED: ControlView = { ...NOTHING, pausedPeers: [{ id: 'AAAQEAY-…', name: 'bob', peer: '10.0.0.1:2' }] }
const HELD: ControlView = { ...NOTHING, held: [{ id: 'AAAQEAY-…', name: 'bob', peer: '10.0.0.1:2', files: 1200, held: 1200, total: 2000 }] }
const item = (id: 'pause' | 'resume', enabled = true): TrayItem => ({ kind: 'item', id, label: id === 'pause' ? 'Pause syncing' : 'Resume syncing', enabled })

describe('the tray model', () => {
  const SERVER: EngineStatus = { ...CLIENT, role: 'server', self: null, server: null, connected: false }
  it.each<[string, EngineStatus, PeerView[], TransferView[], ControlView, TrayState, string, TrayItem[]]>([
    ['not set up', { ...CLIENT, state: 'unconfigured' }, [], [], NOTHING, 'stopped', 'Not set up yet: open the app and choose a role in Settings', [item('pause', false)]],
    ['stopped', { ...CLIENT, state: 'stopped' }, [], [], NOTHING, 'stopped', 'Stopped', [item('pause', false)]],
    ['starting', { ...CLIENT, state: 'starting' }, [], [], NOTHING, 'syncing', 'Starting…', [item('pause', false)]],
    ['failed', { ...CLIENT, state: 'failed', message: 'port 4100 is already in use' }, [], [], NOTHING, 'problem', 'Could not start: port 4100 is already in use', [item('pause', false)]],
    ['not connected', { ...CLIENT, connected: false }, [], [], NOTHING, 'problem', 'Not connected to the server 192.168.1.20:4000', [item('pause')]],
    ['folder gone', { ...CLIENT, message: 'the shared folder /s is gone' }, [peer(1, 'synced')], [], NOTHING, 'problem', 'the shared folder /s is gone', [item('pause')]],
    ['a peer syncing', CLIENT, [peer(1, 'syncing'), peer(2, 'synced')], [], NOTHING, 'syncing', 'Syncing with 1 peer', [item('pause')]],
    ['a peer just joined', CLIENT, [peer(1, 'online'), peer(2, 'online')], [], NOTHING, 'syncing', 'Syncing with 2 peers', [item('pause')]],
    ['a transfer in flight', CLIENT, [peer(1, 'synced')], [transfer], NOTHING, 'syncing', 'Syncing with 1 peer', [item('pause')]],
    ['all synced', CLIENT, [peer(1, 'synced'), peer(2, 'synced'), peer(3, 'offline')], [], NOTHING, 'synced', 'Up to date with 2 peers', [item('pause')]],
    ['a folder away', CLIENT, [peer(1, 'synced'), peer(2, 'waiting')], [], NOTHING, 'synced', 'Up to date with 2 peers; 1 peer has its folder away', [item('pause')]],
    ['alone', CLIENT, [], [], NOTHING, 'synced', 'Up to date; no peers online', [item('pause')]],
    ['paused', CLIENT, [peer(1, 'online')], [], PAUSED, 'paused', 'Paused: nothing is fetched from peers', [item('resume')]],
    ['paused and stopped', { ...CLIENT, state: 'stopped' }, [], [], PAUSED, 'stopped', 'Stopped', [item('resume', false)]],
    ['one peer paused', CLIENT, [peer(1, 'synced'), peer(2, 'online')], [], ONE_PEER_PAUSED, 'syncing', 'Syncing with 1 peer', [item('pause')]],
    ['one peer paused, the rest synced', CLIENT, [peer(1, 'synced')], [], ONE_PEER_PAUSED, 'synced', 'Up to date with 1 peer; 1 peer paused', [item('pause')]],
    ['deletions held', CLIENT, [peer(2, 'synced')], [], HELD, 'problem', 'Deletions held for 1 peer: open the app to confirm', [item('pause')]],
    ['deletions held while paused', CLIENT, [peer(2, 'synced')], [], { ...HELD, paused: true }, 'problem', 'Deletions held for 1 peer: open the app to confirm', [item('resume')]],
    ['a server', SERVER, [peer(1, 'online'), peer(2, 'offline')], [], NOTHING, 'synced', 'Server running, 1 client online', []],
  ])('%s', (_what, status, peers, transfers, control, state, text, pause) => {
    const model = trayModel({ status, peers, transfers, control })
    expect(model.state).toBe(state)
    expect(model.tooltip).toBe(`dropbox-sync: ${text}`)
    expect(model.menu).toEqual([
      { kind: 'item', id: 'state', label: text, enabled: false },
      { kind: 'separator' },
      { kind: 'item', id: 'open', label: 'Open dropbox-sync', enabled: true },
      ...pause,
      { kind: 'item', id: 'quit', label: 'Quit', enabled: true },
    ])
  })

  it.each(Object.keys(TRAY_COLORS) as TrayState[])('draws %s as an opaque dot of its colour on a transparent square (BGRA)', (state) => {
    const pixels = trayIconBitmap(state, 16)
    expect(pixels.length).toBe(16 * 16 * 4)
    const [r, g, b] = TRAY_COLORS[state]
    const centre = (8 * 16 + 8) * 4
    expect([...pixels.subarray(centre, centre + 4)]).toEqual([b, g, r, 255])
    expect(pixels[3]).toBe(0)
  })
})
