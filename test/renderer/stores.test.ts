// @vitest-environment happy-dom
// The window's stores, fed the events main sends: peers and their states, transfers with speed and
// time left, the activity stream, and the Settings form's checks and refusals.
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useActivityStore, SHOWN } from '../../src/renderer/src/stores/activity'
import { NEW_PEERS_PER_FRAME, usePeersStore } from '../../src/renderer/src/stores/peers'
import { useSettingsStore } from '../../src/renderer/src/stores/settings'
import { useTransfersStore } from '../../src/renderer/src/stores/transfers'
import type { AppEvent } from '../../src/shared/contract'
import { secondsLeft } from '../../src/shared/live/transfer-table'
import { OFFLINE_LINGER_MS } from '../../src/shared/live/peer-table'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { installApi, type TestApi } from '../helpers/window-api'

let seq = 0
const ev = (event: Record<string, unknown>, at = Date.now()): AppEvent => ({ ...event, at, seq: ++seq }) as AppEvent

beforeEach(() => {
  setActivePinia(createPinia())
})
afterEach(() => {
  vi.useRealTimers()
})

describe('the peers store', () => {
  it('follows joins, transfers and leaves; a peer that left lingers greyed, then goes', () => {
    vi.useFakeTimers()
    const peers = usePeersStore()
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 }), ev({ type: 'peer-joined', ip: '::1', port: 4002 })])
    expect(peers.peers.map((p) => [p.key, p.state])).toEqual([
      ['127.0.0.1:4001', 'online'],
      ['[::1]:4002', 'online'],
    ])
    peers.apply([ev({ type: 'transfer-started', peer: '127.0.0.1:4001', path: 'a', total: 10 })])
    expect(peers.peers[0]!.state).toBe('syncing')
    peers.apply([ev({ type: 'peer-synced', peer: '127.0.0.1:4001', files: 1, bytes: 10 })])
    expect(peers.peers[0]!.state).toBe('synced')
    peers.apply([ev({ type: 'peer-left', ip: '::1', port: 4002, reason: 'timeout' })])
    expect(peers.peers[1]).toMatchObject({ state: 'offline', reason: 'timeout' })
    expect(peers.present).toBe(1)
    vi.advanceTimersByTime(OFFLINE_LINGER_MS + 50)
    expect(peers.peers.map((p) => p.key)).toEqual(['127.0.0.1:4001'])
  })

  it('a paused peer (or every one, the client paused) is neither syncing nor synced until resumed: nothing follows it', () => {
    const peers = usePeersStore()
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 }), ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4002 })])
    peers.apply([ev({ type: 'transfer-started', peer: '127.0.0.1:4001', path: 'a', total: 10 }), ev({ type: 'peer-synced', peer: '127.0.0.1:4002', files: 1, bytes: 1 })])
    peers.apply([ev({ type: 'paused', peer: '127.0.0.1:4001', id: 'AAAAAAA', name: 'bob' })])
    expect(peers.peers.map((p) => p.state)).toEqual(['online', 'synced'])
    peers.apply([ev({ type: 'paused' })])
    expect(peers.peers.map((p) => p.state)).toEqual(['online', 'online'])
    // Resumed, the peer's list is read again and it says when it is up to date.
    peers.apply([ev({ type: 'resumed' }), ev({ type: 'peer-synced', peer: '127.0.0.1:4002', files: 1, bytes: 1 })])
    expect(peers.peers.map((p) => p.state)).toEqual(['online', 'synced'])
  })

  it('knows each peer as the device the registry announced at its address', () => {
    const peers = usePeersStore()
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: 'AAAAAAA-BBBBBBB', name: 'bob laptop' })])
    expect(peers.peers[0]).toMatchObject({ key: '127.0.0.1:4001', id: 'AAAAAAA-BBBBBBB', name: 'bob laptop', state: 'online' })
    peers.apply([ev({ type: 'peer-synced', peer: '127.0.0.1:4001', files: 1, bytes: 10 })])
    expect(peers.peers[0]).toMatchObject({ name: 'bob laptop', state: 'synced' })
  })

  it('when the app stops answering, no peer is drawn as online any more', () => {
    vi.useFakeTimers()
    const peers = usePeersStore()
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 }), ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4002 })])
    peers.markAllOffline()
    expect(peers.peers.map((p) => p.state)).toEqual(['offline', 'offline'])
    vi.advanceTimersByTime(OFFLINE_LINGER_MS + 50)
    expect(peers.peers).toEqual([])
  })

  it('a peer whose small files arrive (no transfer-started for them) shows as syncing until it is synced', () => {
    const peers = usePeersStore()
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 }), ev({ type: 'peer-synced', peer: '127.0.0.1:4001', files: 0, bytes: 0 })])
    expect(peers.peers[0]!.state).toBe('synced')
    peers.apply([ev({ type: 'file-synced', peer: '127.0.0.1:4001', path: 'a.txt', bytes: 4, version: 'ab' })])
    expect(peers.peers[0]!.state).toBe('syncing')
    expect(peers.counts.syncing).toBe(1)
    peers.apply([ev({ type: 'peer-synced', peer: '127.0.0.1:4001', files: 1, bytes: 4 })])
    expect(peers.peers[0]!.state).toBe('synced')
    peers.apply([ev({ type: 'file-removed', peer: '127.0.0.1:4001', path: 'a.txt' })])
    expect(peers.peers[0]!.state).toBe('syncing')
  })

  it('a peer whose files fail to arrive (its mirror\'s disk read-only) is syncing, not synced, until it is synced again', () => {
    const peers = usePeersStore()
    const peer = '127.0.0.1:4001'
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 }), ev({ type: 'peer-synced', peer, files: 1, bytes: 4 })])
    peers.apply([ev({ type: 'transfer-failed', peer, path: 'new.txt', reason: 'could not write new.txt: EROFS', retrying: true })])
    expect(peers.peers[0]!.state).toBe('syncing')
    peers.apply([ev({ type: 'file-synced', peer, path: 'new.txt', bytes: 4, version: 'ab' }), ev({ type: 'peer-synced', peer, files: 2, bytes: 8 })])
    expect(peers.peers[0]!.state).toBe('synced')
  })

  it('a peer whose shared folder is gone waits, whatever arrives meanwhile, until the folder is back', () => {
    const peers = usePeersStore()
    const peer = '127.0.0.1:4001'
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001 }), ev({ type: 'file-synced', peer, path: 'a.txt', bytes: 4, version: 'ab' })])
    // An error about something else, or about no peer, changes nothing.
    peers.apply([ev({ type: 'error', code: 'hash-mismatch', message: 'lied', peer }), ev({ type: 'error', code: 'peer-folder-missing', message: 'gone' })])
    expect(peers.peers[0]!.state).toBe('syncing')
    peers.apply([ev({ type: 'error', code: 'peer-folder-missing', message: 'gone for now', peer })])
    expect(peers.peers[0]!.state).toBe('waiting')
    expect(peers.counts.waiting).toBe(1)
    peers.apply([ev({ type: 'file-synced', peer, path: 'b.txt', bytes: 4, version: 'cd' })])
    expect(peers.peers[0]!.state).toBe('waiting')
    peers.apply([ev({ type: 'peer-folder-restored', peer })])
    expect(peers.peers[0]!.state).toBe('syncing')
    peers.apply([ev({ type: 'peer-synced', peer, files: 2, bytes: 8 })])
    expect(peers.peers[0]!.state).toBe('synced')
  })

  it('takes a burst of 5000 events in one update, and draws the newcomers a few dozen per frame', async () => {
    const peers = usePeersStore()
    let updates = 0
    peers.$subscribe(() => updates++, { flush: 'sync' })
    const burst: AppEvent[] = []
    for (let i = 0; i < 250; i++) burst.push(ev({ type: 'peer-joined', ip: '127.0.0.1', port: 10000 + i }))
    for (let i = 0; i < 2500; i++) burst.push(ev({ type: 'peer-left', ip: '127.0.0.1', port: 10000 + (i % 250), reason: 'log-off' }))
    for (let i = 0; i < 2250; i++) burst.push(ev({ type: 'transfer-started', peer: `127.0.0.1:${10000 + (i % 250)}`, path: `f${i}`, total: 1 }))
    peers.apply(burst)
    expect(updates).toBe(1)
    expect(peers.peers).toHaveLength(NEW_PEERS_PER_FRAME)
    await vi.waitFor(() => expect(peers.peers).toHaveLength(250))
    expect(peers.counts.offline).toBe(250)
    expect(updates).toBe(Math.ceil(250 / NEW_PEERS_PER_FRAME))
  })

  it('forgets everyone when the engine restarts', () => {
    const peers = usePeersStore()
    peers.apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 1 })])
    peers.apply([ev({ type: 'status', status: { state: 'starting', role: 'client' } })])
    expect(peers.peers).toEqual([])
  })
})

