// @vitest-environment happy-dom
// Devices and members as a person meets them: this device's ID with a Copy button in Settings, the
// Device name field, Join with invite showing what a pasted invite says (or why not), and the
// server's Members screen: Invite a device, Accept / Refuse / Remove, live from main's events.
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../../src/renderer/src/App.vue'
import { usePeersStore } from '../../src/renderer/src/stores/peers'
import { describeEvent, categoryOf } from '../../src/renderer/src/describe-event'
import { useMembersStore } from '../../src/renderer/src/stores/members'
import { useEngineStore } from '../../src/renderer/src/stores/engine'
import { useSettingsStore } from '../../src/renderer/src/stores/settings'
import MembersView from '../../src/renderer/src/views/MembersView.vue'
import SettingsView from '../../src/renderer/src/views/SettingsView.vue'
import type { AppEvent, MemberView } from '../../src/shared/contract'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { RUNNING_SERVER, type TestApi } from '../helpers/window-api'
import { buttonNamed, byLabel, freshWindow, mountView } from '../helpers/window-view'

let api: TestApi
beforeEach(() => {
  api = freshWindow()
})

const button = (root: VueWrapper, name: string) => buttonNamed(root, name).element as HTMLButtonElement

const member = (over: Partial<MemberView>): MemberView => ({
  id: 'a'.repeat(64),
  deviceId: 'AAAAAAA-AAAAAAA',
  shortId: 'AAAAAAA',
  name: 'alice laptop',
  state: 'member',
  added: '2026-01-02T03:04:05.000Z',
  ...over,
})

describe('Settings: this device', () => {
  it("shows the device's ID read-only with a Copy button that copies it, and the Device name field", async () => {
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, name: 'studio laptop' } }
    await useSettingsStore().load()
    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const view = mountView(SettingsView)
    await flushPromises()
    const id = byLabel(view, "This device's ID")
    expect(id.value).toBe(api.device.id)
    expect(id.readOnly).toBe(true)
    button(view, "Copy this device's ID").click()
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith(api.device.id)
    expect(view.text()).toContain('Copied.')
    expect(byLabel(view, 'Device name').value).toBe('studio laptop')
    view.unmount()
  })

  it('says why the ID cannot be shown', async () => {
    api.device = { id: null, shortId: null, problem: '/config/device-key.pem is not a private key (PEM)' }
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    await flushPromises()
    expect(view.find('[role="alert"]').text()).toContain('device-key.pem is not a private key')
    expect(view.findAll('button').some((b) => b.attributes('aria-label') === "Copy this device's ID")).toBe(false)
    view.unmount()
  })

  it('refuses an empty device name next to the field, for a server too', async () => {
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    await view.find('input[value="server"]').setValue(true)
    const name = byLabel(view, 'Device name')
    expect(name.disabled).toBe(false)
    name.value = '   '
    name.dispatchEvent(new Event('input'))
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(view.find('#name-error').text()).toMatch(/Give this device a name/)
    expect(name.getAttribute('aria-invalid')).toBe('true')
    expect(api.saved).toEqual([])
    view.unmount()
  })
})

