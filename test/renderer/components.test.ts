// @vitest-environment happy-dom
// The screens as a person meets them: the names the issue promises (tabs, radios, fields, Save),
// disabled fields for the other role, messages next to fields, the empty Peers state, the list,
// transfers, the ring buffer, and the live feed that batches events and unsubscribes on unmount.
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import App from '../../src/renderer/src/App.vue'
import PeerGraph from '../../src/renderer/src/components/PeerGraph.vue'
import PeerList from '../../src/renderer/src/components/PeerList.vue'
import PeersEmpty from '../../src/renderer/src/components/PeersEmpty.vue'
import RingBuffer from '../../src/renderer/src/components/RingBuffer.vue'
import { useLiveEvents } from '../../src/renderer/src/composables/use-live-events'
import { useEngineStore } from '../../src/renderer/src/stores/engine'
import { usePeersStore } from '../../src/renderer/src/stores/peers'
import { useTransfersStore } from '../../src/renderer/src/stores/transfers'
import SettingsView from '../../src/renderer/src/views/SettingsView.vue'
import TransfersView from '../../src/renderer/src/views/TransfersView.vue'
import { PEER_COLORS } from '../../src/renderer/src/peer-colors'
import { RUNNING_SERVER, type TestApi } from '../helpers/window-api'
import { byLabel, freshWindow, mountView } from '../helpers/window-view'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'

let api: TestApi
beforeEach(() => {
  api = freshWindow()
})