describe('the transfers store', () => {
  it('tracks each file with a smoothed speed and time left, and totals per peer', () => {
    const transfers = useTransfersStore()
    const peer = '127.0.0.1:4001'
    transfers.apply([ev({ type: 'transfer-started', peer, path: 'big.bin', total: 1_000_000 }, 1000)])
    transfers.apply([ev({ type: 'transfer-progress', peer, path: 'big.bin', bytes: 100_000, total: 1_000_000 }, 2000)])
    const [file] = transfers.active
    expect(file).toMatchObject({ bytes: 100_000, rate: 100_000 })
    expect(secondsLeft(file!)).toBe(9)
    transfers.apply([ev({ type: 'transfer-progress', peer, path: 'big.bin', bytes: 400_000, total: 1_000_000 }, 3000)])
    // 100 kB/s, then a 300 kB/s second: the smoothed rate moves part of the way.
    expect(transfers.active[0]!.rate).toBeCloseTo(160_000)
    transfers.apply([ev({ type: 'file-synced', peer, path: 'big.bin', bytes: 1_000_000, version: 'ab' }, 4000)])
    transfers.apply([ev({ type: 'transfer-started', peer, path: 'bad.bin', total: 5 }), ev({ type: 'transfer-failed', peer, path: 'bad.bin', reason: 'hash mismatch' })])
    expect(transfers.active).toEqual([])
    expect(transfers.totals).toEqual([{ peer, files: 1, bytes: 1_000_000, failed: 1, active: 0 }])
    // A transfer that will be tried again leaves its row, but is not counted as failed.
    transfers.apply([ev({ type: 'transfer-started', peer, path: 'cut.bin', total: 5 }), ev({ type: 'transfer-failed', peer, path: 'cut.bin', reason: 'connection lost', retrying: true })])
    expect(transfers.active).toEqual([])
    expect(transfers.totals).toEqual([{ peer, files: 1, bytes: 1_000_000, failed: 1, active: 0 }])
  })

  it('a pause ends the rows it cut (the paused peer\'s, or every one), without counting a failure', () => {
    const transfers = useTransfersStore()
    const bob = '127.0.0.1:4001'
    const carol = '127.0.0.1:4002'
    transfers.apply([ev({ type: 'transfer-started', peer: bob, path: 'a.bin', total: 10 }), ev({ type: 'transfer-started', peer: carol, path: 'b.bin', total: 10 })])
    // A device paused while it is not announced names no address: nothing of the others' ends.
    transfers.apply([ev({ type: 'paused', id: 'AAAAAAA', name: 'dave' })])
    expect(transfers.active.map((t) => t.path)).toEqual(['a.bin', 'b.bin'])
    transfers.apply([ev({ type: 'paused', peer: bob, id: 'BBBBBBB', name: 'bob' })])
    expect(transfers.active.map((t) => t.path)).toEqual(['b.bin'])
    transfers.apply([ev({ type: 'paused' })])
    expect(transfers.active).toEqual([])
    expect(transfers.totals.map((t) => [t.peer, t.active, t.failed])).toEqual([[bob, 0, 0], [carol, 0, 0]])
  })

  it('keeps the latest ring buffer and worker reports', () => {
    const transfers = useTransfersStore()
    transfers.apply([
      ev({ type: 'buffer', used: 3, capacity: 8 }),
      ev({ type: 'workers', busy: 1, total: 2, states: [{ id: 0, busy: true, peer: 'p', path: 'x' }, { id: 1, busy: false }] }),
    ])
    expect(transfers.buffer).toEqual({ used: 3, capacity: 8 })
    expect(transfers.workers[0]).toMatchObject({ busy: true, path: 'x' })
  })
})

