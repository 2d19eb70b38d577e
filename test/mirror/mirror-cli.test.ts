// Mirroring as a user runs it: a real server and real clients (CLI processes) on 127.0.0.1,
// real folders, byte-for-byte comparisons.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, type Dirent, renameSync, rmSync, symlinkSync, writeFileSync, openSync, writeSync, closeSync, utimesSync, realpathSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { asDevice, BIN, defaultDeviceName, killAll, runCli, runCliOnce } from '../helpers/cli'
import { contentVersion, FakePeer, mirroredTree, type FakeFile, type FakePeerOptions } from '../helpers/fake-peer'
import { sha256 } from '../helpers/tree'
import { writeThroughMmap } from '../helpers/mmap'
import { freePort } from '../helpers/ports'
import { RawPeer } from '../helpers/raw-peer'
import { expectMirrored, idToHex, startClient, startServer, startServerDevice, write, type Client } from '../helpers/mirror-clients'
import { makeMember, newIdentity } from '../helpers/test-identity'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { errorCodeName } from '../../src/main/engine/protocol/errors'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { foldersOf, mirrorOf, peerFolderName, treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

/**
 * A sender with 20 files (each made by `make`) on a fixed port, mirrored by a receiver; then the
 * sender is stopped with Ctrl-C (it logs off).
 */
async function mirroredThenStopped(make: (dir: string, i: number) => void): Promise<{ serverPort: number; senderDir: string; senderPort: number; receiver: Client }> {
  const serverPort = await startServer()
  const senderDir = tempDir('sender-')
  for (let i = 0; i < 20; i++) make(senderDir, i)
  const senderPort = await freePort()
  const sender = await startClient(serverPort, senderDir, '-p', String(senderPort))
  const receiver = await startClient(serverPort, tempDir('receiver-'))
  await receiver.cli.waitFor('peer-synced', { files: 20 }, 15_000)
  sender.cli.kill('SIGINT')
  expect((await sender.cli.exited).code).toBe(0)
  return { serverPort, senderDir, senderPort, receiver }
}

/** A sender sharing `files` and a receiver that has mirrored them. */
/** `extra`: flags both clients get. */
async function syncedPair(files: Record<string, string | Buffer>, ...extra: string[]): Promise<{ senderDir: string; receiver: Client; mirror: string }> {
  const serverPort = await startServer()
  const senderDir = tempDir('sender-')
  for (const [rel, content] of Object.entries(files)) write(senderDir, rel, content)
  const sender = await startClient(serverPort, senderDir, ...extra)
  const receiver = await startClient(serverPort, tempDir('receiver-'), ...extra)
  await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` })
  return { senderDir, receiver, mirror: mirrorOf(receiver.dir, sender.port) }
}

const AWKWARD = [
  'plain.txt',
  'with space.txt',
  'comma, and more.txt',
  'brackets [1] (2) {3} <4>.txt',
  'ünïcödé/日本語/ファイル.txt',
  'emoji 🎉.md',
  'deep/a/b/c/d/e/f.txt',
  'empty',
  'nested/empty too',
]

describe('three clients mirror one another', () => {
  it('exactly, then follow edits, deletes and renames', async () => {
    const serverPort = await startServer()
    const dirs = ['a', 'b', 'c'].map((name) => {
      const dir = path.join(tempDir('mirror-'), name)
      mkdirSync(dir)
      for (const rel of AWKWARD) write(dir, rel, rel.includes('empty') ? '' : `${name}:${rel}\n`.repeat(50))
      write(dir, `only-${name}/data.bin`, randomBytes(300_000))
      return dir
    })
    const clients: Client[] = []
    for (const dir of dirs) clients.push(await startClient(serverPort, dir))
    for (const me of clients) {
      for (const other of clients) {
        if (other === me) continue
        await me.cli.waitFor('peer-synced', { peer: `127.0.0.1:${other.port}` }, 20_000)
        await expectMirrored(other.dir, mirrorOf(me.dir, other.port))
      }
    }
    const [a, b, c] = clients as [Client, Client, Client]
    // Mirrors are never served: nobody holds a mirror of a mirror.
    expect(readdirSync(`${a.dir}-mirrors`).sort()).toEqual(['.dropbox-sync', peerFolderName(b.port), peerFolderName(c.port)].sort())

    write(a.dir, 'plain.txt', 'edited\n')
    write(a.dir, 'new/folder/file.txt', 'brand new')
    rmSync(path.join(b.dir, 'with space.txt'))
    rmSync(path.join(b.dir, 'deep'), { recursive: true })
    renameSync(path.join(c.dir, 'comma, and more.txt'), path.join(c.dir, 'renamed, still.txt'))
    renameSync(path.join(c.dir, 'only-c'), path.join(c.dir, 'moved-c'))
    // A nested folder moved whole: nothing of its old name may stay behind in the mirrors.
    renameSync(path.join(a.dir, 'deep'), path.join(a.dir, 'deeper'))
    for (const me of clients) {
      for (const other of clients) if (other !== me) await expectMirrored(other.dir, mirrorOf(me.dir, other.port))
    }
    await a.cli.waitFor('file-removed', { peer: `127.0.0.1:${b.port}`, path: 'with space.txt' })
    // A folder removed everywhere, then used again: writers that knew it must make it anew.
    write(b.dir, 'deep/a/b/c/d/e/again.txt', 'back again')
    for (const me of [a, c]) await expectMirrored(b.dir, mirrorOf(me.dir, b.port))
    await a.cli.waitFor('file-synced', { peer: `127.0.0.1:${c.port}`, path: 'moved-c/data.bin' })
    // The renamed 300 kB file was moved on disk, not sent again.
    expect(a.cli.find('transfer-started', { peer: `127.0.0.1:${c.port}`, path: 'moved-c/data.bin' })).toBeUndefined()
    expect(b.cli.find('file-synced', { peer: `127.0.0.1:${a.port}`, path: 'plain.txt', version: contentVersion('edited\n').toString('hex') })).toBeDefined()
  })
})

describe('a burst of random changes', () => {
  it('files and folders made, changed, moved and removed in quick succession: the mirror ends with the same files', { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const source = await startClient(serverPort, tempDir('source-'))
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${source.port}` })
    // A fixed sequence (a seeded generator): a failure can be replayed.
    let seed = 7
    const pick = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n
    const names = ['a', 'b c', 'é', 'd,e', '[f]']
    const somePath = (): string => [...Array.from({ length: pick(3) }, () => `dir ${names[pick(names.length)]}`), `file ${names[pick(names.length)]}${pick(20)}`].join('/')
    // Names only (treeOf hashes every file): this runs several times per change.
    const files = (): string[] =>
      (readdirSync(source.dir, { recursive: true, withFileTypes: true }) as Dirent[])
        .filter((e) => e.isFile())
        .map((e) => path.relative(source.dir, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'))
    const folders = (): string[] => foldersOf(source.dir)
    const at = (rel: string): string => path.join(source.dir, ...rel.split('/'))
    for (let i = 0; i < 400; i++) {
      const op = pick(10)
      try {
        if (op < 4) write(source.dir, somePath(), randomBytes(pick(4) === 0 ? 200_000 : pick(5000)))
        else if (op < 6) {
          if (files().length) writeFileSync(at(files()[pick(files().length)]!), randomBytes(pick(3000)), { flag: 'a' })
        } else if (op < 7) {
          if (files().length) rmSync(at(files()[pick(files().length)]!))
        } else if (op < 8) {
          const from = files()[pick(files().length)]
          const to = somePath()
          if (from && !existsSync(at(to))) {
            mkdirSync(path.dirname(at(to)), { recursive: true })
            renameSync(at(from), at(to))
          }
        } else if (op < 9) {
          const from = folders()[pick(folders().length)]
          const to = `moved ${pick(100)}`
          if (from && !existsSync(at(to)) && !from.startsWith(to)) renameSync(at(from), at(to))
        } else if (pick(3) === 0 && folders().length) rmSync(at(folders()[pick(folders().length)]!), { recursive: true })
        else if (pick(2) === 0 && folders().length) {
          // A folder becomes a file of its name: every path below it now leads through a file.
          const folder = folders()[pick(folders().length)]!
          rmSync(at(folder), { recursive: true })
          writeFileSync(at(folder), randomBytes(pick(2000)))
        }
      } catch (error) {
        // One of this loop's own moves may have taken the path away first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
      if (pick(10) === 0) await new Promise((r) => setTimeout(r, pick(40)))
    }
    // The same files, byte for byte. (An empty folder may stay behind in the mirror after changes
    // this quick: a transfer's folder made just after the peer's files in it went.)
    const mirror = mirrorOf(receiver.dir, source.port)
    const deadline = Date.now() + 30_000
    while (JSON.stringify(treeOf(mirror)) !== JSON.stringify(treeOf(source.dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    expect(treeOf(mirror)).toEqual(treeOf(source.dir))
    expect(receiver.cli.find('error')).toBeUndefined()
  })
})

describe('cut transfers and returning peers', () => {
  it('a sender killed mid-file leaves only a partial beside the final path; restarted, it sends only the blocks still missing', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    const big = path.join(senderDir, 'big.bin')
    const fd = openSync(big, 'w')
    for (let i = 0; i < 64; i++) writeSync(fd, randomBytes(4 * 1024 * 1024))
    closeSync(fd)
    const senderPort = await freePort()
    let sender = await startClient(serverPort, senderDir, '-p', String(senderPort))
    const receiverDir = tempDir('receiver-')
    const receiver = await startClient(serverPort, receiverDir)

    // Killed once a quarter of it is in.
    await receiver.cli.until(() => receiver.cli.events.some((e) => e.type === 'transfer-progress' && e.path === 'big.bin' && e.bytes >= 64 * 1024 * 1024), 30_000, 'a quarter of big.bin')
    sender.cli.kill('SIGSTOP')
    sender.cli.kill('SIGKILL')
    // Generous waits: CI machines are shared and this test moves 256 MiB.
    await receiver.cli.waitFor('peer-left', { port: senderPort }, 15_000)
    await receiver.cli.waitFor('transfer-failed', { path: 'big.bin' }, 15_000)
    // At least this much had arrived (progress is said every 100 ms, so maybe more).
    const received = Math.max(...receiver.cli.events.map((e) => (e.type === 'transfer-progress' && e.path === 'big.bin' ? e.bytes : 0)))
    const mirror = mirrorOf(receiverDir, senderPort)
    expect(existsSync(path.join(mirror, 'big.bin'))).toBe(false)
    // Nothing at the final path; the partial stays for the next try, a temp file no one shows.
    await receiver.cli.until(() => readdirSync(mirror).length === 1, 15_000, 'only the partial to stay')
    expect(readdirSync(mirror)[0]).toMatch(/^\.dbs-tmp-part-[0-9a-f]{16}-[0-9a-f]{8}$/)

    // A temp file left by an earlier crash of the receiver is a stray; it goes with the next list.
    const leftover = path.join(mirror, '.dbs-tmp-999-0-1')
    writeFileSync(leftover, 'half a file from a crash')
    utimesSync(leftover, 1e9, 1e9)
    sender = await startClient(serverPort, senderDir, '-p', String(senderPort))
    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 1, 60_000, 'the mirror to complete')
    await expectMirrored(senderDir, mirror)
    // What had arrived is not sent again, but for the block it was in the middle of (256 KiB).
    const synced = receiver.cli.find('file-synced', { path: 'big.bin' })
    expect(synced?.type === 'file-synced' && synced.transferred).toBeLessThanOrEqual(256 * 1024 * 1024 - received + 256 * 1024)
    expect(readdirSync(mirror)).toEqual(['big.bin'])
  })

  it('a mirror file deleted by hand while its peer is away is back before the peer is called synced again', async () => {
    const { serverPort, senderDir, senderPort, receiver } = await mirroredThenStopped((dir, i) => write(dir, `f${i}.txt`, `file ${i}\n`))
    await receiver.cli.waitFor('peer-left', { port: senderPort, reason: 'log-off' })
    const mirror = mirrorOf(receiver.dir, senderPort)
    rmSync(path.join(mirror, 'f3.txt'))
    // Seen by the mirror's watch, which stays while its peer is away.
    await new Promise((r) => setTimeout(r, 500))
    await startClient(serverPort, senderDir, '-p', String(senderPort))
    await receiver.cli.until(() => receiver.cli.count('peer-synced') === 2, 15_000, 'the second sync')
    expect(existsSync(path.join(mirror, 'f3.txt'))).toBe(true)
    await expectMirrored(senderDir, mirror)
  })

  it('a peer that comes back moves only what changed while it was away', async () => {
    const { serverPort, senderDir, senderPort, receiver } = await mirroredThenStopped((dir, i) => write(dir, `f${i}.txt`, `file ${i}\n`))
    await receiver.cli.waitFor('peer-left', { port: senderPort, reason: 'log-off' })
    write(senderDir, 'f3.txt', 'changed while away\n')
    rmSync(path.join(senderDir, 'f4.txt'))
    const before = receiver.cli.count('file-synced')

    await startClient(serverPort, senderDir, '-p', String(senderPort))
    await receiver.cli.until(() => receiver.cli.count('peer-synced') === 2, 15_000, 'the second sync')
    await expectMirrored(senderDir, mirrorOf(receiver.dir, senderPort))
    const synced = receiver.cli.events.slice().filter((e) => e.type === 'file-synced').slice(before)
    expect(synced.map((e) => e.type === 'file-synced' && e.path)).toEqual(['f3.txt'])
    expect(receiver.cli.find('file-removed', { path: 'f4.txt' })).toBeDefined()
  })
})

