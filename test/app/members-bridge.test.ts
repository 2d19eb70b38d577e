// The app's side of devices and members, for real: an AppCore on a config folder of its own, its
// identity made there, invites made and read back, the member store on disk changed through the
// bridge, and a second Membership on the same folder (as `dropbox-sync members` is) heard live.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BridgeError } from '../../src/main/app/bridge'
import type { AppCore } from '../../src/main/app/app-core'
import { loadOrCreateIdentity } from '../../src/main/engine/identity/device-identity'
import { decodeInvite } from '../../src/main/engine/identity/invite'
import { Membership } from '../../src/main/engine/identity/membership'
import { REQUEST, type RequestChannel } from '../../src/shared/channels'
import { contract, type AppEvent, type MemberView } from '../../src/shared/contract'
import { formatDeviceId, shortDeviceId } from '../../src/shared/device-id'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'
import { ClientNode } from '../../src/main/engine/client/client-node'
import { makeCore, WORKER_SCRIPT } from '../helpers/app-core'
import { EventLog } from '../helpers/events'
import { freePort } from '../helpers/ports'
import { removeTempDirs, tempDir } from '../helpers/temp'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  removeTempDirs()
})

function started() {
  const made = makeCore()
  cleanups.push(() => made.core.stop())
  return made
}

async function ask<C extends RequestChannel>(core: AppCore, channel: C, payload?: unknown) {
  return contract[channel].reply.parse(await core.handle(channel, payload)) as ReturnType<(typeof contract)[C]['reply']['parse']>
}

async function asServer(core: AppCore, port: number): Promise<void> {
  const settings: Settings = { ...DEFAULT_SETTINGS, role: 'server', port, listenAddress: '127.0.0.1' }
  expect((await ask(core, REQUEST.saveSettings, settings)).ok).toBe(true)
}

function membersOnDisk(dir: string): Array<{ id: string; state: string; name: string }> {
  return (JSON.parse(readFileSync(path.join(dir, 'members.json'), 'utf8')) as { members: Array<{ id: string; state: string; name: string }> }).members
}

const hex = (id: Uint8Array) => Buffer.from(id).toString('hex')
const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('this device', () => {
  it('is made in the config folder at start; the bridge gives its ID, the same one the CLI reads', async () => {
    const { core, configDir } = started()
    await core.start()
    const device = await ask(core, REQUEST.getDevice)
    const identity = await loadOrCreateIdentity(configDir)
    expect(identity.created).toBe(false)
    expect(device).toEqual({ id: identity.idText, shortId: shortDeviceId(identity.id), problem: null })
  })
})

