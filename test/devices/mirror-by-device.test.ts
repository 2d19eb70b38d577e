// Mirrors follow devices (issue 19): a peer's mirror folder is NAME-SHORTID, a client that comes
// back from another address or port keeps its mirror at the others (nothing fetched again), and
// a mirror folder an earlier version named IP_PORT is taken over by the device registering there.
// Real CLI processes on 127.0.0.1 and 127.0.0.2, real folders.
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/events'
import { inviteFor, killAll } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { freePort } from '../helpers/ports'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const short = (client: Client): string => client.id.slice(0, 7)
const mirrorsOf = (client: Client): string => `${client.dir}-mirrors`

/** Events of one kind about the peer at `peer` (`ip:port`), from index `from` of the log on. */
function eventsAbout(client: Client, type: EngineEvent['type'], peer: string, from = 0): EngineEvent[] {
  return client.cli.events.slice(from).filter((e) => e.type === type && 'peer' in e && e.peer === peer)
}

async function stop(client: Client): Promise<void> {
  client.cli.kill('SIGINT')
  expect((await client.cli.exited).code).toBe(0)
}

const FILES: Record<string, string | Buffer> = {
  'a.txt': 'alpha\n',
  'notes/b.md': '# b\n',
  'deep/er/c.bin': Buffer.alloc(300 * 1024, 7),
  'd.bin': Buffer.alloc(2 * 1024 * 1024, 3),
}