describe('Settings: Join with invite', () => {
  const INVITE = 'dbs1-aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp2bincuoskljvhvcu2vk5mvwxk622leoaacbgavaarid5ahpfppbq'

  it('shows the server, its short ID and the expiry of a pasted invite, or the exact refusal', async () => {
    api.invites.set(INVITE, { ok: true, serverId: 'AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS', serverShortId: 'AAAQEAY', addresses: ['192.168.1.20:4000'], expires: Date.UTC(2027, 0, 16, 8), member: false, usedAt: null })
    api.invites.set(`${INVITE.slice(0, -1)}a`, { ok: false, problem: 'mistyped', message: 'This invite is mistyped (a character is wrong, missing or extra): copy it again' })
    api.invites.set('dbs1-old', { ok: false, problem: 'expired', message: 'This invite expired 2020-01-01T00:00:00.000Z; ask for a new one' })
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    const field = byLabel(view, 'Join with invite')
    expect(field.disabled).toBe(false)
    expect(field.getAttribute('aria-describedby')).toContain('invite-details')
    const paste = async (text: string) => {
      field.value = text
      field.dispatchEvent(new Event('input'))
      await flushPromises()
      return document.getElementById('invite-details')!.textContent ?? ''
    }
    const details = await paste(INVITE)
    expect(details).toContain('192.168.1.20:4000')
    expect(details).toContain('AAAQEAY')
    expect(details).toContain(new Date(Date.UTC(2027, 0, 16, 8)).toLocaleString())
    expect(await paste(`${INVITE.slice(0, -1)}a`)).toBe('This invite is mistyped (a character is wrong, missing or extra): copy it again')
    expect(await paste('dbs1-old')).toContain('This invite expired')
    expect(await paste('hello')).toContain('Not an invite')
    expect(await paste('')).toBe('')
    // A server joins nobody: the field is off.
    await view.find('input[value="server"]').setValue(true)
    expect(field.disabled).toBe(true)
    view.unmount()
  })

  it("says the invite was used, by this device and when, once main says it joined with it; asked again when the client registers", async () => {
    const view = { ok: true as const, serverId: 'AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS', serverShortId: 'AAAQEAY', addresses: ['192.168.1.20:4000'], expires: Date.UTC(2027, 0, 16, 8) }
    api.invites.set(INVITE, { ...view, member: false, usedAt: null })
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, serverAddress: '192.168.1.20', folder: '/home/you/Shared', invite: INVITE } }
    await useSettingsStore().load()
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', connected: false })
    const wrapper = mountView(SettingsView)
    await flushPromises()
    const details = () => document.getElementById('invite-details')!.textContent ?? ''
    expect(details()).toContain('Valid until')

    const joined = Date.UTC(2027, 0, 15, 9, 30)
    api.invites.set(INVITE, { ...view, member: true, usedAt: joined })
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', connected: true })
    await flushPromises()
    expect(details()).toContain(`Usedby this device to join this server, ${new Date(joined).toLocaleString()}`)
    expect(details()).not.toContain('Valid until')
    expect(details()).toContain('AAAQEAY')

    // A member of that server already (accepted without this invite): it is not needed.
    api.invites.set(INVITE, { ...view, member: true, usedAt: null })
    useEngineStore().load({ ...RUNNING_SERVER, role: 'client', connected: false })
    await flushPromises()
    expect(details()).toContain('Not neededthis device is a member of this server already')
    expect(details()).not.toContain('Valid until')
    wrapper.unmount()
  })

  it('says why an invite cannot be used once, also after Save refuses it', async () => {
    const message = 'This invite is mistyped (a character is wrong, missing or extra): copy it again'
    api.invites.set('dbs1-garbage', { ok: false, problem: 'mistyped', message })
    api.answer = () => ({ ok: false, errors: { invite: message } })
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, serverAddress: '127.0.0.1', folder: '/home/you/Shared' } }
    await useSettingsStore().load()
    const view = mountView(SettingsView)
    const field = byLabel(view, 'Join with invite')
    field.value = 'dbs1-garbage'
    field.dispatchEvent(new Event('input'))
    await flushPromises()
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(field.getAttribute('aria-invalid')).toBe('true')
    expect(view.text().split(message).length - 1).toBe(1)
    view.unmount()
  })
})

