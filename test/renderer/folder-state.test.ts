// @vitest-environment happy-dom
// Where each folder stands, in the window: the words for a mirror's state, the Peers screen's
// own-folder line and Mirror column with its list of what is still to come, a window that opens
// later starting from the snapshot's numbers, and the Transfers screen's preparing rows.
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { useLiveEvents } from '../../src/renderer/src/composables/use-live-events'
import { formatClock, formatWhen } from '../../src/renderer/src/format'
import { mirrorFacts, mirrorHeadline } from '../../src/renderer/src/mirror-words'
import { useEngineStore } from '../../src/renderer/src/stores/engine'
import { useFoldersStore } from '../../src/renderer/src/stores/folders'
import { usePeersStore } from '../../src/renderer/src/stores/peers'
import PeersView from '../../src/renderer/src/views/PeersView.vue'
import TransfersView from '../../src/renderer/src/views/TransfersView.vue'
import type { AppEvent, EngineStatus, MirrorStateView } from '../../src/shared/contract'
import { RUNNING_SERVER, type TestApi } from '../helpers/window-api'
import { mirror as syncingMirror, OWN } from '../helpers/folder-states'
import { freshWindow, mountView } from '../helpers/window-view'

let seq = 0
const ev = (event: Record<string, unknown>, at = 1000): AppEvent => ({ ...event, at, seq: ++seq }) as AppEvent
const CLIENT: EngineStatus = { ...RUNNING_SERVER, role: 'client', self: '127.0.0.1:5000', connected: true }

// Today: the list shows a time of day alone (another day gets its date too).
const mirror = (peer: string, fields: Partial<MirrorStateView> = {}): MirrorStateView => syncingMirror(peer, { lastChange: new Date().setHours(13, 4, 5, 0), ...fields })

let api: TestApi
beforeEach(() => {
  api = freshWindow()
})

describe('the words for a mirror', () => {
  const cases: Array<[Partial<MirrorStateView>, string]> = [
    [{ phase: 'up-to-date', needFiles: 0, needBytes: 0 }, 'Up to date'],
    [{}, '3 files (3.0 MB) to come'],
    [{ needFiles: 1, needBytes: 512 }, '1 file (512 B) to come'],
    [{ needFiles: 0, needBytes: 0, removeFiles: 1200 }, `${(1200).toLocaleString()} files to remove`],
    [{ needFiles: 0, needBytes: 0 }, 'Syncing'],
    [{ phase: 'listing', needFiles: 0 }, 'Listing…'],
    [{ phase: 'listing' }, 'Listing… 3 files (3.0 MB) to come so far'],
    [{ phase: 'connecting' }, 'Connecting…'],
    [{ phase: 'paused' }, 'Paused'],
    [{ phase: 'waiting' }, 'Folder away; 3 files (3.0 MB) to come'],
  ]
  for (const [fields, words] of cases) it(`${JSON.stringify(fields)} → ${words}`, () => expect(mirrorHeadline(mirror('p', fields))).toBe(words))

  it('gives a change of another day its date', () => {
    const at = new Date(2026, 0, 2, 13, 4, 5).getTime()
    expect(formatWhen(at, new Date(2026, 0, 2, 20, 0).getTime())).toBe(formatClock(at))
    expect(formatWhen(at, new Date(2026, 0, 3, 9, 0).getTime())).toMatch(/2026.*13:04:05/)
  })

  it('says what the mirror holds, what failed, and when it changed', () => {
    expect(mirrorFacts(mirror('p'), () => '13:04:05')).toBe('10 files, 1.0 KB · changed 13:04:05')
    expect(mirrorFacts(mirror('p', { files: 1, failedFiles: 2, lastChange: null }), () => '?')).toBe('1 file, 1.0 KB · 2 files failed · never changed')
  })
})