/** Text of the elements an aria-labelledby / aria-describedby list names, as assistive technology joins it. */
function textOf(ids: string | undefined): string {
  return (ids ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
    .join(' ')
}

describe('the window', () => {
  it('has the tabs Peers, Transfers, Activity, History and Settings, and switches between them', async () => {
    const app = mountView(App)
    await flushPromises()
    const tabs = app.findAll('[role="tab"]')
    expect(tabs.map((t) => t.text())).toEqual(['Peers', 'Transfers', 'Activity', 'History', 'Settings'])
    expect(tabs[0]!.attributes('aria-selected')).toBe('true')
    await tabs[4]!.trigger('click')
    expect(app.find('[role="tabpanel"]').attributes('aria-labelledby')).toBe('tab-settings')
    expect(app.find('button[type="submit"]').text()).toBe('Save')
    // Home and End jump to the first and last tab, arrows wrap around.
    await app.findAll('[role="tab"]')[4]!.trigger('keydown', { key: 'Home' })
    expect(app.find('[role="tabpanel"]').attributes('aria-labelledby')).toBe('tab-peers')
    await app.findAll('[role="tab"]')[0]!.trigger('keydown', { key: 'End' })
    expect(app.find('[role="tabpanel"]').attributes('aria-labelledby')).toBe('tab-settings')
    await app.findAll('[role="tab"]')[4]!.trigger('keydown', { key: 'ArrowRight' })
    expect(app.find('[role="tabpanel"]').attributes('aria-labelledby')).toBe('tab-peers')
    app.unmount()
  })

  it('moves the keyboard focus with the selection, also onto a tab the settings added after the window opened (History)', async () => {
    const app = mountView(App)
    await flushPromises()
    const visited: string[] = []
    ;(document.getElementById('tab-peers') as HTMLElement).focus()
    for (let i = 0; i < 5; i++) {
      await app.get(`#${document.activeElement!.id}`).trigger('keydown', { key: 'ArrowRight' })
      const selected = app.get('[role="tab"][aria-selected="true"]')
      expect(document.activeElement).toBe(selected.element)
      visited.push(selected.text())
    }
    expect(visited).toEqual(['Transfers', 'Activity', 'History', 'Settings', 'Peers'])
    app.unmount()
  })
})

describe('Settings', () => {
  it('offers Server and Client; a server has only its Port and Listen address enabled', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    const radios = view.findAll('input[type="radio"]')
    expect(radios.map((r) => r.element.closest('label')!.textContent!.trim().split(' ')[0])).toEqual(['Server', 'Client'])
    const labels = ['Port', 'Listen address', 'Server address', 'Server port', 'Folder', 'Mirror folder', 'Workers', 'Buffer slots', 'Rescan every (s)', 'Keep history (days)', 'Bandwidth limit (KiB/s)']
    for (const label of labels) expect(byLabel(view, label).disabled).toBe(false)
    await radios[0]!.setValue(true)
    expect(labels.filter((label) => byLabel(view, label).disabled)).toEqual(labels.slice(2))
    view.unmount()
  })

  it('says under the Bandwidth limit what it reads as on Transfers, as the value is typed', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    const field = byLabel(view, 'Bandwidth limit (KiB/s)')
    expect(view.find('#limitRateKiB-shown').exists()).toBe(false)
    for (const [typed, shown] of [['20480', 'That is 21 MB/s as Transfers shows speeds.'], ['1024', 'That is 1.0 MB/s as Transfers shows speeds.'], ['0', null], ['fast', null], ['-5', null]] as const) {
      await view.find('#limitRateKiB').setValue(typed)
      const line = view.find('#limitRateKiB-shown')
      expect(line.exists() ? line.text() : null).toBe(shown)
      expect(textOf(field.getAttribute('aria-describedby') ?? '')).toContain(shown ?? 'The most this machine sends')
    }
    view.unmount()
  })

  it('asks a new client for its invite before the server address, which the invite holds, and before the folder', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    const labels = view.findAll('label').map((l) => l.text().trim())
    const at = (label: string) => labels.indexOf(label)
    expect(at('Join with invite')).toBeGreaterThan(-1)
    expect(at('Join with invite')).toBeLessThan(at('Server address'))
    expect(at('Server address')).toBeLessThan(at('Folder'))
    expect(view.find('#serverAddress-hint').text()).toContain('May stay empty with an invite above')
    view.unmount()
  })

  it('names the radios Server and Client alone, with their hints as descriptions', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    const radios = view.findAll('input[type="radio"]')
    // aria-labelledby wins over the wrapping label's whole text (which holds the hint too).
    expect(radios.map((r) => textOf(r.attributes('aria-labelledby')))).toEqual(['Server', 'Client'])
    expect(radios.map((r) => textOf(r.attributes('aria-describedby')))).toEqual([
      'keeps the list of who is online; run it on one machine.',
      "shares a folder and mirrors every other client's.",
    ])
    // Clicking the hint still chooses the role: it stays inside the label.
    await view.find('#role-server-hint').trigger('click')
    expect((radios[0]!.element as HTMLInputElement).checked).toBe(true)
    view.unmount()
  })

  it('refuses a Listen address that is not one IP address, next to the field', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    await view.findAll('input[type="radio"]')[0]!.setValue(true)
    await view.find('#port').setValue('4000')
    for (const [typed, message] of [
      ['my-laptop', 'Enter an IP address of this machine (e.g. 192.168.1.20, 127.0.0.1 or ::1), or leave it empty for every interface.'],
      ['127.0.0.1:4000', 'Give only the address here, without a port or brackets, e.g. 192.168.1.20.'],
      ['[::1]', 'Give only the address here, without a port or brackets, e.g. 192.168.1.20.'],
      ['256.1.1.1', 'Enter an IP address of this machine (e.g. 192.168.1.20, 127.0.0.1 or ::1), or leave it empty for every interface.'],
    ]) {
      await view.find('#listenAddress').setValue(typed)
      await view.find('form').trigger('submit')
      await flushPromises()
      expect(view.find('#listenAddress-error').text()).toBe(message)
    }
    expect(view.find('#listenAddress').attributes('aria-describedby')).toBe('listenAddress-error listenAddress-hint')
    expect(api.saved).toEqual([])
    await view.find('#listenAddress').setValue(' ::1 ')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(api.saved).toEqual([expect.objectContaining({ role: 'server', port: 4000, listenAddress: '::1' })])
    view.unmount()
  })

  it('shows each refusal next to its field and marks the field invalid', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    await view.find('#workers').setValue('0')
    await view.find('#serverAddress').setValue('')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(view.find('#workers-error').text()).toBe('Workers must be a whole number from 1 to 256.')
    // The first field that needs attention gets the focus (Server address comes before Workers).
    expect(document.activeElement?.id).toBe('serverAddress')
    expect(view.find('#workers').attributes('aria-invalid')).toBe('true')
    expect(view.find('#workers').attributes('aria-describedby')).toContain('workers-error')
    expect(view.find('#serverAddress-error').text()).toContain("server's IP address")
    await view.find('#serverAddress').setValue('127.0.0.1:47200')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(view.find('#serverAddress-error').text()).toBe('Give only the address here, and the port under Server port.')
    expect(api.saved).toEqual([])
    view.unmount()
  })

  it('a broken value in a field the chosen role does not use does not block the save', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    await view.find('#workers').setValue('abc')
    await view.find('#serverPort').setValue('0')
    await view.findAll('input[type="radio"]')[0]!.setValue(true)
    await view.find('#port').setValue('4000')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(view.find('#workers-error').exists()).toBe(false)
    expect(api.saved).toEqual([expect.objectContaining({ role: 'server', port: 4000, workers: DEFAULT_SETTINGS.workers, serverPort: DEFAULT_SETTINGS.serverPort })])
    view.unmount()
  })

  it('saves through window.api and says so', async () => {
    await useSettingsLoaded()
    const view = mountView(SettingsView)
    await view.findAll('input[type="radio"]')[0]!.setValue(true)
    await view.find('#port').setValue('4000')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(api.saved).toEqual([expect.objectContaining({ role: 'server', port: 4000 })])
    // Saved is not running: until the engine says so, the form says it is starting.
    expect(view.text()).toContain('Saved. Starting the engine…')
    useEngineStore().load({ ...RUNNING_SERVER, listening: { host: '::', port: 4000 } })
    await flushPromises()
    expect(view.text()).toContain('Saved. The engine runs with these settings.')
    useEngineStore().load({ ...RUNNING_SERVER, state: 'failed', listening: null, message: 'Cannot start the server: port 4000 is already in use.' })
    await flushPromises()
    expect(view.find('.form-actions [role="alert"]').text()).toBe(
      'Saved, but the engine could not start with these settings: Cannot start the server: port 4000 is already in use.',
    )
    expect(view.text()).not.toContain('The engine runs with these settings')
    view.unmount()
  })
})