describe('Members', () => {
  it('is a tab of the Server role only (History, of the Client role only)', async () => {
    const app = mountView(App)
    await flushPromises()
    expect(app.findAll('[role="tab"]').map((t) => t.text())).toEqual(['Peers', 'Transfers', 'Activity', 'History', 'Settings'])
    app.unmount()
    api.state = { ...api.state, settings: { ...DEFAULT_SETTINGS, role: 'server', port: 4000 } }
    const server = mountView(App)
    await flushPromises()
    expect(server.findAll('[role="tab"]').map((t) => t.text())).toEqual(['Peers', 'Members', 'Transfers', 'Activity', 'Settings'])
    server.unmount()
  })

  it('makes an invite and shows it with a Copy button and its expiry', async () => {
    const view = mountView(MembersView)
    await flushPromises()
    expect(view.text()).toContain('No device has joined or asked to yet')
    button(view, 'Invite a device').click()
    await flushPromises()
    const text = byLabel(view, 'Invite')
    expect(text.value).toBe('dbs1-test')
    button(view, 'Copy the invite')
    expect(view.text()).toContain(new Date(Date.UTC(2030, 0, 1)).toLocaleString())
    expect(view.text()).toContain('192.168.1.20:4000, 127.0.0.1:4000')
    // Once main's list says a device used it, it is no longer offered as valid.
    api.emit({ type: 'members', state: { revision: 1, members: [member({})], usedInvites: [{ key: 'e'.repeat(64), shortId: 'EEEEEEE', name: 'erin' }], problem: null } })
    await flushPromises()
    expect(view.find('#invite-valid').text()).toContain('Valid once, until')
    api.emit({ type: 'members', state: { revision: 2, members: [member({})], usedInvites: [{ key: 'f'.repeat(64), shortId: 'AAAAAAA', name: 'alice laptop' }], problem: null } })
    await flushPromises()
    expect(view.find('#invite-valid').text()).toMatch(/^Used by alice laptop \(AAAAAAA\): it lets no other device in\. Make another for the next device\.$/)
    expect(view.text()).not.toContain('Valid once')
    api.inviteAnswer = { ok: false, message: 'Invites are made by the server: choose Server in Settings and Save first.' }
    button(view, 'Invite a device').click()
    await flushPromises()
    expect(view.find('[role="alert"]').text()).toContain('choose Server in Settings')
    view.unmount()
  })

  it('lists each device with its state; Accept and Refuse a request, Remove a member, through window.api', async () => {
    const bob = member({ id: 'b'.repeat(64), shortId: 'BBBBBBB', name: 'bob desktop', state: 'pending', address: '192.168.1.31:50000' })
    const carol = member({ id: 'c'.repeat(64), shortId: 'CCCCCCC', name: 'carol phone', state: 'pending' })
    api.members = { revision: 1, members: [member({}), bob, carol], usedInvites: [], problem: null }
    const view = mountView(MembersView)
    await flushPromises()
    const rows = view.findAll('tbody tr').map((r) => r.text())
    expect(rows[0]).toMatch(/alice laptop.*AAAAAAA.*member/)
    expect(rows[1]).toMatch(/bob desktop.*BBBBBBB.*192\.168\.1\.31:50000.*asks to join/)
    expect(view.findAll('button').map((b) => b.attributes('aria-label')).filter(Boolean)).toEqual([
      'Remove alice laptop',
      'Accept bob desktop',
      'Refuse bob desktop',
      'Accept carol phone',
      'Refuse carol phone',
    ])
    button(view, 'Accept bob desktop').click()
    await flushPromises()
    button(view, 'Refuse carol phone').click()
    await flushPromises()
    button(view, 'Remove alice laptop').click()
    await flushPromises()
    expect(api.actions).toEqual([`accept ${'b'.repeat(64)}`, `refuse ${'c'.repeat(64)}`, `remove ${'a'.repeat(64)}`])
    expect(view.findAll('tbody tr').map((r) => r.find('.member-state').text())).toEqual(['removed', 'member', 'refused'])
    view.unmount()
  })

  it('shows a member online under a new name (renamed in its Settings) by that name, with the one it joined with beside it', async () => {
    const bob = member({ id: 'b'.repeat(64), deviceId: 'BBBBBBB-BBBBBBB', shortId: 'BBBBBBB', name: 'bob' })
    api.members = { revision: 1, members: [member({}), bob], usedInvites: [], problem: null }
    usePeersStore().load([
      { key: '10.0.0.2:4001', ip: '10.0.0.2', port: 4001, state: 'online', since: 0, id: 'BBBBBBB-BBBBBBB', name: 'bobby the builder' },
      { key: '10.0.0.3:4001', ip: '10.0.0.3', port: 4001, state: 'online', since: 0, id: 'AAAAAAA-AAAAAAA', name: 'alice laptop' },
    ])
    const view = mountView(MembersView)
    await flushPromises()
    expect(view.findAll('tbody th').map((th) => th.text().replace(/\s+/g, ' '))).toEqual(['alice laptop', 'bobby the builder (joined as bob)'])
    expect(view.findAll('button').map((b) => b.attributes('aria-label')).filter(Boolean)).toEqual(['Remove alice laptop', 'Remove bobby the builder'])
    view.unmount()
  })

  it('follows the list main sends (a change from a terminal), keeps the newest, and unsubscribes on unmount', async () => {
    const before = api.subscribers
    const view = mountView(MembersView)
    await flushPromises()
    expect(api.subscribers).toBe(before + 1)
    api.emit({ type: 'members', state: { revision: 5, members: [member({ state: 'pending', name: 'dave' })], usedInvites: [], problem: null } })
    await flushPromises()
    expect(view.find('tbody').text()).toContain('dave')
    // An older list (a reply overtaken by an event) does not undo a newer one.
    api.emit({ type: 'members', state: { revision: 4, members: [], usedInvites: [], problem: null } })
    await flushPromises()
    expect(useMembersStore().members.map((m) => m.name)).toEqual(['dave'])
    view.unmount()
    expect(api.subscribers).toBe(before)
  })
})

