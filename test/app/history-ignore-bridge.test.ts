// The History screen's and the ignore editor's bridge channels, run for real: an AppCore as a
// client beside a CLI server and a CLI client on 127.0.0.1. The peer deletes a file: the app lists
// it and restores identical bytes into the folder its picker chose. The app edits its .syncignore:
// the peer's mirror of the app's folder loses what is newly ignored and gets back what no longer is.
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { AppCore } from '../../src/main/app/app-core'
import { BridgeError } from '../../src/main/app/bridge'
import { REQUEST, type RequestChannel } from '../../src/shared/channels'
import { contract, type AppEvent, type ReplyOf } from '../../src/shared/contract'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'
import { makeCore, type BatchLog } from '../helpers/app-core'
import { inviteFor, killAll } from '../helpers/cli'
import { expectMirrorHolds, startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { peerFolderName } from '../helpers/tree'
import { deviceOnPort } from '../helpers/devices-by-port'

const cores: AppCore[] = []
afterEach(async () => {
  for (const core of cores.splice(0)) await core.stop()
  killAll()
  removeTempDirs()
})

/** A request through the bridge, its reply checked against the contract. */
async function ask<C extends RequestChannel>(core: AppCore, channel: C, payload?: unknown): Promise<ReplyOf<C>> {
  return contract[channel].reply.parse(await core.handle(channel, payload)) as ReplyOf<C>
}

const synced = (peer: string) => (e: AppEvent) => e.type === 'peer-synced' && e.peer === peer

/** The app as a client of a CLI server, sharing `folder`, with a CLI client peer sharing `peerFiles`. */
async function appWithPeer(
  folder: string,
  peerFiles: Record<string, string | Buffer>,
  picked: string | null = null,
): Promise<{ core: AppCore; log: BatchLog; settings: Settings; peerDir: string; peerKey: string; peerDirName: string }> {
  const serverPort = await startServer()
  const peerDir = tempDir('bridge-hist-peer-')
  for (const [rel, content] of Object.entries(peerFiles)) write(peerDir, rel, content)
  const peer = await startClient(serverPort, peerDir, '-w', '2')
  const { core, log } = makeCore(undefined, { chooseFolder: async (field) => (field === 'restoreTo' ? picked : null) })
  cores.push(core)
  const settings: Settings = { ...DEFAULT_SETTINGS, role: 'client', serverAddress: '127.0.0.1', serverPort, folder, workers: 2, bufferSlots: 8, invite: inviteFor('127.0.0.1', serverPort) }
  expect(await ask(core, REQUEST.saveSettings, settings)).toMatchObject({ ok: true })
  const peerKey = `127.0.0.1:${peer.port}`
  await log.waitFor(synced(peerKey), 'the peer mirrored', 20_000)
  return { core, log, settings, peerDir, peerKey, peerDirName: peerFolderName(peer.port) }
}

describe('the History channels', () => {
  it('list what a peer deleted and restore identical bytes into the picked folder, beside a file of its name, never into the mirror', async () => {
    const report = randomBytes(300_000)
    const picked = tempDir('bridge-restored-')
    const folder = tempDir('bridge-hist-mine-')
    const { core, log, settings, peerDir, peerKey, peerDirName } = await appWithPeer(folder, { 'docs/report.bin': report, 'stays.txt': 'stays\n' }, picked)
    const mirrorRoot = `${folder}-mirrors`

    rmSync(path.join(peerDir, 'docs', 'report.bin'))
    await log.waitFor((e) => e.type === 'file-removed' && e.path === 'docs/report.bin', 'the deletion in the mirror', 15_000)
    // Its index is saved a moment after the change.
    let page = await ask(core, REQUEST.listHistory, { folder: peerDirName, filter: '', before: null, limit: 50 })
    for (const deadline = Date.now() + 10_000; page.ok && page.total === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      page = await ask(core, REQUEST.listHistory, { folder: peerDirName, filter: '', before: null, limit: 50 })
    }
    if (!page.ok) throw new Error(page.message)
    expect(page).toMatchObject({ total: 1, more: false, entries: [{ path: 'docs/report.bin', peer: peerKey, size: report.length, reason: 'deleted' }] })
    const entry = page.entries[0]!
    expect(await ask(core, REQUEST.listHistoryMirrors)).toEqual({
      ok: true,
      mirrorRoot,
      keepDays: 30,
      mirrors: [{ folder: peerDirName, peer: peerKey, versions: 1, bytes: report.length, newest: entry.at, device: deviceOnPort(Number(peerKey.split(':')[1])) }],
    })
    expect(await ask(core, REQUEST.listHistory, { folder: peerDirName, filter: 'nothing like it', before: null, limit: 50 })).toMatchObject({ ok: true, total: 0, entries: [] })

    // The desktop's native picker, as the host gives it.
    const { path: to } = await ask(core, REQUEST.chooseRestoreFolder)
    expect(to).toBe(picked)
    const restore = (target: string, id = entry.id) => ask(core, REQUEST.restoreHistory, { folder: peerDirName, id, to: target })
    expect(await restore(picked)).toEqual({ ok: true, path: path.join(picked, 'report.bin'), renamed: false })
    expect(readFileSync(path.join(picked, 'report.bin')).equals(report)).toBe(true)
    // A second time: the first copy stays, the new one takes a free name.
    const again = await restore(picked)
    expect(again).toMatchObject({ ok: true, renamed: true, path: expect.stringMatching(/report \(restored \d{4}-\d\d-\d\d\)\.bin$/) })
    if (!again.ok) throw new Error(again.message)
    expect(readFileSync(again.path).equals(report)).toBe(true)
    expect(readdirSync(picked)).toHaveLength(2)

    // Into the mirror: refused, with why.
    const intoMirror = await restore(path.join(mirrorRoot, peerDirName))
    expect(intoMirror).toMatchObject({ ok: false, message: expect.stringMatching(/inside the mirror folder .*next sync/) })
    expect(existsSync(path.join(mirrorRoot, peerDirName, 'report.bin'))).toBe(false)
    expect(await restore('relative/folder')).toMatchObject({ ok: false, message: expect.stringMatching(/full path/) })
    expect(await restore(picked, 'no-such-version')).toMatchObject({ ok: false, message: expect.stringMatching(/no longer kept/) })
    for (const bad of [{ folder: '../x', id: entry.id, to: picked }, { folder: peerDirName, id: '../../etc', to: picked }, { folder: peerDirName, id: entry.id }]) {
      const error = await core.handle(REQUEST.restoreHistory, bad).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BridgeError)
      expect((error as BridgeError).code).toBe('invalid-payload')
    }

    // Keep history 0: the engine keeps nothing more (its index is written as it stops).
    const before = log.events.at(-1)?.seq ?? 0
    expect(await ask(core, REQUEST.saveSettings, { ...settings, keepDays: 0 })).toMatchObject({ ok: true })
    await log.waitFor((e) => synced(peerKey)(e) && e.seq > before, 'the peer mirrored again', 20_000)
    rmSync(path.join(peerDir, 'stays.txt'))
    await log.waitFor((e) => e.type === 'file-removed' && e.path === 'stays.txt', 'the second deletion', 15_000)
    await core.stop()
    expect(await ask(core, REQUEST.listHistoryMirrors)).toMatchObject({ ok: true, keepDays: 0, mirrors: [{ folder: peerDirName, versions: 1 }] })
  }, 90_000)

  it('say why there is nothing to show on a machine not set up as a client', async () => {
    const { core } = makeCore()
    cores.push(core)
    expect(await ask(core, REQUEST.listHistoryMirrors)).toEqual({ ok: false, message: expect.stringMatching(/choose the folder to share/) })
    expect(await ask(core, REQUEST.getIgnorePatterns)).toEqual({ ok: false, message: expect.stringMatching(/Choose the folder to share/) })
    expect(await ask(core, REQUEST.chooseRestoreFolder)).toEqual({ path: null })
  })
})

