// @vitest-environment happy-dom
// Issue 21's control in the window: Pause / Resume for the whole client in the status line and for
// each peer in its row, shown from the snapshot the window starts from; Rescan now; Open folder
// (a path with Copy where no file manager opens it); a held mass delete with its Confirm.
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../../src/renderer/src/App.vue'
import type { EngineStatus, PeerView } from '../../src/shared/contract'
import { RUNNING_SERVER, type TestApi } from '../helpers/window-api'
import { buttonNamed as button, freshWindow, mountView } from '../helpers/window-view'

const CLIENT: EngineStatus = { ...RUNNING_SERVER, role: 'client', self: '10.0.0.1:4100', server: '10.0.0.9:4000', connected: true }
const BOB: PeerView = { key: '10.0.0.2:4001', ip: '10.0.0.2', port: 4001, state: 'synced', since: 0 }
// Named: its buttons are named as its row shows it (BOB's name is not known yet).
const ANN: PeerView = { key: '10.0.0.3:4001', ip: '10.0.0.3', port: 4001, state: 'synced', since: 0, name: 'ann' }
const BOB_ID = 'BOBBBBB-BBBBBBB-BBBBBBB-BBBBBBB-BBBBBBB-BBBBBBB-BBBBBBB-BBBBBBB'

let api: TestApi
beforeEach(() => {
  api = freshWindow()
  api.snapshot = { ...api.snapshot, status: CLIENT, peers: [BOB, ANN] }
})

async function openApp(): Promise<VueWrapper> {
  const app = mountView(App)
  await flushPromises()
  return app
}

const row = (app: VueWrapper, peer: PeerView) => app.findAll('tbody tr').find((r) => r.find('th').text().includes(peer.key))!
const status = (app: VueWrapper) => app.find('[role="status"].status')

describe('pausing', () => {
  it('a client paused before the window opened says so at once, in the status line and on every row; Resume asks main', async () => {
    api.snapshot = { ...api.snapshot, control: { paused: true, pausedPeers: [], held: [] } }
    const app = await openApp()
    expect(status(app).text()).toContain('Client paused: nothing is fetched from peers until you resume')
    expect(status(app).classes()).toContain('status-warning')
    expect(row(app, BOB).text()).toContain('paused (all)')
    expect(row(app, ANN).text()).toContain('paused (all)')
    await button(app, 'Resume syncing').trigger('click')
    await flushPromises()
    expect(api.controls).toEqual([{ command: 'resume' }])
    // The engine's event is what changes the screen.
    api.emit({ type: 'resumed' })
    await vi.waitFor(() => expect(status(app).text()).toContain('Client running as 10.0.0.1:4100'))
    expect(row(app, BOB).text()).not.toContain('paused')
    button(app, 'Pause syncing')
    app.unmount()
  })

  it("pauses one peer from its row, by its address; the row says so once the engine does; a refusal shows beside it", async () => {
    const app = await openApp()
    await button(app, `Pause mirroring ${BOB.key}`).trigger('click')
    await flushPromises()
    expect(api.controls).toEqual([{ command: 'pause', peer: BOB.key }])
    api.emit({ type: 'paused', peer: BOB.key, id: BOB_ID, name: 'bob' })
    await vi.waitFor(() => expect(row(app, BOB).find('.peer-paused').text()).toBe('paused'))
    expect(row(app, ANN).find('.peer-paused').exists()).toBe(false)
    expect(status(app).text()).not.toContain('paused')

    api.controlAnswer = { ok: false, error: 'No peer matches "10.0.0.2:4001"' }
    await button(app, `Resume mirroring ${BOB.key}`).trigger('click')
    await flushPromises()
    expect(api.controls.at(-1)).toEqual({ command: 'resume', peer: BOB.key })
    expect(row(app, BOB).find('[role="alert"]').text()).toBe('No peer matches "10.0.0.2:4001"')
    app.unmount()
  })

  it('a server has no Pause: its peers are clients it does not mirror', async () => {
    api.snapshot = { ...api.snapshot, status: RUNNING_SERVER }
    const app = await openApp()
    expect(app.findAll('button').filter((b) => /pause|resume|rescan|open/i.test(b.attributes('aria-label') ?? b.text()))).toEqual([])
    app.unmount()
  })
})