describe('the Peers screen', () => {
  function peersWith(...keys: string[]): void {
    usePeersStore().load(keys.map((key) => ({ key, ip: key.split(':')[0]!, port: Number(key.split(':')[1]), state: 'syncing' as const, since: 0 })))
  }

  it("shows what is wrong with this machine's .syncignore until a folder-state says it is fixed", async () => {
    useEngineStore().load(CLIENT)
    const folders = useFoldersStore()
    const skipped = '/home/me/Shared/.syncignore: line 2 ("!") is a "!" with no pattern after it: the ignore rules skip such a line, so it ignores nothing; the file\'s other lines are in force. Fix it or take it out.'
    folders.apply([ev({ type: 'folder-state', ...OWN, ignoreProblem: skipped })])
    const view = mountView(PeersView)
    expect(view.get('[data-testid="own-ignore-problem"]').text()).toBe(`.syncignore is not all in force. ${skipped} Edit it in Settings → Ignore patterns (or in the file itself); this goes once it is fixed.`)
    // Another problem in its place; then fixed (or removed): gone.
    folders.apply([ev({ type: 'folder-state', ...OWN, ignoreProblem: '/home/me/Shared/.syncignore is not used: it is not valid UTF-8; the previous rules stay in force' })])
    await flushPromises()
    expect(view.get('[data-testid="own-ignore-problem"]').text()).toContain('not valid UTF-8; the previous rules stay in force. Edit it')
    folders.apply([ev({ type: 'folder-state', ...OWN })])
    await flushPromises()
    expect(view.find('[data-testid="own-ignore-problem"]').exists()).toBe(false)
  })

  it("shows this machine's folder, each mirror's state, and lists what is still to come from a peer", async () => {
    useEngineStore().load(CLIENT)
    peersWith('127.0.0.1:4001', '127.0.0.1:4002')
    const folders = useFoldersStore()
    folders.apply([
      ev({ type: 'folder-state', ...OWN, scanning: true }),
      ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001') }),
      ev({ type: 'mirror-state', ...mirror('127.0.0.1:4002', { phase: 'up-to-date', needFiles: 0, needBytes: 0 }) }),
    ])
    api.toCome.set('127.0.0.1:4001', {
      ok: true,
      peer: '127.0.0.1:4001',
      files: [
        { path: 'a/one.bin', size: 1_000_000 },
        { path: 'b/two.bin', size: 2_000_000 },
      ],
      total: 3,
      bytes: 3_000_000,
      complete: true,
    })
    const view = mountView(PeersView)
    const own = view.get('[data-testid="own-folder"]')
    expect(own.text()).toContain('/home/me/Shared')
    expect(own.get('[data-testid="own-files"]').text()).toBe(`${(1234).toLocaleString()} files`)
    expect(own.get('[data-testid="own-ignored"]').text()).toBe('12 ignored')
    expect(own.get('[data-testid="own-state"]').text()).toBe('Scanning…')
    folders.apply([ev({ type: 'folder-state', ...OWN })])
    await flushPromises()
    expect(view.get('[data-testid="own-state"]').text()).toBe('Watching for changes')
    // Gone, it shares nothing: no counts of what it held beside "Folder gone".
    folders.apply([ev({ type: 'folder-state', ...OWN, missing: true })])
    await flushPromises()
    expect(view.get('[data-testid="own-state"]').text()).toBe('Folder gone')
    expect(view.find('[data-testid="own-files"]').exists()).toBe(false)
    expect(view.find('[data-testid="own-ignored"]').exists()).toBe(false)
    folders.apply([ev({ type: 'folder-state', ...OWN })])
    await flushPromises()

    const rows = view.findAll('tbody tr')
    expect(view.findAll('thead th').map((th) => th.text())).toEqual(['Peer', 'State', 'Last change', 'Mirror'])
    expect(rows[0]!.get('.peer-mirror').text()).toMatch(/3 files \(3\.0 MB\) to come\s*List\s*10 files, 1\.0 KB · changed 13:04:05/)
    expect(rows[1]!.get('.peer-mirror').text()).toContain('Up to date')
    // Nothing to list for a mirror that is up to date.
    expect(rows[1]!.find('.peer-mirror button').exists()).toBe(false)

    await rows[0]!.get('button[aria-label="List what is still to come from 127.0.0.1:4001"]').trigger('click')
    await flushPromises()
    expect(api.toComeAsked).toEqual(['127.0.0.1:4001'])
    const dialog = view.get('[role="dialog"]')
    expect(dialog.get('h3').text()).toBe('Still to come from 127.0.0.1:4001')
    expect(dialog.get('.to-come-total').text()).toBe('3 files, 3.0 MB')
    expect(dialog.findAll('tbody tr').map((tr) => tr.findAll('td').map((td) => td.text()))).toEqual([
      ['a/one.bin', '1.0 MB'],
      ['b/two.bin', '2.0 MB'],
    ])
    expect(dialog.text()).toContain('…and 1 more file.')
    expect(document.activeElement?.textContent).toBe('Close')
    // Refresh asks again; Escape closes.
    await dialog.findAll('button').find((b) => b.text() === 'Refresh')!.trigger('click')
    await flushPromises()
    expect(api.toComeAsked).toEqual(['127.0.0.1:4001', '127.0.0.1:4001'])
    await view.get('[role="dialog"]').trigger('keydown', { key: 'Escape' })
    expect(view.find('[role="dialog"]').exists()).toBe(false)

    // A peer not mirrored: the reason, in words.
    folders.openToCome('127.0.0.1:4002')
    await flushPromises()
    expect(view.get('[role="dialog"]').text()).toContain('This client does not mirror 127.0.0.1:4002.')
    view.unmount()
  })

  it('names the peer in the List button and the dialog as its row does; the dialog keeps Tab inside and gives the focus back when shut', async () => {
    useEngineStore().load(CLIENT)
    usePeersStore().load([{ key: '127.0.0.1:4001', ip: '127.0.0.1', port: 4001, state: 'syncing', since: 0, name: 'alice' }])
    useFoldersStore().apply([ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001') })])
    api.toCome.set('127.0.0.1:4001', { ok: true, peer: '127.0.0.1:4001', files: [], total: 3, bytes: 3_000_000, complete: false })
    const view = mountView(PeersView)
    const list = view.get('button[aria-label="List what is still to come from alice (127.0.0.1:4001)"]')
    ;(list.element as HTMLElement).focus()
    await list.trigger('click')
    await flushPromises()
    const dialog = view.get('[role="dialog"]')
    expect(dialog.get('h3').text()).toBe('Still to come from alice (127.0.0.1:4001)')
    const [refresh, close] = dialog.findAll('button')
    expect(document.activeElement).toBe(close!.element)
    await close!.trigger('keydown', { key: 'Tab' })
    expect(document.activeElement).toBe(refresh!.element)
    await refresh!.trigger('keydown', { key: 'Tab', shiftKey: true })
    expect(document.activeElement).toBe(close!.element)
    await dialog.trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(view.find('[role="dialog"]').exists()).toBe(false)
    expect(document.activeElement).toBe(list.element)
    view.unmount()
  })

  it('says above the list that a mirror cannot be written, until every file still to come is in', async () => {
    useEngineStore().load(CLIENT)
    usePeersStore().load([{ key: '127.0.0.1:4001', ip: '127.0.0.1', port: 4001, state: 'syncing', since: 0, name: 'alice' }])
    const folders = useFoldersStore()
    const message =
      "cannot write into /home/me/Shared-mirrors/alice-AAAAAAA: its disk is read-only. The files from alice (127.0.0.1:4001) wait, and come by themselves once it is writable again (could not write new1.txt from 127.0.0.1:4001: EROFS: read-only file system, open '/home/me/Shared-mirrors/alice-AAAAAAA/.dbs-tmp-1')"
    folders.apply([ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001') }), ev({ type: 'error', code: 'write-failed', message, peer: '127.0.0.1:4001' })])
    const view = mountView(PeersView)
    const notice = () => view.find('[aria-label="Mirrors that cannot be written"]')
    expect(notice().text()).toBe(`The mirror of alice (127.0.0.1:4001) cannot be written. C${message.slice(1)}`)
    // Said once by the engine: it stays while the files wait, whatever else the mirror reports.
    folders.apply([ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001', { needFiles: 2 }) })])
    await flushPromises()
    expect(notice().exists()).toBe(true)
    folders.apply([ev({ type: 'mirror-state', ...mirror('127.0.0.1:4001', { phase: 'up-to-date', needFiles: 0, needBytes: 0 }) })])
    await flushPromises()
    expect(notice().exists()).toBe(false)
    // Another code, or no mirror of that peer: nothing to say here.
    folders.apply([ev({ type: 'error', code: 'hash-mismatch', message: 'lied', peer: '127.0.0.1:4001' }), ev({ type: 'error', code: 'write-failed', message, peer: '127.0.0.1:9' })])
    await flushPromises()
    expect(notice().exists()).toBe(false)
    view.unmount()
  })

  it('a server has no own folder and no Mirror column', () => {
    useEngineStore().load(RUNNING_SERVER)
    peersWith('127.0.0.1:4001')
    const view = mountView(PeersView)
    expect(view.find('[data-testid="own-folder"]').exists()).toBe(false)
    expect(view.findAll('thead th').map((th) => th.text())).toEqual(['Peer', 'State', 'Last change'])
    view.unmount()
  })

  it('a window opened later starts from the numbers in the snapshot', async () => {
    api.snapshot = { ...api.snapshot, seq: 5, status: CLIENT, folders: { own: OWN, mirrors: [mirror('127.0.0.1:4001')], preparing: [] } }
    const Host = defineComponent({
      setup() {
        useLiveEvents((callback) => callback())
        return () => h('div')
      },
    })
    const host = mountView(Host)
    await flushPromises()
    const folders = useFoldersStore()
    expect(folders.own).toEqual(OWN)
    expect(folders.mirrors.get('127.0.0.1:4001')).toEqual(mirror('127.0.0.1:4001'))
    host.unmount()
  })
})

describe('the Transfers screen', () => {
  it('shows a file being hashed as preparing, instead of "nothing is being copied"', async () => {
    useEngineStore().load(CLIENT)
    const view = mountView(TransfersView)
    expect(view.text()).toContain('Nothing is being copied right now')
    useFoldersStore().apply([ev({ type: 'preparing', files: [{ path: 'video/big.iso', bytes: 500_000_000, total: 2_000_000_000 }] })])
    await flushPromises()
    expect(view.text()).not.toContain('Nothing is being copied')
    const row = view.get('[aria-label="Preparing to share"] li')
    expect(row.get('progress').attributes('aria-label')).toBe('Preparing video/big.iso')
    expect(row.get('progress').attributes('value')).toBe('500000000')
    expect(row.text()).toContain('preparing')
    expect(row.get('.transfer-meta').text()).toContain('500 MB of 2.0 GB hashed (25%)')
    useFoldersStore().apply([ev({ type: 'preparing', files: [] })])
    await flushPromises()
    expect(view.find('[aria-label="Preparing to share"]').exists()).toBe(false)
    expect(view.text()).toContain('Nothing is being copied right now')
    view.unmount()
  })
})
