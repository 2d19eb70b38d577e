// The bridge handlers run for real: an AppCore with its supervisor starting real registry servers
// and client nodes on 127.0.0.1, real folders, payloads checked against the contract.
import { randomBytes } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BridgeError } from '../../src/main/app/bridge'
import type { AppCore } from '../../src/main/app/app-core'
import { REQUEST } from '../../src/shared/channels'
import { contract, type AppEvent, type SaveReply, type Snapshot } from '../../src/shared/contract'
import { machineDefaults } from '../../src/main/app/settings-store'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'
import { inviteTo, makeCore } from '../helpers/app-core'
import { startPeerNode, startRegistry } from '../helpers/app-peers'
import { freePort } from '../helpers/ports'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { knowServer, serverConfig } from '../helpers/test-identity'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  removeTempDirs()
})

function track(core: AppCore): AppCore {
  cleanups.push(() => core.stop())
  return core
}

async function save(core: AppCore, settings: Settings): Promise<SaveReply> {
  const reply = await core.handle(REQUEST.saveSettings, settings)
  return contract[REQUEST.saveSettings].reply.parse(reply)
}

async function snapshot(core: AppCore): Promise<Snapshot> {
  return contract[REQUEST.getSnapshot].reply.parse(await core.handle(REQUEST.getSnapshot, undefined))
}

/** A web server on 127.0.0.1, stopped after the test: an address that answers HTTP. */
async function webServerPort(): Promise<number> {
  const web = createHttpServer((_req, res) => res.end('a web page\n'))
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => web.close(() => resolve())))
  return (web.address() as { port: number }).port
}

const isType = (type: string, extra: (e: AppEvent) => boolean = () => true) => (e: AppEvent) => e.type === type && extra(e)