describe('Rescan now and Open folder', () => {
  it('rescans and says what the engine answered', async () => {
    api.controlAnswer = { ok: true, message: 'looking at the shared folder and every watched mirror now' }
    const app = await openApp()
    await button(app, 'Rescan now').trigger('click')
    await flushPromises()
    expect(api.controls).toEqual([{ command: 'rescan' }])
    expect(app.find('.client-controls').text()).toContain('Looking at the shared folder and every watched mirror now')
    app.unmount()
  })

  it('in a browser, shows the folder with a Copy button (the shared one, and a peer\'s mirror); opened by the desktop, nothing more', async () => {
    const app = await openApp()
    await button(app, 'Open the shared folder').trigger('click')
    await flushPromises()
    expect(api.opened).toEqual([null])
    expect(app.find('.client-controls .folder-path').text()).toBe('/home/you/Shared')
    button(app, 'Copy the path of the shared folder')
    await button(app, 'Close the path of the shared folder').trigger('click')
    expect(app.find('.client-controls .folder-path').exists()).toBe(false)

    api.openAnswer = { ok: true, path: '/home/you/Shared-mirrors/bob-BOBBBBB', opened: false }
    await button(app, `Open the mirror of ${BOB.key}`).trigger('click')
    await flushPromises()
    expect(api.opened).toEqual([null, BOB.key])
    expect(row(app, BOB).find('.folder-path').text()).toBe('/home/you/Shared-mirrors/bob-BOBBBBB')
    button(app, `Copy the path of the mirror of ${BOB.key}`)

    api.openAnswer = { ok: true, path: '/home/you/Shared-mirrors/ann-ANNNNNN', opened: true }
    await button(app, `Open the mirror of ann (${ANN.key})`).trigger('click')
    await flushPromises()
    expect(row(app, ANN).find('.folder-answer').exists()).toBe(false)

    api.openAnswer = { ok: false, error: 'The client is not running (stopped).' }
    await button(app, 'Open the shared folder').trigger('click')
    await flushPromises()
    expect(app.find('.client-controls .folder-answer').text()).toContain('The client is not running (stopped).')
    app.unmount()
  })
})

describe('a held mass delete', () => {
  it('is shown from the snapshot with Confirm, which names the device; it goes once the engine says so', async () => {
    api.snapshot = { ...api.snapshot, control: { paused: false, pausedPeers: [], held: [{ id: BOB_ID, name: 'bob', peer: BOB.key, files: 1200, held: 300, total: 2000 }] } }
    const app = await openApp()
    const held = app.find('[aria-label="Deletions held"]')
    expect(held.text()).toContain(`bob (${BOB.key}) deleted ${(1200).toLocaleString()} of its ${(2000).toLocaleString()} files at once.`)
    expect(held.text()).toContain('Its mirror keeps the last 300 until you confirm (the first 900 went before the limit was reached, into the mirror history)')
    expect(row(app, BOB).text()).toContain('300 deletions held')
    await button(app, `Confirm the deletions of bob (${BOB.key})`).trigger('click')
    await flushPromises()
    expect(api.controls).toEqual([{ command: 'confirm', peer: BOB_ID }])
    api.emit({ type: 'mass-delete-cleared', peer: BOB.key, id: BOB_ID, name: 'bob', confirmed: true })
    await vi.waitFor(() => expect(app.find('[aria-label="Deletions held"]').exists()).toBe(false))
    app.unmount()
  })

  it('counts one deletion in the singular and thousands with separators', async () => {
    api.snapshot = { ...api.snapshot, control: { paused: false, pausedPeers: [], held: [{ id: BOB_ID, name: 'bob', peer: BOB.key, files: 1, held: 1, total: 1200 }] } }
    const app = await openApp()
    expect(app.find('[aria-label="Deletions held"]').text()).toContain(`bob (${BOB.key}) deleted 1 of its ${(1200).toLocaleString()} files at once.`)
    expect(row(app, BOB).text()).toContain('1 deletion held')
    app.unmount()
  })
})

describe('not connected to the server', () => {
  it('a client the server shut out (removed, refused: it stops asking) has Try again in the status line, which starts the engine again', async () => {
    const message = "10.0.0.9:4000 says: this device was removed from the server's members; it may come back only with a new invite or if the operator accepts it again"
    api.snapshot = { ...api.snapshot, status: { ...CLIENT, connected: false, self: null, message } }
    const restart = vi.spyOn(api, 'restartEngine')
    const app = await openApp()
    expect(status(app).text()).toContain(message)
    await button(app, 'Try again').trigger('click')
    await flushPromises()
    expect(restart).toHaveBeenCalledTimes(1)
    app.unmount()
  })
})