describe('invites', () => {
  it('makes one that decodes to this server: its ID, its addresses and port, valid for a day; the list says who used it', async () => {
    const { core, configDir, log } = started()
    const port = await freePort()
    await asServer(core, port)
    const made = await ask(core, REQUEST.createInvite)
    if (!made.ok) throw new Error(made.message)
    const decoded = decodeInvite(made.invite, nowSeconds())
    if (!decoded.ok) throw new Error(decoded.message)
    const identity = await loadOrCreateIdentity(configDir)
    expect(Buffer.from(decoded.invite.serverId).equals(identity.id)).toBe(true)
    // Listening on 127.0.0.1 only, that is where it can be reached.
    expect(decoded.invite.addresses).toEqual([{ host: '127.0.0.1', port }])
    expect(made.addresses).toEqual([`127.0.0.1:${port}`])
    expect(made.expires).toBe(decoded.invite.expires * 1000)
    expect(made.expires - Date.now()).toBeGreaterThan(23.9 * 3600_000)
    // Single use: the store keeps its token's hash, and the invite is redeemed once.
    const membership = await Membership.open(configDir)
    const device = randomBytes(32)
    expect(await membership.redeemInvite(decoded.invite.token, device, 'laptop')).toBe('ok')
    expect(await membership.redeemInvite(decoded.invite.token, randomBytes(32), 'another')).toBe('used')
    // The Members screen hears who used it (redeemed by another process, as the engine or the CLI does).
    const used = { key: made.key, shortId: shortDeviceId(device), name: 'laptop' }
    await log.waitFor((e) => e.type === 'members' && e.state.usedInvites.some((u) => u.key === made.key), 'the list with the invite used')
    expect((await ask(core, REQUEST.listMembers)).usedInvites).toEqual([used])
    membership.close()
  })

  it("listening on every interface, names this machine's addresses then loopback, with the port it listens on", async () => {
    const { core } = started()
    expect((await ask(core, REQUEST.saveSettings, { ...DEFAULT_SETTINGS, role: 'server', port: 0 })).ok).toBe(true)
    const listening = (await ask(core, REQUEST.getSnapshot)).status.listening!
    const made = await ask(core, REQUEST.createInvite)
    expect(made).toMatchObject({ ok: true, addresses: [`192.0.2.10:${listening.port}`, `127.0.0.1:${listening.port}`] })
  })

  it('is refused with a reason for a client, or a server whose port is not known yet', async () => {
    const { core } = started()
    expect(await ask(core, REQUEST.createInvite)).toEqual({ ok: false, message: expect.stringContaining('choose Server in Settings') })
  })

  it('reads a pasted invite: server, short ID and expiry; or mistyped, expired, not an invite', async () => {
    const { core, configDir } = started()
    const identity = await loadOrCreateIdentity(configDir)
    const membership = await Membership.open(configDir)
    const addresses = [{ host: '192.168.1.20', port: 4000 }, { host: 'fd00::20', port: 4000 }]
    const invite = await membership.createInvite({ addresses, serverId: identity.id })
    const read = await ask(core, REQUEST.decodeInvite, { text: `  ${invite.slice(0, 40)}\n${invite.slice(40)} ` })
    expect(read).toEqual({
      ok: true,
      serverId: identity.idText,
      serverShortId: shortDeviceId(identity.id),
      addresses: ['192.168.1.20:4000', '[fd00::20]:4000'],
      expires: expect.any(Number),
      member: false,
      usedAt: null,
    })
    const i = invite.length - 10
    const typo = invite.slice(0, i) + (invite[i] === 'a' ? 'b' : 'a') + invite.slice(i + 1)
    expect(await ask(core, REQUEST.decodeInvite, { text: typo })).toMatchObject({ ok: false, problem: 'mistyped', message: expect.stringMatching(/^This invite is mistyped/) })
    const old = await membership.createInvite({ addresses, serverId: identity.id, validHours: 1, now: new Date(Date.now() - 2 * 3600_000) })
    expect(await ask(core, REQUEST.decodeInvite, { text: old })).toMatchObject({ ok: false, problem: 'expired', message: expect.stringContaining('expired') })
    expect(await ask(core, REQUEST.decodeInvite, { text: 'hello' })).toMatchObject({ ok: false, problem: 'not-an-invite', message: expect.stringContaining('dbs1-') })
  })

  it('saves a client invite that reads; refuses a mistyped or new expired one by field; an expired saved one does not block a later Save', async () => {
    const { core, store, configDir } = started()
    const identity = await loadOrCreateIdentity(tempDir('server-config-'))
    const membership = await Membership.open(tempDir('server-config-'))
    const addresses = [{ host: '127.0.0.1', port: 4000 }]
    const client = { ...DEFAULT_SETTINGS, role: 'client' as const, serverAddress: '127.0.0.1', folder: configDir }
    const good = await membership.createInvite({ addresses, serverId: identity.id })
    // One character changed (whatever the last one was: 1 in 32 times it is already an a).
    const typo = `${good.slice(0, -1)}${good.endsWith('a') ? 'b' : 'a'}`
    expect(await ask(core, REQUEST.saveSettings, { ...client, invite: typo })).toEqual({ ok: false, errors: { invite: expect.stringMatching(/mistyped/) } })

    // Valid for a few seconds more: saved now, expired by the next Save.
    const soon = await membership.createInvite({ addresses, serverId: identity.id, validHours: 1, now: new Date(Date.now() - 3600_000 + 4000) })
    const saved = await ask(core, REQUEST.saveSettings, { ...client, invite: soon })
    expect(saved.ok).toBe(true)
    expect(store.get().invite).toBe(soon)
    while (decodeInvite(soon, nowSeconds()).ok) await new Promise((r) => setTimeout(r, 100))
    expect((await ask(core, REQUEST.saveSettings, { ...client, invite: soon, workers: 2 })).ok).toBe(true)
    const stale = await membership.createInvite({ addresses, serverId: identity.id, validHours: 1, now: new Date(Date.now() - 2 * 3600_000) })
    expect(await ask(core, REQUEST.saveSettings, { ...client, invite: stale })).toEqual({ ok: false, errors: { invite: expect.stringMatching(/expired/) } })
    expect(store.get().invite).toBe(soon)
    await core.stop()
  }, 15_000)
})