describe('the activity store', () => {
  it('lists events newest first, leaves out samples, and filters by kind and text', () => {
    const activity = useActivityStore()
    activity.apply([
      ev({ type: 'peer-joined', ip: '127.0.0.1', port: 1 }),
      ev({ type: 'transfer-progress', peer: '127.0.0.1:1', path: 'a', bytes: 1, total: 2 }),
      ev({ type: 'error', code: 'server-unreachable', message: 'cannot reach the server' }),
      ev({ type: 'peer-joined', ip: '127.0.0.1', port: 2 }),
    ])
    // A problem reads as the engine's sentence, its code after it (the filter finds either).
    expect(activity.matching.map((e) => e.text)).toEqual(['127.0.0.1:2 joined', 'Cannot reach the server. (server-unreachable)', '127.0.0.1:1 joined'])
    activity.category = 'problems'
    expect(activity.matching.map((e) => e.text)).toEqual(['Cannot reach the server. (server-unreachable)'])
    activity.query = 'server-unreachable'
    expect(activity.matching).toHaveLength(1)
    activity.query = ''
    activity.category = 'all'
    activity.query = ':1 '
    expect(activity.matching.map((e) => e.text)).toEqual(['127.0.0.1:1 joined'])
  })

  it(`shows at most the newest ${SHOWN} of a long stream`, () => {
    const activity = useActivityStore()
    activity.apply(Array.from({ length: 3000 }, (_, i) => ev({ type: 'peer-joined', ip: '127.0.0.1', port: i + 1 })))
    expect(activity.total).toBe(3000)
    expect(activity.matching).toHaveLength(SHOWN)
    expect(activity.matching[0]!.text).toBe('127.0.0.1:3000 joined')
  })
})