describe('a mirror changed by hand', () => {
  it('is made whole again while the client runs: files edited, deleted, moved away, a folder removed', { timeout: 60_000 }, async () => {
    const { senderDir, receiver, mirror } = await syncedPair({
      'a.txt': 'alpha\n',
      'edited.txt': 'as the peer has it\n',
      'moved.txt': 'moved away\n',
      'dir/b.txt': 'bravo\n',
      'dir/sub/c.txt': 'charlie\n',
      'big.bin': randomBytes(3 * 1024 * 1024),
    })
    // Files just placed, big and small, are as the manifest says: nothing is fetched twice.
    await new Promise((r) => setTimeout(r, 500))
    expect(receiver.cli.count('file-synced')).toBe(6)
    const before = receiver.cli.count('file-synced')
    rmSync(path.join(mirror, 'a.txt'))
    writeFileSync(path.join(mirror, 'edited.txt'), 'changed here, by hand\n')
    renameSync(path.join(mirror, 'moved.txt'), path.join(receiver.dir, 'taken-out.txt'))
    rmSync(path.join(mirror, 'dir'), { recursive: true })
    await expectMirrored(senderDir, mirror)
    await receiver.cli.until(() => receiver.cli.count('peer-synced') === 2, 15_000, 'a second peer-synced')
    const again = receiver.cli.events.filter((e) => e.type === 'file-synced').slice(before).map((e) => e.type === 'file-synced' && e.path)
    expect(again.sort()).toEqual(['a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'edited.txt', 'moved.txt'])
    // Only the edit is said (what was written there is kept in the history): the rest lost nothing.
    await receiver.cli.waitFor('error', { code: 'mirror-edited' }, 15_000)
    expect(receiver.cli.events.filter((e) => e.type === 'error').map((e) => e.type === 'error' && [e.code, e.message.split(' ')[0]])).toEqual([['mirror-edited', 'edited.txt']])
    // The sender was not asked to change anything, and the restored files are watched as before.
    rmSync(path.join(mirror, 'dir', 'sub', 'c.txt'))
    await expectMirrored(senderDir, mirror)
  })
})

describe('changes no watch reports (written through a memory mapping), found by the whole look every --rescan seconds', () => {
  it('a mirror file changed so is fetched again', { timeout: 60_000 }, async () => {
    const { senderDir, receiver, mirror } = await syncedPair({ 'db.bin': 'the peer has these bytes\n', 'other.txt': 'other\n' }, '--rescan', '1')
    const before = receiver.cli.count('file-synced')
    writeThroughMmap(path.join(mirror, 'db.bin'), 'SOMEBODY')
    expect(readFileSync(path.join(mirror, 'db.bin'), 'utf8')).toBe('SOMEBODY has these bytes\n')
    await expectMirrored(senderDir, mirror)
    await receiver.cli.until(() => receiver.cli.count('file-synced') > before, 15_000, 'db.bin fetched again')
    const again = receiver.cli.events.filter((e) => e.type === 'file-synced').slice(before).map((e) => e.type === 'file-synced' && e.path)
    expect(again).toEqual(['db.bin'])
    await receiver.cli.waitFor('error', { code: 'mirror-edited' }, 15_000)
    expect(receiver.cli.events.filter((e) => e.type === 'error').map((e) => e.type === 'error' && [e.code, e.message.split(' ')[0]])).toEqual([['mirror-edited', 'db.bin']])
  })

  it('a shared file changed so reaches the peer', { timeout: 60_000 }, async () => {
    const { senderDir, mirror } = await syncedPair({ 'db.bin': 'version one of the data\n' }, '--rescan', '1')
    writeThroughMmap(path.join(senderDir, 'db.bin'), 'VERSION TWO')
    await expectMirrored(senderDir, mirror)
    expect(readFileSync(path.join(mirror, 'db.bin'), 'utf8')).toBe('VERSION TWO of the data\n')
  })
})

describe('folders that become files', () => {
  it('a folder the peer replaces with a file of its name, and one replaced so in the mirror by hand: mirrored, nothing stops', { timeout: 60_000 }, async () => {
    const { senderDir, receiver, mirror } = await syncedPair({ 'sub/a.txt': 'a\n', 'sub/sub/b.txt': 'b\n', 'kept/c.txt': 'c\n' })
    // Its watch on the mirror is up: names under the old folder now lead through a file.
    await new Promise((r) => setTimeout(r, 300))
    rmSync(path.join(senderDir, 'sub'), { recursive: true })
    write(senderDir, 'sub', 'now a file\n')
    await expectMirrored(senderDir, mirror)
    // Its watch named paths below the folder that is a file now: looked at, not a crash.
    await new Promise((r) => setTimeout(r, 300))
    expect(receiver.cli.child.exitCode, receiver.cli.stderr).toBeNull()
    rmSync(path.join(mirror, 'kept'), { recursive: true })
    writeFileSync(path.join(mirror, 'kept'), 'put here by hand')
    await expectMirrored(senderDir, mirror)
    expect(receiver.cli.child.exitCode).toBeNull()
    expect(receiver.cli.stderr).toBe("")
    expect(receiver.cli.find('error')).toBeUndefined()
  })
})

describe('a peer whose shared folder goes away', () => {
  const fakes: FakePeer[] = []
  afterEach(async () => {
    for (const fake of fakes.splice(0)) await fake.stop()
  })

  /**
   * A FakePeer whose folder is gone before it says so, as a real folder server's is (the first
   * aborts come before FOLDER_STATE), and a client mirroring it, once that client has heard.
   */
  async function mirroringAPeerGoneSilently(files: FakeFile[]): Promise<{ peer: FakePeer; peerPort: number; receiver: Client }> {
    const serverPort = await startServer()
    const peer = new FakePeer(files)
    fakes.push(peer)
    const peerPort = await peer.start()
    await peer.register(serverPort)
    peer.away = true
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    await receiver.cli.waitFor('transfer-failed', { retrying: true }, 15_000)
    peer.folderState(false)
    await receiver.cli.waitFor('error', { code: 'peer-folder-missing' }, 10_000)
    return { peer, peerPort, receiver }
  }


  /** A fake peer sharing `files`, joined to a fresh server, and a receiver started beside it. */
  async function fakePeerAndReceiver(files: FakeFile[], options: FakePeerOptions): Promise<{ peer: FakePeer; peerPort: number; receiver: Client }> {
    const serverPort = await startServer()
    const peer = new FakePeer(files, options)
    fakes.push(peer)
    const peerPort = await peer.start()
    await peer.register(serverPort)
    return { peer, peerPort, receiver: await startClient(serverPort, tempDir('receiver-')) }
  }

  it('its files wait for the folder, however long, and none is given up on; they come when it is back', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `d${i % 4}/f${i}.txt`, content: Buffer.from(`file ${i}\n`) }))
    files.push({ path: 'big.bin', content: randomBytes(200_000) })
    const { peer, peerPort, receiver } = await mirroringAPeerGoneSilently(files)
    // Longer than all the retries of a failing file together (200 + 400 + 800 + 1600 ms).
    await new Promise((r) => setTimeout(r, 4000))
    expect(receiver.cli.events.filter((e) => e.type === 'transfer-failed' && !e.retrying)).toEqual([])
    expect(receiver.cli.find('error', { code: 'peer-aborted' })).toBeUndefined()
    expect(receiver.cli.find('peer-synced')).toBeUndefined()
    // Held, not asked for in a loop.
    const asked = peer.requests.length
    await new Promise((r) => setTimeout(r, 500))
    expect(peer.requests.length).toBe(asked)

    const missing = receiver.cli.find('error', { code: 'peer-folder-missing' })
    expect(missing?.peer).toBe(`127.0.0.1:${peerPort}`)
    // Named as the other lines about a peer name it.
    expect(missing?.message).toMatch(new RegExp(`^the shared folder of \\S+ \\(127\\.0\\.0\\.1:${peerPort}\\) is gone for now`))
    peer.away = false
    peer.folderState(true)
    await receiver.cli.waitFor('peer-folder-restored', { peer: `127.0.0.1:${peerPort}` }, 10_000)
    await receiver.cli.waitFor('peer-synced', { files: 41 }, 15_000)
    expect(treeOf(mirrorOf(receiver.dir, peerPort))).toEqual(mirroredTree(files))
    expect(receiver.cli.events.filter((e) => e.type === 'error' && e.code === 'peer-folder-missing')).toHaveLength(1)
    // Every file announced again, as the mirror already holds it: nothing to say.
    peer.folderState(true, true)
    await new Promise((r) => setTimeout(r, 500))
    expect(receiver.cli.count('peer-synced')).toBe(1)
  })

  it('a subscription lost while the folder is away learns, when made again, that it is back', async () => {
    const files = Array.from({ length: 10 }, (_, i) => ({ path: `f${i}.txt`, content: Buffer.from(`file ${i}\n`) }))
    const { peer, peerPort, receiver } = await mirroringAPeerGoneSilently(files)
    // The folder comes back while no subscription is there to hear it.
    peer.dropSubscribers()
    peer.away = false
    await receiver.cli.waitFor('peer-folder-restored', { peer: `127.0.0.1:${peerPort}` }, 10_000)
    await receiver.cli.waitFor('peer-synced', { files: 10 }, 15_000)
    expect(treeOf(mirrorOf(receiver.dir, peerPort))).toEqual(mirroredTree(files))
    expect(receiver.cli.events.filter((e) => e.type === 'error' && e.code === 'peer-folder-missing')).toHaveLength(1)
  })

  it('changes pushed on a subscription lost before its list are older than the next list, and not applied over it', async () => {
    const files = [
      { path: 'a.txt', content: Buffer.from('a\n') },
      { path: 'b.txt', content: Buffer.from('b\n') },
    ]
    // a.txt said deleted on the first connection, made again before the list on the next one.
    const { peerPort, receiver } = await fakePeerAndReceiver(files, { firstListLost: [{ op: 'delete', path: 'a.txt' }] })
    await receiver.cli.waitFor('peer-synced', { files: 2 }, 15_000)
    expect(treeOf(mirrorOf(receiver.dir, peerPort))).toEqual(mirroredTree(files))
    expect(receiver.cli.find('file-removed')).toBeUndefined()
  })

  it('a change pushed before the list is in it already; one pushed right behind its last frame applies to it', async () => {
    const files = [
      { path: 'a.txt', content: Buffer.from('a, as it is now\n') },
      { path: 'b.txt', content: Buffer.from('b\n') },
    ]
    const { peerPort, receiver } = await fakePeerAndReceiver(files, {
      listReply: ([a, b]) => [
        // Older than the list, which still holds b.txt: not applied over it.
        { type: 'INDEX_CHANGED', changes: [{ op: 'delete', path: 'b.txt' }] },
        // The list names an older a.txt; the push right behind it (one read, most likely) the current one.
        { type: 'FILE_LIST', last: true, files: [{ ...a!, version: contentVersion('a, before\n'), size: 10 }, b!] },
        { type: 'INDEX_CHANGED', changes: [{ op: 'upsert', ...a! }] },
      ],
    })
    await receiver.cli.waitFor('peer-synced', { files: 2 }, 15_000)
    expect(treeOf(mirrorOf(receiver.dir, peerPort))).toEqual(mirroredTree(files))
    expect(receiver.cli.find('file-removed')).toBeUndefined()
  })

  it('a peer whose list is out of step every time is reported once, and asked again less and less often', async () => {
    // A FILE_NOT_FOUND where the FILE_LIST belongs: out of step, the peer's fault.
    const { peer, receiver } = await fakePeerAndReceiver([{ path: 'a.txt', content: Buffer.from('a\n') }], { listReply: () => [{ type: 'FILE_NOT_FOUND', path: 'a.txt' }] })
    const lists = (): number => peer.requests.filter((r) => r.message.type === 'GET_FILE_LIST').length
    await receiver.cli.until(() => lists() >= 3, 20_000, 'the list asked for three times')
    const badLists = receiver.cli.events.filter((e) => e.type === 'error' && e.code === 'bad-peer')
    expect(badLists).toHaveLength(1)
    expect(receiver.cli.find('peer-synced')).toBeUndefined()
    // Waits of 1 s, then 2 s: the third list comes no sooner than 3 s after the first.
    const at = peer.requests.filter((r) => r.message.type === 'GET_FILE_LIST').map((r) => r.at)
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(2900)
  })

  it('a client started on an empty folder in place of its own (a disk not mounted) empties no mirror', async () => {
    const { serverPort, senderDir, senderPort, receiver } = await mirroredThenStopped((dir, i) => write(dir, `d/f${i}.txt`, `content ${i}\n`))
    renameSync(senderDir, `${senderDir}-disk`)
    mkdirSync(senderDir)

    const again = await startClient(serverPort, senderDir, '-p', String(senderPort))
    expect((await again.cli.waitFor('error', { code: 'folder-missing' })).message).toContain('holds no file to share and is not the folder shared last time')
    await receiver.cli.waitFor('error', { code: 'peer-folder-missing' }, 10_000)
    await new Promise((r) => setTimeout(r, 1500))
    expect(receiver.cli.find('file-removed')).toBeUndefined()
    expect(Object.keys(treeOf(mirrorOf(receiver.dir, senderPort)))).toHaveLength(20)

    rmSync(senderDir, { recursive: true })
    renameSync(`${senderDir}-disk`, senderDir)
    await receiver.cli.waitFor('peer-folder-restored', { peer: `127.0.0.1:${senderPort}` }, 10_000)
    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 2, 15_000, 'the mirror confirmed again')
    await expectMirrored(senderDir, mirrorOf(receiver.dir, senderPort))
    expect(receiver.cli.find('file-removed')).toBeUndefined()
  })

  it('a real client whose folder is moved away and back: the peer waits, then mirrors it all', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    for (let i = 0; i < 30; i++) write(senderDir, `s${i % 3}/f${i}.txt`, `content ${i}\n`)
    const sender = await startClient(serverPort, senderDir)
    renameSync(senderDir, `${senderDir}-away`)
    await sender.cli.waitFor('error', { code: 'folder-missing' }, 10_000)
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    await receiver.cli.waitFor('error', { code: 'peer-folder-missing' }, 10_000)
    expect(receiver.cli.find('peer-synced')).toBeUndefined()
    renameSync(`${senderDir}-away`, senderDir)
    await receiver.cli.waitFor('peer-folder-restored', { peer: `127.0.0.1:${sender.port}` }, 10_000)
    await receiver.cli.waitFor('peer-synced', { files: 30 }, 15_000)
    await expectMirrored(senderDir, mirrorOf(receiver.dir, sender.port))
    expect(receiver.cli.find('transfer-failed')).toBeUndefined()
  })
})

