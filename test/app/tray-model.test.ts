// The desktop app's tray, built without Electron: the overall state and its words for each kind of
// status and peer set, a menu of Open and Quit (no Pause/Resume: the engine cannot pause yet),
// and the state's dot as the pixels Electron is given.
import { describe, expect, it } from 'vitest'
import { trayIconBitmap, TRAY_COLORS } from '../../src/main/app/tray-icon'
import { trayModel, type TrayState } from '../../src/main/app/tray-model'
import type { EngineStatus, PeerView, TransferView } from '../../src/shared/contract'

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

describe('the tray model', () => {
  it.each<[string, EngineStatus, PeerView[], TransferView[], TrayState, string]>([
    ['not set up', { ...CLIENT, state: 'unconfigured' }, [], [], 'stopped', 'Not set up yet: open the app and choose a role in Settings'],
    ['stopped', { ...CLIENT, state: 'stopped' }, [], [], 'stopped', 'Stopped'],
    ['starting', { ...CLIENT, state: 'starting' }, [], [], 'syncing', 'Starting…'],
    ['failed', { ...CLIENT, state: 'failed', message: 'port 4100 is already in use' }, [], [], 'problem', 'Could not start: port 4100 is already in use'],
    ['not connected', { ...CLIENT, connected: false }, [], [], 'problem', 'Not connected to the server 192.168.1.20:4000'],
    ['folder gone', { ...CLIENT, message: 'the shared folder /s is gone' }, [peer(1, 'synced')], [], 'problem', 'the shared folder /s is gone'],
    ['a peer syncing', CLIENT, [peer(1, 'syncing'), peer(2, 'synced')], [], 'syncing', 'Syncing with 1 peer'],
    ['a peer just joined', CLIENT, [peer(1, 'online'), peer(2, 'online')], [], 'syncing', 'Syncing with 2 peers'],
    ['a transfer in flight', CLIENT, [peer(1, 'synced')], [transfer], 'syncing', 'Syncing with 1 peer'],
    ['all synced', CLIENT, [peer(1, 'synced'), peer(2, 'synced'), peer(3, 'offline')], [], 'synced', 'Up to date with 2 peers'],
    ['a folder away', CLIENT, [peer(1, 'synced'), peer(2, 'waiting')], [], 'synced', 'Up to date with 2 peers; 1 peer has its folder away'],
    ['alone', CLIENT, [], [], 'synced', 'Up to date; no peers online'],
    ['a server', { ...CLIENT, role: 'server', self: null, server: null, connected: false }, [peer(1, 'online'), peer(2, 'offline')], [], 'synced', 'Server running, 1 client online'],
  ])('%s', (_what, status, peers, transfers, state, text) => {
    const model = trayModel({ status, peers, transfers })
    expect(model.state).toBe(state)
    expect(model.tooltip).toBe(`dropbox-sync: ${text}`)
    expect(model.menu).toEqual([
      { kind: 'item', id: 'state', label: text, enabled: false },
      { kind: 'separator' },
      { kind: 'item', id: 'open', label: 'Open dropbox-sync', enabled: true },
      { kind: 'item', id: 'quit', label: 'Quit', enabled: true },
    ])
  })

  it('offers no Pause or Resume while the engine cannot pause', () => {
    const labels = trayModel({ status: CLIENT, peers: [], transfers: [] }).menu.flatMap((item) => (item.kind === 'item' ? [item.label] : []))
    expect(labels.filter((label) => /pause|resume/i.test(label))).toEqual([])
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