async function useSettingsLoaded(): Promise<void> {
  const { useSettingsStore } = await import('../../src/renderer/src/stores/settings')
  await useSettingsStore().load()
}

describe('Peers', () => {
  it('when alone as the server, says a client joins with an invite made under Members, and the address it holds', () => {
    useEngineStore().load(RUNNING_SERVER)
    const empty = mountView(PeersEmpty)
    // Every word apart from the next: an address once ran into its label ("Server address192.168.1.20").
    const text = empty.text().replace(/\s+/g, ' ')
    expect(text).toContain('Each joins with an invite: under Members, press Invite a device, one for each machine.')
    expect(text).toContain('choose Client in Settings, paste the invite under Join with invite, pick its Folder and Save.')
    expect(text).toContain("The invite holds this server's address (192.168.1.20, port 4000).")
    empty.unmount()
  })

  it('registered as a client with no other client yet, says the others join with an invite too', () => {
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', server: '10.0.0.9:4000', self: '10.0.0.1:4100', connected: true })
    const text = mountView(PeersEmpty).text().replace(/\s+/g, ' ')
    expect(text).toContain('Registered with the server 10.0.0.9:4000 as 10.0.0.1:4100.')
    expect(text).toContain('each with an invite its operator makes (Members, Invite a device), pasted under Join with invite in its Settings.')
  })

  it('when the client cannot reach its server, says so and points at Settings', () => {
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', server: '10.0.0.9:4000', message: 'cannot reach the server 10.0.0.9:4000 (ECONNREFUSED)' })
    const empty = mountView(PeersEmpty)
    expect(empty.text()).toContain('Not connected to the server 10.0.0.9:4000')
    expect(empty.text()).toContain('ECONNREFUSED')
    expect(empty.find('button').text()).toBe('Open Settings')
    empty.unmount()
  })

  it("ends the engine's reason as a sentence before its own advice", () => {
    const message = "127.0.0.1:4100 says: this device was removed from the server's members; it may come back only with a new invite or if the operator accepts it again"
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', server: '127.0.0.1:4100', message })
    const empty = mountView(PeersEmpty)
    expect(empty.text()).toContain(`${message}. Check Server address`)
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', server: '127.0.0.1:4100', message: 'Lost the server 127.0.0.1:4100; reconnecting…' })
    expect(mountView(PeersEmpty).text()).toContain('reconnecting… Check Server address')
    empty.unmount()
  })

  it('when the server turned this device away, says what can change that, not to check the address', () => {
    const message = "127.0.0.1:4100 says: this device was removed from the server's members; it may come back only with a new invite or if the operator accepts it again"
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', server: '127.0.0.1:4100', message, turnedAway: true })
    const empty = mountView(PeersEmpty)
    expect(empty.text()).toContain(`The server 127.0.0.1:4100 turned this device away. ${message}. Once its operator accepts it again, press Try again`)
    expect(empty.text()).not.toContain('Check Server address')
    empty.unmount()
  })

  it('lists each peer by its device name with its ip:port beside it (the address alone until the name is known), state and last change', () => {
    const at = new Date(2026, 0, 2, 13, 4, 5).getTime()
    const list = mountView(PeerList, {
      peers: [
        { key: '127.0.0.1:4001', ip: '127.0.0.1', port: 4001, state: 'synced', since: at, id: 'AAAAAAA-BBBBBBB', name: 'bob laptop' },
        { key: '127.0.0.1:4002', ip: '127.0.0.1', port: 4002, state: 'offline', since: at, reason: 'log-off' },
      ],
    })
    const rows = list.findAll('tbody tr').map((r) => r.findAll('th, td').map((c) => c.text()))
    expect(rows).toEqual([
      ['bob laptop127.0.0.1:4001', 'synced', '13:04:05'],
      ['127.0.0.1:4002', 'offline (logged off)', '13:04:05'],
    ])
    expect(list.find('tbody th').attributes('title')).toBe('bob laptop (127.0.0.1:4001)')
    expect(list.find('table').attributes('aria-label')).toBe('Peers')
    list.unmount()
  })
})

