// @vitest-environment happy-dom
// Issue 21's window parts: the Engine panel (closed by default, remembered, an accessible
// toggle), the folder browser the headless page offers instead of a native dialog, the Notify me
// switch asking the browser's permission, and the page's notifications for what needs the user.
import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defineComponent } from 'vue'
import EnginePanel from '../../src/renderer/src/components/EnginePanel.vue'
import FolderBrowser from '../../src/renderer/src/components/FolderBrowser.vue'
import { useDesktopNotifications } from '../../src/renderer/src/composables/use-desktop-notifications'
import { useSettingsStore } from '../../src/renderer/src/stores/settings'
import SettingsView from '../../src/renderer/src/views/SettingsView.vue'
import type { FolderListing } from '../../src/shared/contract'
import type { NotificationText } from '../../src/shared/notifications'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import type { TestApi } from '../helpers/window-api'
import { freshWindow, mountView } from '../helpers/window-view'

let api: TestApi
beforeEach(() => {
  api = freshWindow()
  window.localStorage.clear()
})

const WORKERS = [{ id: 0, busy: true, peer: '127.0.0.1:4001', path: 'a.txt' }, { id: 1, busy: false }]

describe('the Engine panel', () => {
  it('is closed by default, opens and closes with a button that says so, and remembers it', async () => {
    const panel = mountView(EnginePanel, { buffer: { used: 1, capacity: 4 }, workers: WORKERS })
    const toggle = panel.get('button')
    expect(toggle.text()).toContain('Engine')
    expect(toggle.attributes('aria-expanded')).toBe('false')
    expect(document.getElementById(toggle.attributes('aria-controls')!)!.hidden).toBe(true)
    expect(panel.find('.workers').exists()).toBe(false)

    await toggle.trigger('click')
    expect(toggle.attributes('aria-expanded')).toBe('true')
    expect(document.getElementById('engine-body')!.hidden).toBe(false)
    expect(panel.find('[aria-label="Ring buffer: 1 of 4 slots in use"]').exists()).toBe(true)
    expect(panel.findAll('.workers li')).toHaveLength(2)
    panel.unmount()

    // A reload (a new mount) opens it as it was left; closing it is remembered too.
    const again = mountView(EnginePanel, { buffer: null, workers: [] })
    expect(again.get('button').attributes('aria-expanded')).toBe('true')
    expect(again.text()).toContain('Shown once this client mirrors a peer.')
    await again.get('button').trigger('click')
    again.unmount()
    expect(mountView(EnginePanel, { buffer: null, workers: [] }).get('button').attributes('aria-expanded')).toBe('false')
  })
})

const HOME: FolderListing = {
  ok: true,
  path: '/home/you',
  parent: '/home',
  home: '/home/you',
  folders: [
    { name: 'Documents', path: '/home/you/Documents', hidden: false, readable: true },
    { name: 'locked', path: '/home/you/locked', hidden: false, readable: false },
    { name: '.cache', path: '/home/you/.cache', hidden: true, readable: true },
  ],
}
const DOCUMENTS: FolderListing = { ok: true, path: '/home/you/Documents', parent: '/home/you', home: '/home/you', folders: [{ name: 'Shared', path: '/home/you/Documents/Shared', hidden: false, readable: true }] }

describe('the folder browser', () => {
  it('starts at home, hides hidden folders until asked, does not open unreadable ones, goes in and up, and chooses', async () => {
    api.folders.set(null, HOME).set('/home/you/Documents', DOCUMENTS).set('/home/you', HOME)
    const browser = mountView(FolderBrowser, { label: 'Folder', start: '', browserId: 'b' })
    await flushPromises()
    expect(api.listed).toEqual([null])
    expect(browser.attributes('role')).toBe('dialog')
    expect(browser.find('.browser-path').text()).toBe('/home/you')
    const names = () => browser.findAll('.browser-folder').map((b) => b.text())
    expect(names()).toEqual(['Documents', 'locked'])
    expect(browser.findAll('.browser-folder')[1]!.attributes('disabled')).toBeDefined()
    expect(browser.text()).toContain('cannot be read')
    await browser.get('input[type="checkbox"]').setValue(true)
    expect(names()).toEqual(['Documents', 'locked', '.cache'])

    await browser.findAll('.browser-folder')[0]!.trigger('click')
    await flushPromises()
    expect(browser.find('.browser-path').text()).toBe('/home/you/Documents')
    await browser.get('button[aria-label="Up one folder"]').trigger('click')
    await flushPromises()
    expect(api.listed).toEqual([null, '/home/you/Documents', '/home/you'])
    await browser.findAll('.browser-folder')[0]!.trigger('click')
    await flushPromises()
    await browser.findAll('button').find((b) => b.text() === 'Choose this folder')!.trigger('click')
    expect(browser.emitted('choose')).toEqual([['/home/you/Documents']])
    browser.unmount()
  })

  it("says why a folder cannot be listed and stays where it was; starts at home when the field's folder is gone", async () => {
    api.folders.set(null, HOME).set('/gone', { ok: false, path: '/gone', home: '/home/you', message: 'Cannot list /gone: it does not exist.' })
    const browser = mountView(FolderBrowser, { label: 'Folder', start: '/gone', browserId: 'b' })
    await flushPromises()
    expect(api.listed).toEqual(['/gone', null])
    expect(browser.get('[role="alert"]').text()).toBe('Cannot list /gone: it does not exist.')
    expect(browser.find('.browser-path').text()).toBe('/home/you')
    await browser.findAll('button').find((b) => b.text() === 'Cancel')!.trigger('click')
    expect(browser.emitted('cancel')).toHaveLength(1)
    browser.unmount()
  })

  it('in Settings: a Browse… button beside Folder and Mirror folder (no native picker) fills the field', async () => {
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, role: 'client' } }
    api.folders.set(null, HOME).set('/home/you/Documents', DOCUMENTS)
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    expect(view.findAll('button').filter((b) => b.text() === 'Choose…')).toHaveLength(0)
    const browse = view.get('button[aria-label="Browse for Mirror folder"]')
    expect(view.find('button[aria-label="Browse for Folder"]').exists()).toBe(true)
    expect(browse.attributes('aria-expanded')).toBe('false')
    await browse.trigger('click')
    await flushPromises()
    expect(browse.attributes('aria-expanded')).toBe('true')
    const dialog = view.get('[role="dialog"][aria-label="Browse for Mirror folder"]')
    await dialog.findAll('.browser-folder')[0]!.trigger('click')
    await flushPromises()
    await dialog.findAll('button').find((b) => b.text() === 'Choose this folder')!.trigger('click')
    await flushPromises()
    expect((document.getElementById('mirrorFolder') as HTMLInputElement).value).toBe('/home/you/Documents')
    expect(view.find('[role="dialog"]').exists()).toBe(false)
    view.unmount()
  })

  it('the desktop app keeps its native picker: no Browse… button', async () => {
    api.state = { ...api.state, canChooseFolder: true, settings: { ...DEFAULT_SETTINGS, role: 'client' } }
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    expect(view.find('button[aria-label="Choose Folder"]').exists()).toBe(true)
    expect(view.find('button[aria-label="Browse for Folder"]').exists()).toBe(false)
    view.unmount()
  })
})