describe('the invite a client joined with', () => {
  it('reads as used, by this device and when, once the server let it in; another of that server as not needed', async () => {
    const server = started()
    const port = await freePort()
    await asServer(server.core, port)
    const made = await ask(server.core, REQUEST.createInvite)
    if (!made.ok) throw new Error(made.message)
    const { core, log, configDir } = started()
    const pending = { ok: true, member: false, usedAt: null }
    expect(await ask(core, REQUEST.decodeInvite, { text: made.invite })).toMatchObject(pending)

    const before = Date.now()
    const client: Settings = { ...DEFAULT_SETTINGS, role: 'client', port: 0, serverAddress: '127.0.0.1', serverPort: port, folder: tempDir('joined-share-'), workers: 1, bufferSlots: 2, invite: made.invite }
    expect((await ask(core, REQUEST.saveSettings, client)).ok).toBe(true)
    await log.waitFor((e) => e.type === 'registered', 'the client registered')
    // server.json is written after JOIN_OK, beside the registration.
    for (let i = 0; i < 100 && !existsSync(path.join(configDir, 'server.json')); i++) await new Promise((r) => setTimeout(r, 50))
    const used = await ask(core, REQUEST.decodeInvite, { text: made.invite })
    expect(used).toMatchObject({ ok: true, member: true, usedAt: expect.any(Number) })
    if (!used.ok || used.usedAt === null) throw new Error('not used')
    expect(used.usedAt).toBeGreaterThanOrEqual(before)
    expect(used.usedAt).toBeLessThanOrEqual(Date.now())

    // The server's next invite is still good for another device; this one needs none.
    const next = await ask(server.core, REQUEST.createInvite)
    if (!next.ok) throw new Error(next.message)
    expect(await ask(core, REQUEST.decodeInvite, { text: next.invite })).toMatchObject({ ok: true, member: true, usedAt: null })
    // Read from a config folder of its own, the same invite is a pending one.
    expect(await ask(server.core, REQUEST.decodeInvite, { text: made.invite })).toMatchObject(pending)
  }, 15_000)
})