describe('the graph', () => {
  it('puts this machine in the middle and each peer around it, labelled by name (else ip:port) and coloured by state', async () => {
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, name: 'alice desktop' } }
    await useSettingsLoaded()
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', self: '127.0.0.1:5000', connected: true })
    const graph = mountView(PeerGraph, {
      peers: [
        { key: '127.0.0.1:4001', ip: '127.0.0.1', port: 4001, state: 'syncing', since: 0, name: 'bob laptop' },
        { key: '127.0.0.1:4002', ip: '127.0.0.1', port: 4002, state: 'offline', since: 0, reason: 'timeout' },
      ],
    })
    const nodes = graph.findAll('g.node')
    // This machine by its device name as the peers are, where it is under it.
    expect(nodes.map((n) => n.find('text').text())).toEqual(['bob laptop', '127.0.0.1:4002', 'alice desktop'])
    expect(nodes[2]!.findAll('text').map((t) => t.text())).toEqual(['alice desktop', 'this machine, 127.0.0.1:5000'])
    expect(nodes[2]!.find('title').text()).toBe('alice desktop: this machine, 127.0.0.1:5000')
    expect(nodes[2]!.attributes('transform')).toBeUndefined()
    expect(nodes[0]!.find('circle').attributes('fill')).toBe(PEER_COLORS.syncing)
    expect(nodes[1]!.find('circle').attributes('fill')).toBe(PEER_COLORS.offline)
    expect(graph.findAll('line.edge')).toHaveLength(2)
    graph.unmount()
  })
})