describe('the readable output', () => {
  it('says a mirror is up to date after a sync, and not again after every single edit', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('talker-')
    write(senderDir, 'a.txt', 'first')
    write(senderDir, 'b.txt', 'second')
    const sender = await startClient(serverPort, senderDir)
    const { spawn } = await import('node:child_process')
    // Readable, not --json; as a device of its own that joins with an invite (asDevice).
    const child = spawn(process.execPath, [BIN, ...asDevice(['client', '-d', tempDir('reader-'), '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    const until = async (check: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 150 && !check(); i++) await new Promise((r) => setTimeout(r, 100))
      if (!check()) throw new Error(`waited for ${what}; output so far:\n${text}`)
    }
    const upToDate = (): number => text.split('\n').filter((l) => l.startsWith(`mirror of ${defaultDeviceName()} (127.0.0.1:${sender.port}) is up to date`)).length
    try {
      await until(() => upToDate() === 1, 'the first sync')
      write(senderDir, 'a.txt', 'edited')
      await until(() => text.includes(`synced ${defaultDeviceName()} (127.0.0.1:${sender.port}) a.txt (6 bytes)`), 'the edit')
      // Two files in one change (a folder moved in whole): that sync gets its line again.
      const outside = tempDir('outside-')
      write(outside, 'c.txt', 'one')
      write(outside, 'd.txt', 'two')
      renameSync(outside, path.join(senderDir, 'pair'))
      await until(() => upToDate() === 2, 'the up-to-date line after two files')
      expect(text).not.toMatch(/error peer-aborted/)
      // A newline in a name does not split its line.
      write(senderDir, 'two\nlines.txt', 'x')
      await until(() => text.includes(`synced ${defaultDeviceName()} (127.0.0.1:${sender.port}) two\\nlines.txt (1 bytes)`), 'the name quoted on one line')
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('a client restarted without -p', () => {
  it('keeps its port, so peers keep their mirror of it; takes another when that one is taken', async () => {
    const serverPort = await startServer()
    const dir = tempDir('restarted-')
    write(dir, 'kept.txt', 'kept\n')
    const receiver = await startClient(serverPort, tempDir('watching-'))
    const first = await startClient(serverPort, dir)
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${first.port}` }, 15_000)
    first.cli.kill('SIGINT')
    expect((await first.cli.exited).code).toBe(0)

    const second = await startClient(serverPort, dir)
    expect(second.port).toBe(first.port)
    await receiver.cli.until(() => receiver.cli.count('peer-synced') === 2, 15_000, 'the second sync')
    // Nothing moved again: the mirror was already complete, under the same name.
    expect(receiver.cli.count('file-synced')).toBe(1)
    second.cli.kill('SIGINT')
    await second.cli.exited

    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(first.port, resolve))
    try {
      const third = await startClient(serverPort, dir)
      expect(third.port).not.toBe(first.port)
    } finally {
      squatter.close()
    }
  })
})

describe('the ring and the workers', () => {
  it('-w 1 -b 1 with thousands of files completes', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('many-')
    // Names long enough that the list spans two FILE_LIST frames: jobs start from the first.
    for (let i = 0; i < 3000; i++) write(senderDir, `d${i % 30}/file number ${i} with a longer name.txt`, `${i}`)
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('one-'), '-w', '1', '-b', '1')
    expect(await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 60_000)).toMatchObject({ files: 3000 })
    await expectMirrored(senderDir, mirrorOf(receiver.dir, sender.port))
    const buffers = receiver.cli.events.filter((e) => e.type === 'buffer')
    expect(buffers.every((e) => e.type === 'buffer' && e.capacity === 1 && e.used <= 1)).toBe(true)
    expect(receiver.cli.events.filter((e) => e.type === 'workers').every((e) => e.type === 'workers' && e.total === 1 && e.states.every((s) => (s.jobs ?? 0) <= 1))).toBe(true)
  })

  it('-w 2 -b 4: the workers never hold more than 4 jobs between them (a batch of small files is one), and the ring never more than 4', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('many-')
    for (let i = 0; i < 4000; i++) write(senderDir, `d${i % 40}/small ${i}.txt`, `${i}`.repeat(1 + (i % 50)))
    // Past the batch limit: each is a job of its own.
    for (let i = 0; i < 6; i++) write(senderDir, `large/${i}.bin`, randomBytes(200_000))
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('bounded-'), '-w', '2', '-b', '4')
    expect(await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 60_000)).toMatchObject({ files: 4006 })
    await expectMirrored(senderDir, mirrorOf(receiver.dir, sender.port))
    const buffers = receiver.cli.events.flatMap((e) => (e.type === 'buffer' ? [e] : []))
    expect(buffers.length).toBeGreaterThan(0)
    for (const e of buffers) expect(e).toMatchObject({ capacity: 4, used: expect.toSatisfy((used: number) => used <= 4) })
    const out = receiver.cli.events.flatMap((e) => (e.type === 'workers' ? [e.states.map((s) => s.jobs ?? 0)] : []))
    for (const jobs of out) {
      expect(jobs).toHaveLength(2)
      // Each worker's share of the 4 is 2.
      expect(Math.max(...jobs)).toBeLessThanOrEqual(2)
      expect(jobs[0]! + jobs[1]!).toBeLessThanOrEqual(4)
    }
    // The counts were seen while work was out: the checks above looked at something.
    expect(out.some((jobs) => jobs[0]! + jobs[1]! > 0)).toBe(true)
  })
})

describe('hostile and unknown peers', () => {
  it('nothing a lying peer sends lands outside its mirror; each lie is reported; others keep syncing', async () => {
    const serverPort = await startServer()
    const honestDir = tempDir('honest-')
    write(honestDir, 'fine.txt', 'honest content')
    const honest = await startClient(serverPort, honestDir)
    const liar = new FakePeer([
      { path: '../escape.txt', content: Buffer.from('x') },
      { path: '/etc/dropbox-sync-test', content: Buffer.from('x') },
      { path: 'a/../../b.txt', content: Buffer.from('x') },
      { path: 'nul\0byte.txt', content: Buffer.from('x') },
      { path: `${'n'.repeat(300)}.txt`, content: Buffer.from('x') },
      { path: 'back\\slash.txt', content: Buffer.from('x') },
      { path: 'ok.txt', content: Buffer.from('the one good file') },
      { path: 'too-long.txt', content: Buffer.from('twenty bytes of data'), announce: { size: 10 } },
      { path: 'bad-hash.txt', content: Buffer.from('evil'), announce: { version: contentVersion('good') } },
    ])
    const liarPort = await liar.start()
    await liar.register(serverPort)
    try {
      const victimDir = tempDir('victim-')
      const victim = await startClient(serverPort, victimDir)
      await victim.cli.waitFor('file-synced', { path: 'ok.txt' }, 15_000)
      await victim.cli.waitFor('peer-synced', { peer: `127.0.0.1:${honest.port}` }, 15_000)
      await victim.cli.waitFor('error', { code: 'hash-mismatch' }, 10_000)
      await victim.cli.waitFor('error', { code: 'size-mismatch' }, 10_000)
      const badPaths = victim.cli.events.filter((e) => e.type === 'error' && e.code === 'bad-path')
      expect(badPaths).toHaveLength(6)
      const mirror = mirrorOf(victimDir, liarPort)
      expect(treeOf(mirror)).toEqual({ 'ok.txt': sha256('the one good file').toString('hex') })
      expect(existsSync(path.join(path.dirname(victimDir), 'escape.txt'))).toBe(false)
      expect(existsSync(path.join(`${victimDir}-mirrors`, 'escape.txt'))).toBe(false)
      expect(existsSync(path.join(`${victimDir}-mirrors`, 'b.txt'))).toBe(false)
      expect(existsSync('/etc/dropbox-sync-test')).toBe(false)
      // A lie is not asked for again and again: once caught, that version is refused.
      await new Promise((r) => setTimeout(r, 1500))
      expect(victim.cli.events.filter((e) => e.type === 'error' && e.code === 'hash-mismatch')).toHaveLength(1)
      const asked = liar.requests.filter(
        ({ from, message: m }) =>
          from === victim.idHex &&
          ((m.type === 'GET_FILE' && m.path === 'bad-hash.txt') || (m.type === 'GET_FILES' && m.files.some((f) => f.path === 'bad-hash.txt'))),
      )
      // At most one more: a request already in the pipeline when another lie closed the connection.
      expect(asked.length).toBeLessThanOrEqual(2)
      await expectMirrored(honestDir, mirrorOf(victimDir, honest.port))
    } finally {
      await liar.stop()
    }
  })

  it('every worker connects to a peer as soon as the peer accepts us, before any file is handed out', async () => {
    const serverPort = await startServer()
    const peer = new FakePeer([])
    await peer.start()
    await peer.register(serverPort)
    try {
      const client = await startClient(serverPort, tempDir('eager-'), '-w', '3')
      await client.cli.waitFor('peer-synced', { peer: `127.0.0.1:${peer.port}` }, 15_000)
      // The subscription's connection, and one per worker, though an empty folder needs no files:
      // each says HELLO as the client's device.
      const connections = (): number => peer.requests.filter(({ from, message }) => from === client.idHex && message.type === 'HELLO').length
      const deadline = Date.now() + 5000
      while (connections() < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(connections()).toBe(4)
      // Nobody else came: every connection was the client's.
      expect(new Set(peer.requests.map(({ from }) => from))).toEqual(new Set([client.idHex]))
    } finally {
      await peer.stop()
    }
  })

  it('refuses to serve anyone the server has not announced, by the device its certificate proves', async () => {
    const server = await startServerDevice()
    const dir = tempDir('private-')
    write(dir, 'secret.txt', 'not for strangers')
    const client = await startClient(server.port, dir)
    const refused = async (peer: RawPeer): Promise<void> => {
      peer.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: peer.identity.name })
      peer.send({ type: 'GET_FILE_LIST' })
      peer.send({ type: 'GET_FILE', path: 'secret.txt', version: null })
      expect(errorCodeName((await peer.next('ERROR', 10_000)).code)).toBe('not-a-member')
      await peer.waitClosed()
      // No HELLO, no list, no byte of the file.
      expect(peer.messages).toEqual([])
    }

    // A valid certificate, but no member of the server.
    await refused(await RawPeer.connect(client.port, { identity: await newIdentity('stranger') }))
    await client.cli.waitFor('error', { code: 'unknown-peer' })

    // A member of the server, but not online: the server has not announced it.
    const member = await newIdentity('offline-member')
    await makeMember(server.configDir, member)
    await refused(await RawPeer.connect(client.port, { identity: member }))

    // Online (announced at an address of its own): served, on a connection it opens itself.
    const online = await newIdentity('online-member')
    const registration = await RawPeer.logOn(server.port, { ip: '127.0.0.1', port: 1 }, { identity: online })
    try {
      const reader = await RawPeer.handshake(client.port, { identity: online })
      reader.send({ type: 'GET_FILE_LIST' })
      expect((await reader.next('FILE_LIST', 10_000)).files.map((f) => f.path)).toEqual(['secret.txt'])
      reader.close()
    } finally {
      registration.close()
    }
  })
})

describe('refusals while the server is away', () => {
  it('a member calling while the client has no list from the server is refused, with no unknown-peer error', async () => {
    const server = await startServerDevice()
    const client = await startClient(server.port, tempDir('away-'))
    const member = await newIdentity('calling-member')
    await makeMember(server.configDir, member)
    server.cli.kill('SIGINT')
    await client.cli.waitFor('server-lost', {}, 15_000)

    const caller = await RawPeer.connect(client.port, { identity: member })
    caller.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: member.name })
    caller.send({ type: 'GET_FILE_LIST' })
    expect(errorCodeName((await caller.next('ERROR', 10_000)).code)).toBe('not-a-member')
    await caller.waitClosed()
    expect(caller.messages).toEqual([])
    expect(client.cli.find('error', { code: 'unknown-peer' })).toBeUndefined()
  })
})

describe('IPv6', () => {
  it('mirrors between clients on ::1, into a folder name without colons', async () => {
    const server = runCli(['server', '-p', '0', '--host', '::1'])
    const { port: serverPort } = await server.waitFor('ready')
    const dir = tempDir('v6-')
    write(dir, 'hello.txt', 'over IPv6')
    const start = async (folder: string): Promise<Client> => {
      const cli = runCli(['client', '-d', folder, '-sp', String(serverPort), '-sip', '::1', '--host', '::1'])
      const { port, id } = await cli.waitFor('ready', { role: 'client' }, 30_000)
      return { cli, dir: folder, port, id, idHex: idToHex(id) }
    }
    const sender = await start(dir)
    const receiver = await start(tempDir('v6-'))
    await receiver.cli.waitFor('peer-synced', { peer: `[::1]:${sender.port}` }, 15_000)
    await expectMirrored(dir, mirrorOf(receiver.dir, sender.port, '::1'))
  })
})

describe('worker threads', () => {
  it('are 4 by default, or as many as the cores when there are fewer; -w sets them', async () => {
    const serverPort = await startServer()
    const plain = await startClient(serverPort, tempDir('w-'))
    expect((await plain.cli.waitFor('workers')).total).toBe(Math.min(4, availableParallelism()))
    const asked = await startClient(serverPort, tempDir('w-'), '-w', '3')
    expect((await asked.cli.waitFor('workers')).total).toBe(3)
  })
})

describe('folders', () => {
  it('refuses a mirror folder inside the shared folder', async () => {
    const dir = tempDir('shared-')
    const { code, stderr } = await runCliOnce(['client', '-d', dir, '-sp', '1', '-sip', '127.0.0.1', '--mirror', path.join(dir, 'm')])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toContain('inside the shared folder')
  })

  it('sees through symlinks, and refuses an empty folder name, a mirror on a file or inside an old mirror, and sharing / or the temp folder', async () => {
    const base = tempDir('folders-')
    mkdirSync(path.join(base, 'real'))
    symlinkSync('real', path.join(base, 'link'))
    writeFileSync(path.join(base, 'file'), '')
    const old = path.join(base, 'old-mirrors')
    mkdirSync(path.join(old, '.dropbox-sync'), { recursive: true })
    mkdirSync(path.join(old, 'alice-AAAQEAY'))
    const refusals: Array<[string[], string]> = [
      [['-d', path.join(base, 'link'), '--mirror', path.join(base, 'real', 'm')], 'inside the shared folder'],
      [['-d', ''], 'the folder is empty'],
      [['-d', base, '--mirror', ''], 'the folder is empty'],
      [['-d', path.join(base, 'real'), '--mirror', path.join(base, 'file')], 'is a file, not a folder'],
      [['-d', path.join(base, 'real'), '--mirror', path.join(base, 'file', 'sub')], `cannot be made: ${path.join(base, 'file')} is a file`],
      [['-d', '/'], "option '-d, --dir <dir>' argument '/' is invalid. the shared folder / is the root folder: everything in it would be shared"],
      // The temp folder itself, never one inside it (every test shares one of those).
      [['-d', tmpdir()], `option '-d, --dir <dir>' argument '${tmpdir()}' is invalid. the shared folder ${realpathSync(tmpdir())} is the system's temp folder`],
      [['-d', path.join(base, 'real'), '--mirror', path.join(old, 'alice-AAAQEAY', 'new')], `is inside ${old}, another mirror folder (it holds .dropbox-sync); mirrors cannot nest`],
    ]
    for (const [args, why] of refusals) {
      const { code, stderr } = await runCliOnce(['client', ...args, '-sp', '1', '-sip', '127.0.0.1'])
      expect(code, args.join(' ')).toBe(2)
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(stderr, args.join(' ')).toContain(why)
    }
  })

  it('one client per mirror folder: a second is refused; a lock left by a killed one is taken over', async () => {
    const serverPort = await startServer()
    const mirror = path.join(tempDir('one-mirror-'), 'mirrors')
    const first = await startClient(serverPort, tempDir('first-'), '--mirror', mirror)
    const second = await runCliOnce(['client', '-d', tempDir('second-'), '--mirror', mirror, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    expect(second.code).toBe(1)
    expect(second.stderr.trim()).toBe(
      `dropbox-sync: cannot start the client: the mirror folder ${mirror} is in use by another dropbox-sync client (pid ${first.cli.child.pid}); give this one its own mirror folder, or remove ${mirror}/.dropbox-sync/lock if no client uses it`,
    )
    first.cli.kill('SIGKILL')
    await first.cli.exited
    await startClient(serverPort, tempDir('third-'), '--mirror', mirror)
  })

  it('a shared folder given as a symlink is watched through to the real folder', async () => {
    const serverPort = await startServer()
    const base = tempDir('linked-')
    mkdirSync(path.join(base, 'real'))
    symlinkSync('real', path.join(base, 'link'))
    write(path.join(base, 'real'), 'before.txt', 'there at start')
    const sharer = await startClient(serverPort, path.join(base, 'link'))
    const watcher = await startClient(serverPort, tempDir('watcher-'))
    const mirror = mirrorOf(watcher.dir, sharer.port)
    await expectMirrored(path.join(base, 'real'), mirror)
    write(path.join(base, 'real'), 'after.txt', 'made while running')
    await expectMirrored(path.join(base, 'real'), mirror)
  })
})