describe('the bridge', () => {
  it('answers settings:get with the defaults, in the contract shape', async () => {
    const { core } = makeCore()
    track(core)
    const state = contract[REQUEST.getSettings].reply.parse(await core.handle(REQUEST.getSettings, undefined))
    expect(state.settings).toEqual(machineDefaults())
    expect(state.canChooseFolder).toBe(false)
    expect(state.file).toMatch(/config\.json$/)
  })

  it.each([
    ['an unknown channel', 'settings:delete', undefined, 'unknown-channel'],
    ['a channel that is not a string', 42, undefined, 'unknown-channel'],
    ['a missing field', REQUEST.saveSettings, { ...DEFAULT_SETTINGS, workers: undefined }, 'invalid-payload'],
    ['an extra field', REQUEST.saveSettings, { ...DEFAULT_SETTINGS, nodeIntegration: true }, 'invalid-payload'],
    ['a number as text', REQUEST.saveSettings, { ...DEFAULT_SETTINGS, port: '4000' }, 'invalid-payload'],
    ['null settings', REQUEST.saveSettings, null, 'invalid-payload'],
    ['a payload where none is expected', REQUEST.getSnapshot, { all: true }, 'invalid-payload'],
    ['a folder field that does not exist', REQUEST.chooseFolder, { field: '../../etc' }, 'invalid-payload'],
    ['a to-come request without a peer', REQUEST.listToCome, {}, 'invalid-payload'],
    ['a to-come request with an overlong peer', REQUEST.listToCome, { peer: 'x'.repeat(301) }, 'invalid-payload'],
  ])('refuses %s', async (_what, channel, payload, code) => {
    const { core, store } = makeCore()
    track(core)
    const error = await core.handle(channel, payload).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BridgeError)
    expect((error as BridgeError).code).toBe(code)
    expect(store.get()).toEqual(machineDefaults())
  })

  it('refuses values the schema or the disk rule out, by field (disk checks once the rest is valid), and stores nothing', async () => {
    const { core, store } = makeCore()
    track(core)
    const reply = await save(core, { ...DEFAULT_SETTINGS, role: 'client', port: 70000, serverAddress: '', folder: '/no/such/folder', workers: 0 })
    expect(reply).toEqual({
      ok: false,
      errors: {
        port: 'The port must be a whole number from 0 to 65535.',
        workers: 'Workers must be a whole number from 1 to 256.',
        serverAddress: "Enter the server's IP address or host name, or paste an invite under Join with invite (it holds it).",
      },
    })
    const missing = await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', folder: '/no/such/folder' })
    expect(missing).toEqual({ ok: false, errors: { folder: 'There is no folder at /no/such/folder.' } })
    const folder = tempDir('bridge-share-')
    const nested = await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', folder, mirrorFolder: path.join(folder, 'mirrors') })
    expect(nested).toEqual({ ok: false, errors: { mirrorFolder: expect.stringContaining('outside the shared folder') } })
    // The temp folder itself is never shared (its churn never stops); refused before anything starts.
    const temp = await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', folder: tmpdir() })
    expect(temp).toEqual({ ok: false, errors: { folder: expect.stringContaining("is the system's temp folder: everything in it would be shared") } })
    expect(store.get()).toEqual(machineDefaults())
  })

  it('as the server: Save starts a registry; joins and leaves reach the window and the snapshot', async () => {
    const { core, log, configDir } = makeCore()
    track(core)
    const reply = await save(core, { ...DEFAULT_SETTINGS, role: 'server', port: 0 })
    expect(reply.ok).toBe(true)
    const running = await log.waitFor(isType('status', (e) => e.type === 'status' && e.status.state === 'running'), 'the server running')
    const port = running.type === 'status' ? running.status.listening!.port : 0
    expect(port).toBeGreaterThan(0)
    // The peer is made a member in the app's config folder, where the server keeps its members.
    knowServer(port, configDir)

    const peer = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 45001 })
    await log.waitFor(isType('peer-joined'), 'peer-joined')
    expect((await snapshot(core)).peers).toEqual([expect.objectContaining({ key: '127.0.0.1:45001', state: 'online' })])
    peer.close()
    await log.waitFor(isType('peer-left'), 'peer-left')
    expect((await snapshot(core)).peers).toEqual([expect.objectContaining({ key: '127.0.0.1:45001', state: 'offline', reason: 'connection-lost' })])
  })

  it('as a client: Save registers with the server, mirrors a peer, and quitting logs off', async () => {
    const registry = await startRegistry(cleanups)
    const { port: serverPort, configDir: serverDir } = registry
    const peerFolder = tempDir('bridge-peer-')
    writeFileSync(path.join(peerFolder, 'notes.txt'), 'from the peer\n')
    const { port: peerPort, events: peerEvents } = await startPeerNode(cleanups, registry, peerFolder)

    const { core, log } = makeCore()
    const folder = tempDir('bridge-share-')
    // Joined as a user does: the server's invite pasted in Join with invite.
    const reply = await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder, invite: await inviteTo(serverDir, serverPort) })
    expect(reply.ok).toBe(true)
    await log.waitFor(isType('registered'), 'registered')
    await log.waitFor(isType('peer-joined', (e) => e.type === 'peer-joined' && e.port === peerPort), 'the peer')
    await log.waitFor(isType('file-synced', (e) => e.type === 'file-synced' && e.path === 'notes.txt'), 'the peer file in the mirror', 15_000)
    const snap = await snapshot(core)
    expect(snap.status).toMatchObject({ state: 'running', role: 'client', connected: true, server: `127.0.0.1:${serverPort}` })
    expect(snap.totals).toEqual([expect.objectContaining({ peer: `127.0.0.1:${peerPort}`, files: 1, bytes: 14 })])
    // Where each folder stands: in the snapshot, and what is still to come asked of the engine.
    const peerKey = `127.0.0.1:${peerPort}`
    await log.waitFor(isType('mirror-state', (e) => e.type === 'mirror-state' && e.peer === peerKey && e.phase === 'up-to-date' && e.files === 1), 'the mirror up to date', 15_000)
    const folders = (await snapshot(core)).folders
    expect(folders.mirrors).toEqual([expect.objectContaining({ peer: peerKey, phase: 'up-to-date', files: 1, bytes: 14, needFiles: 0, peerFiles: 1 })])
    expect(folders.own).toMatchObject({ files: 0, bytes: 0, scanning: false, missing: false })
    const toCome = (peer: string) => core.handle(REQUEST.listToCome, { peer }).then((r) => contract[REQUEST.listToCome].reply.parse(r))
    expect(await toCome(peerKey)).toEqual({ ok: true, peer: peerKey, files: [], total: 0, bytes: 0, complete: true })
    expect(await toCome('127.0.0.1:1')).toEqual({ ok: false, message: 'This client does not mirror 127.0.0.1:1.' })

    await core.stop()
    const left = await peerEvents.waitFor('peer-left')
    expect(left.reason).toBe('log-off')
  })

  it('as a client: an invite alone is enough, Server address empty and Server port left at its default; the status names the server it holds', async () => {
    const registry = await startRegistry(cleanups)
    const { core, log } = makeCore()
    track(core)
    const invite = await inviteTo(registry.configDir, registry.port)
    const reply = await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '', folder: tempDir('bridge-invite-only-'), invite })
    expect(reply).toMatchObject({ ok: true })
    expect(DEFAULT_SETTINGS.serverPort).not.toBe(registry.port)
    await log.waitFor(isType('registered'), 'registered through the invite’s address')
    const statuses = log.events.filter((e): e is Extract<AppEvent, { type: 'status' }> => e.type === 'status').map((e) => e.status.server)
    expect(new Set(statuses)).toEqual(new Set([`127.0.0.1:${registry.port}`]))
    expect((await snapshot(core)).status).toMatchObject({ state: 'running', connected: true, server: `127.0.0.1:${registry.port}` })
    // Without an invite the field is still needed, and says the invite would do.
    expect(await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '', folder: tempDir('bridge-no-invite-') })).toEqual({
      ok: false,
      errors: { serverAddress: "Enter the server's IP address or host name, or paste an invite under Join with invite (it holds it)." },
    })
  })

  it('as a client: keeps the bandwidth limit, refuses a bad one by field, and takes a new one live, without reconnecting', async () => {
    const registry = await startRegistry(cleanups)
    const { port: serverPort, configDir: serverDir } = registry
    const peerFolder = tempDir('bridge-limit-peer-')
    const { port: peerPort } = await startPeerNode(cleanups, registry, peerFolder)

    const { core, log } = makeCore()
    track(core)
    const client: Settings = { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder: tempDir('bridge-limit-'), workers: 4 }
    expect((await save(core, { ...client, invite: await inviteTo(serverDir, serverPort) })).ok).toBe(true)
    await log.waitFor(isType('peer-synced', (e) => e.type === 'peer-synced' && e.peer === `127.0.0.1:${peerPort}`), 'the empty peer mirrored')
    const saved = contract[REQUEST.getSettings].reply.parse(await core.handle(REQUEST.getSettings, undefined)).settings

    for (const limitRateKiB of [-1, 2.5, 10_000_001]) {
      expect(await save(core, { ...saved, limitRateKiB })).toEqual({
        ok: false,
        errors: { limitRateKiB: 'The bandwidth limit must be a whole number of KiB/s from 0 (no limit) to 10000000.' },
      })
    }
    const seen = log.events.length
    const reply = await save(core, { ...saved, limitRateKiB: 1024 })
    expect(reply.ok && reply.state.settings.limitRateKiB).toBe(1024)
    expect(contract[REQUEST.getSettings].reply.parse(await core.handle(REQUEST.getSettings, undefined)).settings.limitRateKiB).toBe(1024)

    // 6 MiB in folders of their own (each worker takes some) come in at 1 MiB/s at most.
    const started = performance.now()
    for (let i = 0; i < 12; i++) {
      mkdirSync(path.join(peerFolder, `part${i}`))
      writeFileSync(path.join(peerFolder, `part${i}`, 'data.bin'), randomBytes(512 * 1024))
    }
    for (let i = 0; i < 12; i++) await log.waitFor(isType('file-synced', (e) => e.type === 'file-synced' && e.path === `part${i}/data.bin`), `part${i} in the mirror`, 60_000)
    expect((performance.now() - started) / 1000).toBeGreaterThanOrEqual(5)
    // The client kept running and registered throughout: the limit changed under it.
    const after = log.events.slice(seen)
    expect(after.filter((e) => e.type === 'status' && e.status.state !== 'running')).toEqual([])
    expect(after.filter((e) => e.type === 'registered' || e.type === 'peer-left')).toEqual([])
  }, 90_000)

  it('as a client: a shared folder moved away shows in the status until it is back', async () => {
    const { port: serverPort, configDir: serverDir } = await startRegistry(cleanups)
    const { core, log } = makeCore()
    track(core)
    const folder = tempDir('bridge-moving-')
    writeFileSync(path.join(folder, 'kept.txt'), 'kept')
    const invite = await inviteTo(serverDir, serverPort)
    expect((await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder, invite })).ok).toBe(true)
    await log.waitFor(isType('registered'), 'registered')
    renameSync(folder, `${folder}-away`)
    await log.waitFor(isType('status', (e) => e.type === 'status' && /^The shared folder .* is gone/.test(e.status.message ?? '')), 'the gone folder in the status', 5000)
    renameSync(`${folder}-away`, folder)
    await log.waitFor(isType('folder-restored'), 'the folder back', 5000)
    expect(core.status.message).toBeNull()
  })

  it('shows why the engine cannot start (port taken), and starts on engine:restart once it is free', async () => {
    const port = await freePort()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    const { core } = makeCore()
    track(core)
    expect((await save(core, { ...DEFAULT_SETTINGS, role: 'server', port })).ok).toBe(true)
    expect(core.status).toMatchObject({ state: 'failed', message: expect.stringContaining(`port ${port} is already in use`) })
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
    const status = contract[REQUEST.restartEngine].reply.parse(await core.handle(REQUEST.restartEngine, undefined))
    expect(status).toMatchObject({ state: 'running', listening: { port } })
  })

  it('listens on the Listen address when one is set, and says when it is not this machine\'s', async () => {
    const { core } = makeCore()
    track(core)
    // The supervisor's own default here is 127.0.0.1: the setting wins over it.
    expect((await save(core, { ...DEFAULT_SETTINGS, role: 'server', port: 0, listenAddress: '127.0.0.2' })).ok).toBe(true)
    expect(core.status).toMatchObject({ state: 'running', listening: { host: '127.0.0.2' }, addresses: ['127.0.0.2'] })
    const { port } = core.status.listening!
    ;(await RawPeer.connect(port, { host: '127.0.0.2' })).close()
    await expect(RawPeer.connect(port, { host: '127.0.0.1' })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    // 192.0.2.1 is a documentation address: no machine here has it.
    expect((await save(core, { ...DEFAULT_SETTINGS, role: 'server', port: 0, listenAddress: '192.0.2.1' })).ok).toBe(true)
    expect(core.status).toMatchObject({
      state: 'failed',
      message: 'Cannot start the server: 192.0.2.1 is not an address of this machine. Change the Listen address in Settings, or leave it empty for every interface.',
    })
    const refused = await save(core, { ...DEFAULT_SETTINGS, role: 'server', port: 0, listenAddress: 'localhost' })
    expect(refused).toEqual({ ok: false, errors: { listenAddress: expect.stringContaining('Enter an IP address of this machine') } })
  })

  it('as a client whose server address answers HTTP: the status says so, not a frame length', async () => {
    const serverPort = await webServerPort()
    const { core, log } = makeCore()
    track(core)
    // An invite from a server that is not there: the address in the settings is the web server's.
    const invite = await inviteTo((await serverConfig()).configDir, serverPort)
    expect((await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder: tempDir('bridge-http-'), invite })).ok).toBe(true)
    await log.waitFor(isType('error', (e) => e.type === 'error' && e.code === 'server-speaks-http'), 'the HTTP answer')
    expect(core.status).toMatchObject({ state: 'running', connected: false, message: `Cannot use the server 127.0.0.1:${serverPort}: that address answers HTTP, not dropbox-sync` })
  })

  it('as a client not connected yet: a problem with its own folder (a skipped .syncignore line) does not take the place of why', async () => {
    const serverPort = await webServerPort()
    const { core, log } = makeCore()
    track(core)
    const folder = tempDir('bridge-ignore-')
    const invite = await inviteTo((await serverConfig()).configDir, serverPort)
    expect((await save(core, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder, invite })).ok).toBe(true)
    await log.waitFor(isType('error', (e) => e.type === 'error' && e.code === 'server-speaks-http'), 'the HTTP answer')
    const why = `Cannot use the server 127.0.0.1:${serverPort}: that address answers HTTP, not dropbox-sync`
    expect(core.status.message).toBe(why)
    writeFileSync(path.join(folder, '.syncignore'), 'build/\n!\n')
    await log.waitFor(isType('error', (e) => e.type === 'error' && e.code === 'ignore-lines-skipped'), 'the skipped line', 10_000)
    expect(core.status).toMatchObject({ connected: false, message: why })
  })

  it('starts the next time from the saved settings (a server on its port)', async () => {
    const port = await freePort()
    const first = makeCore()
    expect((await save(first.core, { ...DEFAULT_SETTINGS, role: 'server', port })).ok).toBe(true)
    await first.core.stop()
    const second = makeCore(first.configDir)
    track(second.core)
    expect(await second.core.start()).toMatchObject({ state: 'running', role: 'server', listening: { port } })
  })

  it('has no list of what is to come without a running client', async () => {
    const { core } = makeCore()
    track(core)
    expect(await core.handle(REQUEST.listToCome, { peer: '127.0.0.1:4001' })).toEqual({ ok: false, message: 'Only a running client mirrors peers.' })
  })

  it('tells an unset machine what to do instead of starting anything', async () => {
    const { core } = makeCore()
    track(core)
    expect(await core.start()).toMatchObject({ state: 'unconfigured', message: "Open Settings, choose this machine's role (Server or Client), fill in what it needs and Save." })
  })
})