describe('Transfers', () => {
  it('shows a progress bar with speed and time left per file, totals per peer, the ring and the workers', async () => {
    window.localStorage.clear()
    const transfers = useTransfersStore()
    let seq = 0
    const ev = (e: Record<string, unknown>, at: number) => ({ ...e, at, seq: ++seq }) as never
    transfers.apply([
      ev({ type: 'transfer-started', peer: '127.0.0.1:4001', path: 'photos/a b.jpg', total: 2_000_000 }, 0),
      ev({ type: 'transfer-progress', peer: '127.0.0.1:4001', path: 'photos/a b.jpg', bytes: 500_000, total: 2_000_000 }, 1000),
      ev({ type: 'buffer', used: 2, capacity: 8 }, 1000),
      ev({ type: 'workers', busy: 1, total: 2, states: [{ id: 0, busy: true, peer: '127.0.0.1:4001', path: 'photos/a b.jpg' }, { id: 1, busy: false }] }, 1000),
    ])
    const view = mountView(TransfersView)
    const bar = view.find('progress')
    expect(bar.attributes('aria-label')).toBe('photos/a b.jpg from 127.0.0.1:4001')
    expect(bar.attributes('value')).toBe('500000')
    expect(view.find('.transfer-meta').text()).toMatch(/500 KB of 2\.0 MB \(25%\)\s*500 KB\/s\s*3 s left/)
    expect(view.find('[aria-label="Totals per peer"]').text()).toContain('127.0.0.1:4001')
    // The ring and the workers sit in the Engine panel, closed until opened.
    await view.find('button[aria-controls="engine-body"]').trigger('click')
    expect(view.find('[aria-label="Ring buffer: 2 of 8 slots in use"]').exists()).toBe(true)
    expect(view.findAll('.workers li').map((li) => li.text().replace(/\s+/g, ' '))).toEqual([
      'Worker 1 busy: photos/a b.jpg from 127.0.0.1:4001',
      'Worker 2 idle',
    ])
    view.unmount()
  })

  it("shows a client's bandwidth limit beside the speeds, in their units (Settings takes KiB/s), and nothing without one", async () => {
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, limitRateKiB: 20480 } }
    await useSettingsLoaded()
    const transfers = useTransfersStore()
    transfers.apply([
      { type: 'transfer-started', peer: '127.0.0.1:4001', path: 'big.iso', total: 1e9, at: 0, seq: 1 } as never,
      { type: 'transfer-progress', peer: '127.0.0.1:4001', path: 'big.iso', bytes: 20_971_520, total: 1e9, at: 1000, seq: 2 } as never,
    ])
    const view = mountView(TransfersView)
    expect(view.find('.transfer-meta').text()).toContain('21 MB/s')
    expect(view.find('[data-testid="limit-rate"]').text()).toBe('Bandwidth limit: 21 MB/s each way, over all peers (Settings)')
    view.unmount()
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, limitRateKiB: 0 } }
    await useSettingsLoaded()
    const unlimited = mountView(TransfersView)
    expect(unlimited.find('[data-testid="limit-rate"]').exists()).toBe(false)
    unlimited.unmount()
  })

  it('names the peer of each transfer, each total and each worker as the peer list does: its device name, the address beside it', async () => {
    let seq = 0
    const ev = (e: Record<string, unknown>, at: number) => ({ ...e, at, seq: ++seq }) as never
    usePeersStore().apply([ev({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: 'AAAAAAA-AAAAAAA', name: 'alice-laptop' }, 0)])
    useTransfersStore().apply([
      ev({ type: 'transfer-started', peer: '127.0.0.1:4001', path: 'film.mkv', total: 2_000_000 }, 0),
      ev({ type: 'transfer-started', peer: '127.0.0.1:4002', path: 'song.flac', total: 1_000_000 }, 0),
      ev({ type: 'file-synced', peer: '127.0.0.1:4001', path: 'a.txt', bytes: 10, version: '00' }, 0),
    ])
    useTransfersStore().apply([ev({ type: 'workers', busy: 1, total: 1, states: [{ id: 0, busy: true, peer: '127.0.0.1:4001', path: 'film.mkv' }] }, 0)])
    const view = mountView(TransfersView)
    expect(view.findAll('.transfer-peer').map((e) => e.text()).sort()).toEqual(['127.0.0.1:4002', 'alice-laptop (127.0.0.1:4001)'])
    expect(view.findAll('progress').map((e) => e.attributes('aria-label')).sort()).toEqual(['film.mkv from alice-laptop (127.0.0.1:4001)', 'song.flac from 127.0.0.1:4002'])
    expect(view.find('[aria-label="Totals per peer"]').text()).toContain('alice-laptop (127.0.0.1:4001)')
    // Open (the panel remembers whether it was).
    const engine = view.find('button[aria-controls="engine-body"]')
    if (engine.attributes('aria-expanded') !== 'true') await engine.trigger('click')
    expect(view.find('.workers li').text().replace(/\s+/g, ' ')).toBe('Worker 1 busy: film.mkv from alice-laptop (127.0.0.1:4001)')
    view.unmount()
  })

  it('counts the small files the workers hold (a batch job counts its files), which have no row of their own', () => {
    const transfers = useTransfersStore()
    let seq = 0
    const ev = (e: Record<string, unknown>, at: number) => ({ ...e, at, seq: ++seq }) as never
    transfers.apply([
      ev({ type: 'workers', busy: 2, total: 3, states: [{ id: 0, busy: true, peer: '127.0.0.1:4001', path: 'a/1.txt', jobs: 2, files: 64 }, { id: 1, busy: true, peer: '127.0.0.1:4001', path: 'b/2.txt', jobs: 1, files: 32 }, { id: 2, busy: false, jobs: 0 }] }, 0),
    ])
    const view = mountView(TransfersView)
    expect(view.find('.summary').text()).toBe('96 files in flight')
    expect(view.find('[data-testid="batched"]').text()).toContain('96 small files on the way in batches')
    expect(view.text()).not.toContain('Nothing is being copied')
    view.unmount()
  })

  it('counts per peer what is in flight, rows and batches, so the column adds up to the heading; counts read with separators', () => {
    const transfers = useTransfersStore()
    let seq = 0
    const ev = (e: Record<string, unknown>, at: number) => ({ ...e, at, seq: ++seq }) as never
    const synced = Array.from({ length: 1200 }, (_, i) => ev({ type: 'file-synced', peer: '127.0.0.1:4001', path: `s/${i}`, bytes: 1000, version: '00' }, 0))
    transfers.apply([
      ...synced,
      ev({ type: 'transfer-started', peer: '127.0.0.1:4001', path: 'big.iso', total: 150_000_000 }, 0),
      ev({ type: 'workers', busy: 3, total: 3, states: [
        { id: 0, busy: true, peer: '127.0.0.1:4001', path: 'big.iso', jobs: 1, files: 1 },
        { id: 1, busy: true, peer: '127.0.0.1:4001', path: 'a/1.txt', jobs: 1, files: 20 },
        { id: 2, busy: true, peer: '127.0.0.1:4002', path: 'b/1.txt', jobs: 1, files: 32 },
      ] }, 0),
    ])
    const view = mountView(TransfersView)
    expect(view.find('.summary').text()).toBe('53 files in flight')
    const rows = view.findAll('[aria-label="Totals per peer"] tbody tr').map((tr) => tr.findAll('th, td').map((c) => c.text()))
    // The second peer's first files are still on their way: it has a row already.
    expect(rows).toEqual([
      ['127.0.0.1:4001', (1200).toLocaleString(), '1.2 MB', '21', '0'],
      ['127.0.0.1:4002', '0', '0 B', '32', '0'],
    ])
    expect(rows.reduce((n, row) => n + Number(row[3]), 0)).toBe(53)
    view.unmount()
  })

  it('draws one segment per slot, and groups slots past 128', () => {
    const small = mountView(RingBuffer, { used: 3, capacity: 8 })
    expect(small.findAll('path.slot')).toHaveLength(8)
    expect(small.findAll('path.slot-full')).toHaveLength(3)
    const large = mountView(RingBuffer, { used: 1024, capacity: 65536 })
    expect(large.findAll('path.slot')).toHaveLength(128)
    expect(large.findAll('path.slot-full')).toHaveLength(2)
    expect(large.text()).toContain('each segment is 512 slots')
  })
})