describe('members', () => {
  it('accept, refuse and remove change the member store on disk, and answer with the list', async () => {
    const { core, configDir } = started()
    const other = await Membership.open(configDir)
    const [a, b] = [randomBytes(32), randomBytes(32)]
    await other.request(a, 'alice laptop', '192.168.1.30:50000')
    await other.request(b, 'bob desktop', '192.168.1.31:50000')

    const listed = await ask(core, REQUEST.listMembers)
    expect(listed.problem).toBeNull()
    expect(listed.members).toEqual([
      expect.objectContaining({ id: hex(a), deviceId: formatDeviceId(a), shortId: shortDeviceId(a), name: 'alice laptop', state: 'pending', address: '192.168.1.30:50000' }),
      expect.objectContaining({ id: hex(b), name: 'bob desktop', state: 'pending' }),
    ])

    const accepted = await ask(core, REQUEST.acceptMember, { id: hex(a) })
    expect(accepted.result).toBe('accepted')
    expect(accepted.state.members.find((m: MemberView) => m.id === hex(a))?.state).toBe('member')
    expect(membersOnDisk(configDir).find((m) => m.id === hex(a))?.state).toBe('member')

    expect((await ask(core, REQUEST.refuseMember, { id: hex(b) })).result).toBe('refused')
    expect(membersOnDisk(configDir).find((m) => m.id === hex(b))?.state).toBe('refused')
    expect((await ask(core, REQUEST.refuseMember, { id: hex(a) })).result).toBe('not-pending')

    expect((await ask(core, REQUEST.removeMember, { id: hex(a) })).result).toBe('removed')
    expect(membersOnDisk(configDir).find((m) => m.id === hex(a))?.state).toBe('removed')
    expect(other.get(a)?.state).toBe('removed')
    expect((await ask(core, REQUEST.acceptMember, { id: hex(randomBytes(32)) })).result).toBe('unknown')
  })

  it.each([
    ['an ID that is not hex', REQUEST.acceptMember, { id: 'AAAQEAY-EAUDAO5' }],
    ['an ID in upper case', REQUEST.removeMember, { id: 'A'.repeat(64) }],
    ['an extra field', REQUEST.refuseMember, { id: 'a'.repeat(64), force: true }],
    ['no payload', REQUEST.acceptMember, undefined],
    ['a payload to list', REQUEST.listMembers, { all: true }],
    ['an invite that is not text', REQUEST.decodeInvite, { text: 42 }],
    ['a payload to invite', REQUEST.createInvite, { validHours: 9999 }],
  ])('refuses %s before anything changes', async (_what, channel, payload) => {
    const { core, configDir } = started()
    const error = await core.handle(channel, payload).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BridgeError)
    expect((error as BridgeError).code).toBe('invalid-payload')
    expect(() => readFileSync(path.join(configDir, 'members.json'))).toThrow(/ENOENT/)
  })

  it('hears a change another process makes on the same folder (the CLI), as events and the list, without asking', async () => {
    const { core, log, configDir } = started()
    await core.start()
    const cli = await Membership.open(configDir)
    const device = randomBytes(32)
    const id = formatDeviceId(device)

    await cli.request(device, 'carol phone', '192.168.1.40:51000')
    const asked = await log.waitFor((e) => e.type === 'join-request', 'the join request')
    expect(asked).toMatchObject({ type: 'join-request', id, name: 'carol phone', address: '192.168.1.40:51000' })
    const listing = (state: string) => (e: AppEvent) => e.type === 'members' && e.state.members.some((m) => m.id === hex(device) && m.state === state)
    await log.waitFor(listing('pending'), 'the list with the request')

    await cli.accept(device)
    expect(await log.waitFor((e) => e.type === 'member-added', 'member-added')).toMatchObject({ id, name: 'carol phone' })
    await log.waitFor(listing('member'), 'the list with the member')

    await cli.remove(device)
    expect(await log.waitFor((e) => e.type === 'member-removed', 'member-removed')).toMatchObject({ id, name: 'carol phone' })
    await log.waitFor(listing('removed'), 'the list with the removal')

    // Members already listed when the app starts are its starting state, not news.
    const again = makeCore(configDir)
    cleanups.push(() => again.core.stop())
    await again.core.start()
    await cli.request(randomBytes(32), 'dave', '192.168.1.41:51000')
    await again.log.waitFor((e) => e.type === 'join-request' && e.name === 'dave', "dave's request")
    expect(again.log.events.filter((e) => e.type === 'member-added' || e.type === 'member-removed' || (e.type === 'join-request' && e.name !== 'dave'))).toEqual([])
    // The window's snapshot has the requests in its activity, and the list stays out of it.
    const recent = (await ask(core, REQUEST.getSnapshot)).recent
    expect(recent.map((e) => e.type)).toEqual(expect.arrayContaining(['join-request', 'member-added', 'member-removed']))
    expect(recent.some((e) => e.type === 'members')).toBe(false)
  })

  it('a device the server holds, accepted then removed in the window: each of join-request, member-added and member-removed reaches the window once', async () => {
    // The registry server reports these from the member store as the members service does: the
    // window must not get both copies.
    const { core, log } = started()
    const port = await freePort()
    await asServer(core, port)
    const server = await ask(core, REQUEST.getDevice)
    const deviceEvents = new EventLog()
    const device = new ClientNode({
      dir: tempDir('held-share-'),
      port: 0,
      host: '127.0.0.1',
      serverHost: '127.0.0.1',
      serverPort: port,
      configDir: tempDir('held-config-'),
      name: 'held laptop',
      serverId: server.id!,
      workers: 1,
      bufferSlots: 2,
      workerScript: WORKER_SCRIPT,
      onEvent: deviceEvents.sink,
    })
    cleanups.push(() => device.stop())
    await device.start()
    await deviceEvents.waitFor('error', { code: 'join-pending' })
    await log.waitFor((e) => e.type === 'join-request' && e.name === 'held laptop', 'the join request')
    const held = (await ask(core, REQUEST.listMembers)).members.find((m: MemberView) => m.name === 'held laptop')!
    expect(held.state).toBe('pending')

    expect((await ask(core, REQUEST.acceptMember, { id: held.id })).result).toBe('accepted')
    await deviceEvents.waitFor('registered')
    // The server lets it in after its own member-added, so its peer-joined comes after that copy.
    await log.waitFor((e) => e.type === 'peer-joined' && e.id === held.deviceId, 'the device on the server')

    expect((await ask(core, REQUEST.removeMember, { id: held.id })).result).toBe('removed')
    await deviceEvents.waitFor('removed')
    // Its peer-left follows the server's own member-removed.
    await log.waitFor((e) => e.type === 'peer-left' && e.reason === 'removed', 'the device cut off')

    const about = (type: string) => log.events.filter((e) => e.type === type && 'id' in e && e.id === held.deviceId)
    expect(about('join-request')).toHaveLength(1)
    expect(about('member-added')).toEqual([expect.objectContaining({ type: 'member-added', name: 'held laptop' })])
    expect(about('member-removed')).toEqual([expect.objectContaining({ type: 'member-removed', name: 'held laptop' })])
  })

  it('a client app the server removes says it was turned away (not to check the address) until it is let in again', async () => {
    const { core: server } = started()
    const port = await freePort()
    await asServer(server, port)
    const made = await ask(server, REQUEST.createInvite)
    if (!made.ok) throw new Error(made.message)
    const invite = made.invite
    const { core: client, log } = started()
    const folder = tempDir('turned-away-')
    expect((await ask(client, REQUEST.saveSettings, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort: port, folder, invite })).ok).toBe(true)
    await log.waitFor((e) => e.type === 'registered', 'registered')
    expect(client.status.turnedAway).toBe(false)
    const { id } = (await ask(server, REQUEST.listMembers)).members.find((m: MemberView) => m.state === 'member')!
    expect((await ask(server, REQUEST.removeMember, { id })).result).toBe('removed')
    await log.waitFor((e) => e.type === 'status' && e.status.turnedAway === true, 'turned away in the status')
    expect(client.status).toMatchObject({ connected: false, turnedAway: true, message: expect.stringContaining("removed from the server's members") })
  })

  it('says when members.json is damaged, and lists it again once it is fixed', async () => {
    const { core, log, configDir } = started()
    const other = await Membership.open(configDir)
    await other.request(randomBytes(32), 'erin', '192.168.1.50:1')
    await core.start()
    const good = readFileSync(path.join(configDir, 'members.json'), 'utf8')
    const { writeFileSync, renameSync } = await import('node:fs')
    writeFileSync(path.join(configDir, 'members.json.tmp'), '{ not json')
    renameSync(path.join(configDir, 'members.json.tmp'), path.join(configDir, 'members.json'))
    await log.waitFor((e) => e.type === 'members' && e.state.problem !== null, 'the problem')
    expect((await ask(core, REQUEST.listMembers)).problem).toMatch(/members\.json is not JSON/)
    writeFileSync(path.join(configDir, 'members.json.tmp'), good)
    renameSync(path.join(configDir, 'members.json.tmp'), path.join(configDir, 'members.json'))
    await log.waitFor((e) => e.type === 'members' && e.state.problem === null && e.state.members.length === 1, 'the list again')
  })
})