/** The browser's Notification as far as the page uses it: a permission, a request, and what was shown. */
class FakeNotification {
  static permission: NotificationPermission = 'default'
  static answer: NotificationPermission = 'granted'
  static asked = 0
  static shown: Array<{ title: string; body?: string; tag?: string }> = []
  static async requestPermission(): Promise<NotificationPermission> {
    FakeNotification.asked++
    FakeNotification.permission = FakeNotification.answer
    return FakeNotification.permission
  }
  constructor(title: string, options: { body?: string; tag?: string } = {}) {
    FakeNotification.shown.push({ title, ...options })
  }
}

describe('Notify me', () => {
  const original = (globalThis as { Notification?: unknown }).Notification
  beforeEach(() => {
    Object.assign(FakeNotification, { permission: 'default', answer: 'granted', asked: 0, shown: [] })
    ;(globalThis as { Notification?: unknown }).Notification = FakeNotification
  })
  afterEach(() => {
    ;(globalThis as { Notification?: unknown }).Notification = original
  })

  it('is off by default; turning it on asks the browser once, and a refusal is explained', async () => {
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, role: 'server' } }
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    const toggle = view.get('input#notify')
    expect(toggle.attributes('role')).toBe('switch')
    expect((toggle.element as HTMLInputElement).checked).toBe(false)
    FakeNotification.answer = 'denied'
    await toggle.setValue(true)
    await flushPromises()
    expect(FakeNotification.asked).toBe(1)
    expect(useSettingsStore().draft.notify).toBe(true)
    expect(view.get('#notify-permission').text()).toContain('blocks notifications')
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(api.saved.at(-1)?.notify).toBe(true)
    view.unmount()
  })

  it('the desktop app notifies natively: the page asks for no permission', async () => {
    api.state = { ...api.state, nativeNotifications: true }
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    await view.get('input#notify').setValue(true)
    await flushPromises()
    expect(FakeNotification.asked).toBe(0)
    view.unmount()
  })

  /** Uses the composable as App.vue does; `capture` records what it would show instead of the browser's Notification. */
  const Host = defineComponent({
    props: { capture: { type: Boolean, default: false } },
    setup(props, { expose }) {
      const shown: NotificationText[] = []
      if (props.capture) useDesktopNotifications((text) => shown.push(text))
      else useDesktopNotifications()
      expose({ shown })
      return () => null
    },
  })

  it('shows one notification per held mass delete, lasting write failure or missing folder, only while switched on', async () => {
    await useSettingsStore().load()
    const host = mountView(Host, { capture: true })
    const shown = (host.vm as unknown as { shown: NotificationText[] }).shown
    const events = [
      { type: 'mass-delete', peer: '10.0.0.5:4001', files: 1200, total: 2000 },
      { type: 'file-synced', peer: '10.0.0.5:4001', path: 'a', bytes: 1, version: 'x' },
      { type: 'error', code: 'write-failed', message: 'cannot write into the mirror: ENOSPC' },
      { type: 'error', code: 'write-failed', message: 'cannot write into the mirror: ENOSPC' },
      { type: 'error', code: 'server-unreachable', message: 'cannot reach the server' },
    ]
    api.emit(...events)
    expect(shown).toEqual([])
    api.state = { ...api.state, settings: { ...api.state.settings, notify: true } }
    await useSettingsStore().load()
    api.emit(...events, { type: 'error', code: 'folder-missing', message: 'the shared folder /s is gone' })
    expect(shown.map((n) => n.title)).toEqual(['Deletions held: 10.0.0.5:4001', 'Cannot write to the mirror', 'The shared folder is gone'])
    host.unmount()
    expect(api.subscribers).toBe(0)
  })

  it('in the page, shows them with the Web Notifications API once permission is granted', async () => {
    FakeNotification.permission = 'granted'
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, notify: true } }
    await useSettingsStore().load()
    const page = mountView(Host)
    api.emit({ type: 'error', code: 'folder-missing', message: 'the shared folder /s is gone' })
    expect(FakeNotification.shown).toEqual([{ title: 'The shared folder is gone', body: 'the shared folder /s is gone', tag: 'folder-missing' }])
    page.unmount()
  })
})