/** The one peer mirror in a mirror root (the peer mirrors one device: the app), once it is there. */
async function onlyMirror(root: string): Promise<string> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const name = existsSync(root) ? readdirSync(root).find((n) => n !== '.dropbox-sync') : undefined
    if (name) return path.join(root, name)
    if (Date.now() > deadline) throw new Error(`no mirror appeared in ${root}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('the ignore channels', () => {
  it('save .syncignore atomically into the shared folder, and the peer’s mirror follows at once', async () => {
    const folder = tempDir('bridge-ignore-mine-')
    write(folder, 'keep.txt', 'kept\n')
    write(folder, 'notes.log', 'a log\n')
    write(folder, 'build/out.bin', 'built\n')
    const { core, peerDir } = await appWithPeer(folder, { 'theirs.txt': 'theirs\n' })
    const mirror = await onlyMirror(`${peerDir}-mirrors`)
    await expectMirrorHolds(folder, mirror, ['keep.txt', 'notes.log', 'build/out.bin'])

    const first = await ask(core, REQUEST.getIgnorePatterns)
    expect(first).toMatchObject({ ok: true, file: path.join(folder, '.syncignore'), text: null, problem: null })
    expect(first.ok && first.defaults).toEqual(expect.arrayContaining(['.DS_Store', '*.swp', '*.part']))

    const save = (text: string) => ask(core, REQUEST.saveIgnorePatterns, { text })
    expect(await save('*.log\n')).toEqual({ ok: true, patterns: { ...first, text: '*.log\n' } })
    expect(readFileSync(path.join(folder, '.syncignore'), 'utf8')).toBe('*.log\n')
    await expectMirrorHolds(folder, mirror, ['keep.txt', 'build/out.bin'])
    // Newly unignored comes back; newly ignored goes; the temp file never lingers.
    expect(await save('build/\n')).toMatchObject({ ok: true })
    await expectMirrorHolds(folder, mirror, ['keep.txt', 'notes.log'])
    expect(readdirSync(folder).sort()).toEqual(['.syncignore', 'build', 'keep.txt', 'notes.log'])

    // Lines the ignore rules would skip, and absurd sizes: refused with one message, the file as it was.
    const skipped = await save('*.tmp\n!\nfoo\\\n')
    expect(skipped).toEqual({
      ok: false,
      message: 'Line 2 ("!") is a "!" with no pattern after it; line 3 ("foo\\") ends in a backslash that escapes nothing: the ignore rules skip such lines, so they ignore nothing. Fix them or take them out.',
    })
    expect(await save('é'.repeat(200 * 1024))).toMatchObject({ ok: false, message: expect.stringMatching(/^The patterns take 400 KiB; at most 256 KiB/) })
    const tooLong = await core.handle(REQUEST.saveIgnorePatterns, { text: 'a'.repeat(256 * 1024 + 1) }).catch((e: unknown) => e)
    expect(tooLong).toBeInstanceOf(BridgeError)
    expect((tooLong as BridgeError).message).toMatch(/larger than 256 KiB/)
    expect(readFileSync(path.join(folder, '.syncignore'), 'utf8')).toBe('build/\n')

    // Emptied: only the defaults apply, and everything is shared again.
    expect(await save('')).toMatchObject({ ok: true, patterns: { text: '' } })
    await expectMirrorHolds(folder, mirror, ['keep.txt', 'notes.log', 'build/out.bin'])
  }, 90_000)
})
