// The app's Pause, Resume, Rescan now, Confirm and Open folder through the bridge, for real: an
// AppCore whose supervisor runs a client node on 127.0.0.1 beside a peer, every payload checked
// against the contract, the paused state in the snapshot a new window (and the tray) starts from.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BridgeError } from '../../src/main/app/bridge'
import type { AppCore } from '../../src/main/app/app-core'
import { REQUEST } from '../../src/shared/channels'
import { contract, type AppEvent, type Snapshot } from '../../src/shared/contract'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { inviteTo, makeCore, type BatchLog } from '../helpers/app-core'
import { startPeerNode, startRegistry } from '../helpers/app-peers'
import { removeTempDirs, tempDir } from '../helpers/temp'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  removeTempDirs()
})

async function snapshot(core: AppCore): Promise<Snapshot> {
  return contract[REQUEST.getSnapshot].reply.parse(await core.handle(REQUEST.getSnapshot, undefined))
}

async function control(core: AppCore, request: unknown) {
  return contract[REQUEST.control].reply.parse(await core.handle(REQUEST.control, request))
}

async function openFolder(core: AppCore, peer: string | null) {
  return contract[REQUEST.openFolder].reply.parse(await core.handle(REQUEST.openFolder, { peer }))
}

/** A registry server, a peer client sharing one file, and an AppCore running as a client of the same server. */
async function clientBesidePeer(extra: Parameters<typeof makeCore>[1] = {}): Promise<{ core: AppCore; log: BatchLog; folder: string; peerKey: string; peerId: string }> {
  const registry = await startRegistry(cleanups)
  const { port: serverPort, configDir: serverDir } = registry
  const peerFolder = tempDir('control-peer-')
  writeFileSync(path.join(peerFolder, 'notes.txt'), 'from the peer\n')
  const { node: peer, port: peerPort } = await startPeerNode(cleanups, registry, peerFolder, 'the peer')

  const { core, log } = makeCore(undefined, extra)
  cleanups.push(() => core.stop())
  const folder = tempDir('control-share-')
  const saved = await core.handle(REQUEST.saveSettings, { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder, invite: await inviteTo(serverDir, serverPort) })
  expect(saved).toMatchObject({ ok: true })
  await log.waitFor((e) => e.type === 'peer-synced', 'the peer mirrored', 15_000)
  return { core, log, folder, peerKey: `127.0.0.1:${peerPort}`, peerId: peer.id! }
}

const is = (type: string, extra: (e: AppEvent & Record<string, unknown>) => boolean = () => true) => (e: AppEvent) => e.type === type && extra(e as AppEvent & Record<string, unknown>)

describe('the bridge: control', () => {
  it('pauses and resumes the client and one peer, in the snapshot as in the events; open folder names the folders in a browser', async () => {
    const { core, log, folder, peerKey, peerId } = await clientBesidePeer()
    expect((await snapshot(core)).control).toEqual({ paused: false, pausedPeers: [], held: [] })

    expect(await control(core, { command: 'pause' })).toEqual({ ok: true, message: 'paused the client' })
    await log.waitFor(is('paused', (e) => e.id === undefined), 'paused')
    expect((await snapshot(core)).control.paused).toBe(true)
    expect(await control(core, { command: 'resume' })).toEqual({ ok: true, message: 'resumed the client' })
    expect((await snapshot(core)).control.paused).toBe(false)

    // A peer as its row names it (its address); the snapshot keeps its device.
    expect(await control(core, { command: 'pause', peer: peerKey })).toMatchObject({ ok: true, message: expect.stringContaining('paused the mirror of the peer') })
    await log.waitFor(is('paused', (e) => e.id === peerId), 'the peer paused')
    expect((await snapshot(core)).control.pausedPeers).toEqual([{ id: peerId, name: 'the peer', peer: peerKey }])
    expect(await control(core, { command: 'resume', peer: peerId })).toMatchObject({ ok: true })
    expect((await snapshot(core)).control.pausedPeers).toEqual([])

    expect(await control(core, { command: 'rescan' })).toEqual({ ok: true, message: 'looking at the shared folder and every watched mirror now' })
    // No hold: said plainly, capitalized for the window.
    expect(await control(core, { command: 'confirm', peer: 'the peer' })).toEqual({ ok: false, error: expect.stringMatching(/^No deletions of the peer \(ID /) })
    expect(await control(core, { command: 'pause', peer: 'nobody' })).toEqual({ ok: false, error: expect.stringMatching(/^No peer matches "nobody"/) })

    // Without a file manager (the headless app), Open folder answers the path to show.
    expect(await openFolder(core, null)).toEqual({ ok: true, path: folder, opened: false })
    const mirror = await openFolder(core, peerKey)
    expect(mirror).toEqual({ ok: true, path: expect.stringMatching(new RegExp(`^${folder}-mirrors/the-peer-${peerId.slice(0, 7)}$`)), opened: false })
  })

  it('opens a folder with the host\'s file manager where there is one, and says why it could not', async () => {
    const asked: string[] = []
    let refusal: string | null = null
    const { core, folder } = await clientBesidePeer({
      openFolder: async (where) => {
        asked.push(where)
        return refusal
      },
    })
    expect(await openFolder(core, null)).toEqual({ ok: true, path: folder, opened: true })
    refusal = 'no file manager'
    expect(await openFolder(core, null)).toEqual({ ok: false, error: `Cannot open ${folder}: no file manager` })
    expect(asked).toEqual([folder, folder])
  })

  it.each([
    ['confirm without a peer', { command: 'confirm' }],
    ['rescan with a peer', { command: 'rescan', peer: '10.0.0.1:1' }],
    ['an empty peer', { command: 'pause', peer: '   ' }],
    ['a peer of 301 characters', { command: 'pause', peer: 'x'.repeat(301) }],
    ['an unknown command', { command: 'format' }],
    ['an extra field', { command: 'pause', force: true }],
    ['no payload', undefined],
  ])('refuses %s before anything runs', async (_what, payload) => {
    const { core } = makeCore()
    cleanups.push(() => core.stop())
    const error = await core.handle(REQUEST.control, payload).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BridgeError)
    expect((error as BridgeError).code).toBe('invalid-payload')
    const folderError = await core.handle(REQUEST.openFolder, { peer: '' }).catch((e: unknown) => e)
    expect((folderError as BridgeError).code).toBe('invalid-payload')
  })

  it('answers plainly when no client runs: not set up, or the server', async () => {
    const { core } = makeCore()
    cleanups.push(() => core.stop())
    await core.start()
    expect(await control(core, { command: 'pause' })).toEqual({ ok: false, error: 'This machine is not set up yet: choose its role in Settings, fill in what it needs and Save.' })
    expect(await openFolder(core, null)).toEqual({ ok: false, error: 'This machine shares no folder: choose the Client role and a Folder in Settings.' })
    expect(await core.handle(REQUEST.saveSettings, { ...DEFAULT_SETTINGS, role: 'server', port: 0 })).toMatchObject({ ok: true })
    expect(await control(core, { command: 'rescan' })).toEqual({ ok: false, error: "This machine is the server: pausing, rescanning and mirrors are a client's." })
    expect(await openFolder(core, '10.0.0.1:1')).toEqual({ ok: false, error: "This machine is the server: pausing, rescanning and mirrors are a client's." })
  })
})