describe('the settings store', () => {
  let api: TestApi
  beforeEach(() => {
    api = installApi()
  })

  it('refuses invalid values next to their fields without asking main', async () => {
    const settings = useSettingsStore()
    await settings.load()
    Object.assign(settings.draft, { role: 'client', port: 'abc', serverAddress: '', folder: 'relative/path', workers: '300', rescanSeconds: '0', limitRateKiB: '-5' })
    expect(await settings.save()).toBe(false)
    expect(api.saved).toEqual([])
    expect(settings.errors).toEqual({
      port: 'The port must be a whole number from 0 to 65535.',
      workers: 'Workers must be a whole number from 1 to 256.',
      rescanSeconds: 'The rescan interval must be a whole number from 1 to 86400.',
      limitRateKiB: 'The bandwidth limit must be a whole number of KiB/s from 0 (no limit) to 10000000.',
      serverAddress: "Enter the server's IP address or host name, or paste an invite under Join with invite (it holds it).",
      folder: 'Give the full path of the folder, e.g. /home/you/Shared.',
    })
    // Editing a field takes its stale message away; the others stay.
    settings.draft.port = '4100'
    expect(Object.keys(settings.errors).sort()).toEqual(['folder', 'limitRateKiB', 'rescanSeconds', 'serverAddress', 'workers'])
  })

  it("sends valid settings as numbers and shows main's refusals by field", async () => {
    const settings = useSettingsStore()
    await settings.load()
    api.answer = () => ({ ok: false, errors: { folder: 'There is no folder at /gone.' } })
    Object.assign(settings.draft, { role: 'client', serverAddress: ' 10.0.0.2 ', serverPort: '4000', folder: '/gone', limitRateKiB: '2048' })
    expect(await settings.save()).toBe(false)
    expect(api.saved).toEqual([{ ...DEFAULT_SETTINGS, role: 'client', serverAddress: '10.0.0.2', folder: '/gone', limitRateKiB: 2048 }])
    expect(settings.errors).toEqual({ folder: 'There is no folder at /gone.' })
    api.answer = null
    settings.draft.folder = '/home/me'
    expect(await settings.save()).toBe(true)
    expect(settings.dirty).toBe(false)
    expect(settings.errors).toEqual({})
  })

  it('fills a folder field from the picker, and leaves it when cancelled', async () => {
    const settings = useSettingsStore()
    await settings.load()
    api.folderChoice = '/home/me/Shared'
    await settings.chooseFolder('folder')
    expect(settings.draft.folder).toBe('/home/me/Shared')
    api.folderChoice = null
    await settings.chooseFolder('folder')
    expect(settings.draft.folder).toBe('/home/me/Shared')
  })
})