describe('mirrors follow devices', () => {
  it("names a peer's mirror NAME-SHORTID and keeps it when the peer moves to another address or port, or is renamed: nothing is fetched again", async () => {
    const serverPort = await startServer()
    const bobDir = tempDir('bob-')
    for (const [rel, content] of Object.entries(FILES)) write(bobDir, rel, content)
    const bobConfig = tempDir('bob-config-')
    let bob = await startClient(serverPort, bobDir, '--config', bobConfig, '--join', inviteFor('127.0.0.1', serverPort), '--name', "Bob's laptop")
    const alice = await startClient(serverPort, tempDir('alice-'), '--name', 'alice')
    const firstKey = `127.0.0.1:${bob.port}`
    await alice.cli.waitFor('peer-synced', { peer: firstKey, files: 4 }, 20_000)

    // (a) The folder is named after the device: its name made safe, and its short ID.
    const folder = `Bobs-laptop-${short(bob)}`
    expect(readdirSync(mirrorsOf(alice)).sort()).toEqual(['.dropbox-sync', folder])
    await expectMirrored(bobDir, path.join(mirrorsOf(alice), folder))
    expect(alice.cli.find('peer-synced', { peer: firstKey })).toMatchObject({ id: bob.id, name: "Bob's laptop" })
    const devices = JSON.parse(readFileSync(path.join(mirrorsOf(alice), '.dropbox-sync', 'devices.json'), 'utf8')) as { devices: Record<string, { folder: string }> }
    expect(devices.devices[bob.idHex]?.folder).toBe(folder)
    expect(eventsAbout(alice, 'file-synced', firstKey)).toHaveLength(4)

    // (b) The same device (same config folder, same shared folder) comes back from 127.0.0.2,
    // started without --name: it keeps the name its config folder saved, not the host name.
    await stop(bob)
    await alice.cli.waitFor('peer-left', { port: bob.port, ip: '127.0.0.1' }, 10_000)
    let mark = alice.cli.events.length
    bob = await startClient(serverPort, bobDir, '--config', bobConfig, '--host', '127.0.0.2')
    const movedKey = `127.0.0.2:${bob.port}`
    expect(movedKey).not.toBe(firstKey)
    await alice.cli.waitFor('peer-synced', { peer: movedKey, files: 4 }, 20_000)
    expect(alice.cli.find('peer-synced', { peer: movedKey })).toMatchObject({ id: bob.id, name: "Bob's laptop" })
    expect(eventsAbout(alice, 'file-synced', movedKey, mark)).toHaveLength(0)
    expect(alice.cli.events.slice(mark).filter((e) => e.type === 'file-synced' || e.type === 'transfer-started')).toHaveLength(0)
    expect(readdirSync(mirrorsOf(alice)).sort()).toEqual(['.dropbox-sync', folder])
    await expectMirrored(bobDir, path.join(mirrorsOf(alice), folder))

    // Once more, on another port and under another name, with one file changed while it was away:
    // that file alone moves, into the same folder.
    await stop(bob)
    await alice.cli.waitFor('peer-left', { port: bob.port, ip: '127.0.0.2' }, 10_000)
    write(bobDir, 'a.txt', 'alpha, edited while away\n')
    mark = alice.cli.events.length
    const port = await freePort()
    bob = await startClient(serverPort, bobDir, '--config', bobConfig, '--name', 'Renamed box', '-p', String(port))
    const thirdKey = `127.0.0.1:${port}`
    expect(thirdKey).not.toBe(firstKey)
    await alice.cli.waitFor('peer-synced', { peer: thirdKey, files: 4 }, 20_000)
    expect(alice.cli.find('peer-synced', { peer: thirdKey })).toMatchObject({ id: bob.id, name: 'Renamed box' })
    expect(eventsAbout(alice, 'file-synced', thirdKey, mark).map((e) => (e as { path: string }).path)).toEqual(['a.txt'])
    expect(readdirSync(mirrorsOf(alice)).sort()).toEqual(['.dropbox-sync', folder])
    await expectMirrored(bobDir, path.join(mirrorsOf(alice), folder))
  })

  /** A peer sharing FILES, started before the client that mirrors it. */
  async function peerFirst(): Promise<{ serverPort: number; bob: Client; bobDir: string; aliceDir: string; legacy: string }> {
    const serverPort = await startServer()
    const bobDir = tempDir('bob-')
    for (const [rel, content] of Object.entries(FILES)) write(bobDir, rel, content)
    const bob = await startClient(serverPort, bobDir, '--name', 'Carol')
    const aliceDir = tempDir('alice-')
    const legacy = `127.0.0.1_${bob.port}`
    return { serverPort, bob, bobDir, aliceDir, legacy }
  }

  /** What an earlier version left: the peer's files in MIRROR/IP_PORT, and (optionally) its manifest. */
  function leaveLegacyMirror(aliceDir: string, bobDir: string, legacy: string, withManifest: boolean, edit?: (dir: string) => void): string {
    const root = `${aliceDir}-mirrors`
    const folder = path.join(root, legacy)
    const manifest: Record<string, { version: string; size: number; mtimeMs: number }> = {}
    cpSync(bobDir, folder, { recursive: true })
    edit?.(folder)
    for (const rel of Object.keys(treeOf(folder))) {
      const file = path.join(folder, ...rel.split('/'))
      const stats = lstatSync(file)
      manifest[rel] = { version: versionOfBytes(readFileSync(file)).toString('hex'), size: stats.size, mtimeMs: stats.mtimeMs }
    }
    if (withManifest) {
      mkdirSync(path.join(root, '.dropbox-sync', 'mirrors'), { recursive: true })
      writeFileSync(path.join(root, '.dropbox-sync', 'mirrors', `${legacy}.json`), JSON.stringify({ versions: 'blocks-5', files: manifest }))
    }
    return root
  }

  it('adopts a legacy IP_PORT mirror folder with its manifest for the device registering there: renamed, nothing fetched', async () => {
    const { serverPort, bob, bobDir, aliceDir, legacy } = await peerFirst()
    const root = leaveLegacyMirror(aliceDir, bobDir, legacy, true)
    expect(treeOf(path.join(root, legacy))).toEqual(treeOf(bobDir))
    const alice = await startClient(serverPort, aliceDir)
    const key = `127.0.0.1:${bob.port}`
    await alice.cli.waitFor('peer-synced', { peer: key, files: 4 }, 20_000)
    const folder = `Carol-${short(bob)}`
    expect(readdirSync(root).sort()).toEqual(['.dropbox-sync', folder])
    expect(eventsAbout(alice, 'file-synced', key)).toHaveLength(0)
    expect(eventsAbout(alice, 'transfer-started', key)).toHaveLength(0)
    await expectMirrored(bobDir, path.join(root, folder))
    // The record moved with the folder, and says where the folder came from.
    expect(existsSync(path.join(root, '.dropbox-sync', 'mirrors', `${legacy}.json`))).toBe(false)
    expect(existsSync(path.join(root, '.dropbox-sync', 'mirrors', `${folder}.json`))).toBe(true)
    const devices = JSON.parse(readFileSync(path.join(root, '.dropbox-sync', 'devices.json'), 'utf8')) as { devices: Record<string, unknown> }
    expect(devices.devices[bob.idHex]).toEqual({ folder, name: 'Carol', adopted: legacy })
  })

  it('adopts a legacy folder without its manifest: files whose bytes match are checked on disk, not transferred; one that differs is fetched', async () => {
    const { serverPort, bob, bobDir, aliceDir, legacy } = await peerFirst()
    // Same size, other bytes: must be fetched.
    const root = leaveLegacyMirror(aliceDir, bobDir, legacy, false, (dir) => write(dir, 'deep/er/c.bin', Buffer.alloc(300 * 1024, 8)))
    const alice = await startClient(serverPort, aliceDir)
    const key = `127.0.0.1:${bob.port}`
    await alice.cli.waitFor('peer-synced', { peer: key, files: 4 }, 20_000)
    const folder = `Carol-${short(bob)}`
    expect(readdirSync(root).sort()).toEqual(['.dropbox-sync', folder])
    await expectMirrored(bobDir, path.join(root, folder))
    // Every file of 256 KiB and more that is fetched says so with transfer-started: only the one that differed.
    expect(eventsAbout(alice, 'transfer-started', key).map((e) => (e as { path: string }).path)).toEqual(['deep/er/c.bin'])
  })

  it("leaves a legacy folder alone when the device's own folder exists already", async () => {
    const { serverPort, bob, bobDir, aliceDir, legacy } = await peerFirst()
    const root = leaveLegacyMirror(aliceDir, bobDir, legacy, true)
    const folder = `Carol-${short(bob)}`
    mkdirSync(path.join(root, folder))
    const alice = await startClient(serverPort, aliceDir)
    const key = `127.0.0.1:${bob.port}`
    await alice.cli.waitFor('peer-synced', { peer: key, files: 4 }, 20_000)
    expect(readdirSync(root).sort()).toEqual(['.dropbox-sync', folder, legacy].sort())
    await expectMirrored(bobDir, path.join(root, folder))
    expect(treeOf(path.join(root, legacy))).toEqual(treeOf(bobDir))
    expect(existsSync(path.join(root, '.dropbox-sync', 'mirrors', `${legacy}.json`))).toBe(true)
  })
})