describe('Activity lines for devices', () => {
  const at = (e: Record<string, unknown>) => ({ at: 0, seq: 1, ...e }) as AppEvent
  it('describes join requests, members added and removed, and this device being removed', () => {
    expect(describeEvent(at({ type: 'join-request', id: 'AAAQEAY-X', name: 'bob', address: '192.168.1.31:50000' }))).toBe('bob (AAAQEAY-X) asks to join from 192.168.1.31:50000; answer it under Members')
    expect(describeEvent(at({ type: 'member-added', id: 'AAAQEAY-X', name: 'bob' }))).toBe('bob (AAAQEAY-X) is now a member')
    expect(describeEvent(at({ type: 'member-removed', id: 'AAAQEAY-X', name: '' }))).toBe('(no name) (AAAQEAY-X) was removed from the members')
    expect(describeEvent(at({ type: 'removed', message: "127.0.0.1:4000 says: this device was removed from the server's members" }))).toBe("Removed: 127.0.0.1:4000 says: this device was removed from the server's members")
    expect(categoryOf(at({ type: 'join-request', id: 'x', name: 'bob', address: 'a' }))).toBe('members')
    expect(categoryOf(at({ type: 'removed', message: 'gone' }))).toBe('problems')
    expect(describeEvent(at({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, name: 'bob', id: 'X' }))).toBe('bob (127.0.0.1:4001) joined')
  })

  it('a machine not set up yet is no client: its role is only the form’s default', () => {
    const status = { role: 'client', message: 'Open Settings, choose this machine’s role (Server or Client), fill in what it needs and Save.', listening: null, self: null, server: null, connected: false, addresses: [] }
    expect(describeEvent(at({ type: 'status', status: { ...status, state: 'unconfigured' } }))).toBe(`Not set up: ${status.message}`)
    expect(describeEvent(at({ type: 'status', status: { ...status, state: 'failed', message: 'Cannot start the client: port 4000 is already in use' } }))).toBe('Client failed: Cannot start the client: port 4000 is already in use')
  })
})