describe('the live feed', () => {
  const Host = defineComponent({
    setup(_props, { expose }) {
      // A frame that comes only when the test says: updates wait for it.
      const frames: Array<() => void> = []
      const feed = useLiveEvents((callback) => frames.push(callback))
      expose({ frames, feed })
      return () => h('div')
    },
  })

  it('starts from the snapshot, applies only newer events, in one update per frame, and unsubscribes on unmount', async () => {
    api.snapshot = { ...api.snapshot, seq: 10, peers: [{ key: '127.0.0.1:1', ip: '127.0.0.1', port: 1, state: 'online', since: 0 }] }
    const host = mountView(Host)
    const { frames } = host.vm as unknown as { frames: Array<() => void> }
    expect(api.subscribers).toBe(1)
    // Sent while the snapshot was on its way, and already in it: must not count twice.
    api.startAt(9)
    api.emit({ type: 'peer-joined', ip: '127.0.0.1', port: 1 })
    await flushPromises()
    const peers = usePeersStore()
    expect(peers.peers.map((p) => p.key)).toEqual(['127.0.0.1:1'])

    let updates = 0
    peers.$subscribe(() => updates++, { flush: 'sync' })
    for (let i = 0; i < 20; i++) api.emit(...Array.from({ length: 100 }, (_, j) => ({ type: 'peer-joined', ip: '127.0.0.1', port: 1000 + i * 100 + j })))
    expect(peers.peers).toHaveLength(1)
    frames.splice(0).forEach((frame) => frame())
    // One update takes the whole burst in; the newcomers then go on screen a few dozen per frame.
    expect(updates).toBe(1)
    await vi.waitFor(() => expect(peers.peers).toHaveLength(2001), { timeout: 5000 })

    host.unmount()
    expect(api.subscribers).toBe(0)
  })
})
