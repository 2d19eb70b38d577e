// Files moved as verified blocks, through real CLI processes (issue 20): an edit or an append
// moves only the blocks that changed, a peer that lies about a block gets no byte of it into
// the mirror, and the block is fetched again once the peer announces the file anew.
import { randomBytes } from 'node:crypto'
import { appendFileSync, closeSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { runsOf } from '../../src/main/engine/mirror/run-plan'
import { killAll } from '../helpers/cli'
import { canMount, mounted, unmountAll } from '../helpers/mount'
import { freePort } from '../helpers/ports'
import { FakePeer, type FakePeerOptions } from '../helpers/fake-peer'
import { expectMirrored, startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, peerFolderName, sha256, treeOf } from '../helpers/tree'

const KiB = 1024
const MiB = 1024 * KiB

afterEach(() => {
  killAll()
  unmountAll()
  removeTempDirs()
})

describe('runs of missing blocks', () => {
  it.each([
    [[], 128 * KiB, []],
    [[0, 1, 2], 128 * KiB, [{ first: 0, count: 3 }]],
    [[0, 2, 3, 7], 128 * KiB, [{ first: 0, count: 1 }, { first: 2, count: 2 }, { first: 7, count: 1 }]],
    // At most 8 MiB a run: 64 blocks of 128 KiB, 8 of 1 MiB, and one block of 16 MiB.
    [Array.from({ length: 70 }, (_, i) => i), 128 * KiB, [{ first: 0, count: 64 }, { first: 64, count: 6 }]],
    [Array.from({ length: 10 }, (_, i) => i), MiB, [{ first: 0, count: 8 }, { first: 8, count: 2 }]],
    [[0, 1], 16 * MiB, [{ first: 0, count: 1 }, { first: 1, count: 1 }]],
  ])('%j in blocks of %d: %j', (missing, blockSize, runs) => {
    expect(runsOf(missing, blockSize)).toEqual(runs)
  })

  // Spread over the workers: an even share each, still at most 8 MiB, still contiguous.
  it.each([
    [[], 128 * KiB, 4, []],
    [[0, 1, 2, 3, 4, 5, 6, 7], 128 * KiB, 4, [{ first: 0, count: 2 }, { first: 2, count: 2 }, { first: 4, count: 2 }, { first: 6, count: 2 }]],
    [[0, 1, 2, 3, 4], 128 * KiB, 2, [{ first: 0, count: 3 }, { first: 3, count: 2 }]],
    // Fewer blocks than workers: one block a run.
    [[3, 4], 128 * KiB, 4, [{ first: 3, count: 1 }, { first: 4, count: 1 }]],
    // A gap still cuts a run short of its share.
    [[0, 1, 5, 6, 7, 8], 128 * KiB, 2, [{ first: 0, count: 2 }, { first: 5, count: 3 }, { first: 8, count: 1 }]],
    // The share is larger than 8 MiB: 8 MiB it stays (1 GiB, 1 MiB blocks, 4 workers).
    [Array.from({ length: 1024 }, (_, i) => i), MiB, 4, Array.from({ length: 128 }, (_, i) => ({ first: i * 8, count: 8 }))],
    [Array.from({ length: 10 }, (_, i) => i), MiB, 1, [{ first: 0, count: 8 }, { first: 8, count: 2 }]],
    // Zero workers is taken as one.
    [[0, 1, 2], 128 * KiB, 0, [{ first: 0, count: 3 }]],
  ])('%j in blocks of %d over %d workers: %j', (missing, blockSize, workers, runs) => {
    expect(runsOf(missing, blockSize, workers)).toEqual(runs)
  })
})

/** Puts `content` at `rel` whole, as an editor's save does (a file seen half-written is another version). */
function replaceWhole(dir: string, rel: string, content: Buffer): void {
  const aside = path.join(tempDir('aside-'), 'new')
  writeFileSync(aside, content)
  renameSync(aside, path.join(dir, rel))
}

/** The file-synced event for `rel` after the first `skip` of them. */
function syncedAfter(client: Awaited<ReturnType<typeof startClient>>, rel: string, skip: number) {
  return client.cli.events.filter((e) => e.type === 'file-synced' && e.path === rel)[skip]
}

describe('blocks between real clients', () => {
  it('an edit in the middle of a big file, then an append, move only the blocks they touch', { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    // 24 MiB: blocks of 128 KiB.
    write(senderDir, 'big.bin', randomBytes(24 * MiB))
    const sender = await startClient(serverPort, senderDir)
    // One worker: the file's own job waits there for its runs, which the same worker takes.
    const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '1')
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 60_000)
    const mirror = mirrorOf(receiver.dir, sender.port)

    // 4 KiB in the middle, across no block boundary.
    const fd = openSync(path.join(senderDir, 'big.bin'), 'r+')
    writeSync(fd, randomBytes(4 * KiB), 0, 4 * KiB, 12 * MiB + 1000)
    closeSync(fd)
    await receiver.cli.until(() => syncedAfter(receiver, 'big.bin', 1) !== undefined, 30_000, 'the edit to arrive')
    const edit = syncedAfter(receiver, 'big.bin', 1)!
    expect(edit.type === 'file-synced' && edit.transferred).toBe(128 * KiB)
    await expectMirrored(senderDir, mirror)

    appendFileSync(path.join(senderDir, 'big.bin'), 'x')
    await receiver.cli.until(() => syncedAfter(receiver, 'big.bin', 2) !== undefined, 30_000, 'the append to arrive')
    const append = syncedAfter(receiver, 'big.bin', 2)!
    // The new last block: one byte.
    expect(append.type === 'file-synced' && append.transferred).toBe(1)
    await expectMirrored(senderDir, mirror)
    expect(readdirSync(mirror).sort()).toEqual(['big.bin'])
  })

  it('a block that fails its check never reaches the mirror; announced anew, only what is missing comes', { timeout: 60_000 }, async () => {
    const serverPort = await startServer()
    const v1 = randomBytes(3 * MiB + 5)
    const file = { path: 'big.bin', content: v1 }
    const options: FakePeerOptions = {}
    const liar = new FakePeer([file], options)
    const liarPort = await liar.start()
    await liar.register(serverPort)
    try {
      // Four workers: the eight blocks to fetch go as four runs, one on each connection.
      const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '4')
      const mirror = mirrorOf(receiver.dir, liarPort)
      await receiver.cli.waitFor('file-synced', { path: 'big.bin' }, 20_000)
      // A new version with blocks 4 to 11 changed; the first time block 10 is asked for, it comes corrupted.
      const v2 = Buffer.from(v1)
      const { blockSize } = versionOf(v2)
      randomBytes(8 * blockSize).copy(v2, 4 * blockSize)
      file.content = v2
      options.corruptBlock = { path: 'big.bin', index: 10, times: 1 }
      liar.folderState(true, true)
      await receiver.cli.waitFor('error', { code: 'hash-mismatch' }, 20_000)
      const runs = liar.requests.filter(({ message: m }) => m.type === 'GET_BLOCKS')
      expect(runs.map(({ message: m }) => m.type === 'GET_BLOCKS' && [m.first, m.count]).sort()).toEqual([[10, 2], [4, 2], [6, 2], [8, 2]])
      expect(new Set(runs.map(({ connection }) => connection)).size).toBeGreaterThan(1)
      // The mirror still holds the old version, whole: nothing of the new one reached it. Beside
      // it, the partial of the new one keeps what was verified.
      const held = treeOf(mirror)
      expect(held['big.bin']).toBe(sha256(v1).toString('hex'))
      expect(Object.keys(held).filter((rel) => rel !== 'big.bin')).toEqual([expect.stringMatching(/^\.dbs-tmp-part-/)])
      // Not asked for again on its own.
      await new Promise((r) => setTimeout(r, 1000))
      const blocksAsked = () => liar.requests.filter(({ message: m }) => m.type === 'GET_BLOCKS').length
      const before = blocksAsked()
      await new Promise((r) => setTimeout(r, 1000))
      expect(blocksAsked()).toBe(before)

      // Announced anew: it comes, from the partial and the old copy, with only block 10 and after fetched.
      liar.folderState(true, true)
      await receiver.cli.until(() => receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path === 'big.bin').length === 2, 20_000, 'the new version')
      expect(treeOf(mirror)).toEqual({ 'big.bin': sha256(v2).toString('hex') })
      const synced = receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path === 'big.bin')[1]
      expect(synced?.type === 'file-synced' && synced.transferred).toBeLessThanOrEqual(2 * blockSize)
    } finally {
      await liar.stop()
    }
  })

  it('a file renamed, and a copy of it made, move no content', { timeout: 60_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'big.bin', randomBytes(6 * MiB))
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 60_000)
    const before = receiver.cli.events.length
    const { renameSync, copyFileSync } = await import('node:fs')
    renameSync(path.join(senderDir, 'big.bin'), path.join(senderDir, 'renamed.bin'))
    // Made whole, then moved in (as an editor's save): a copy seen half-written would be another version.
    const aside = path.join(tempDir('aside-'), 'copy.bin')
    copyFileSync(path.join(senderDir, 'renamed.bin'), aside)
    renameSync(aside, path.join(senderDir, 'copy.bin'))
    await expectMirrored(senderDir, mirrorOf(receiver.dir, sender.port), 30_000)
    // A file is in place a moment before its worker's word of it reaches the events.
    const synced = () => receiver.cli.events.slice(before).filter((e) => e.type === 'file-synced')
    await receiver.cli.until(() => synced().length >= 2, 15_000, 'both files said synced')
    const moved = synced()
    expect(moved.map((e) => e.type === 'file-synced' && e.path).sort()).toEqual(['copy.bin', 'renamed.bin'])
    expect(moved.every((e) => e.type === 'file-synced' && e.transferred === 0)).toBe(true)
  })

  it('a big file pulled by blocks goes over every worker; cut midway, the next try fetches only what no worker verified', { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'big.bin', randomBytes(2 * MiB))
    const senderPort = await freePort()
    // Sent slowly enough to be cut midway, and a worker state seen several times meanwhile.
    const slowly = ['-p', String(senderPort), '--limit-rate', String(8 * 1024)]
    let sender = await startClient(serverPort, senderDir, ...slowly)
    const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '4')
    await receiver.cli.waitFor('file-synced', { path: 'big.bin' }, 30_000)
    const mirror = mirrorOf(receiver.dir, senderPort)

    // 64 MiB of new content over the old copy: all of it fetched by blocks (128 KiB), in eight runs.
    const size = 64 * MiB
    replaceWhole(senderDir, 'big.bin', randomBytes(size))
    const progressed = () => Math.max(0, ...receiver.cli.events.map((e) => (e.type === 'transfer-progress' && e.path === 'big.bin' ? e.bytes : 0)))
    await receiver.cli.until(() => progressed() >= size / 2, 60_000, 'half of the new big.bin')
    // More than one worker held runs of it at once: the file's own job is on one of them, its runs on the others.
    const spread = Math.max(...receiver.cli.events.map((e) => (e.type === 'workers' ? e.states.filter((s) => s.path === 'big.bin').length : 0)))
    expect(spread).toBeGreaterThanOrEqual(3)
    sender.cli.kill('SIGSTOP')
    sender.cli.kill('SIGKILL')
    await receiver.cli.waitFor('peer-left', { port: senderPort }, 15_000)
    await receiver.cli.waitFor('transfer-failed', { path: 'big.bin' }, 15_000)
    const received = progressed()
    await receiver.cli.until(() => readdirSync(mirror).some((name) => name.startsWith('.dbs-tmp-part-')), 15_000, 'the partial to stay')

    sender = await startClient(serverPort, senderDir, ...slowly)
    await receiver.cli.until(() => syncedAfter(receiver, 'big.bin', 1) !== undefined, 60_000, 'the new big.bin')
    await expectMirrored(senderDir, mirror)
    // What the workers had verified before the cut is not fetched again: the record the file's
    // own worker keeps for all of them has every block of it.
    const synced = syncedAfter(receiver, 'big.bin', 1)!
    expect(synced.type === 'file-synced' && synced.transferred).toBeLessThanOrEqual(size - received)
    expect(readdirSync(mirror)).toEqual(['big.bin'])
  })
})

describe('a folder removed by hand while a big file is pulled into it', () => {
  it('the file still comes from what was verified, nothing fetched twice, and no error', { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'sub/big.bin', randomBytes(200 * KiB))
    const senderPort = await freePort()
    // Slow enough for the folder to go while the new version comes.
    await startClient(serverPort, senderDir, '-p', String(senderPort), '--limit-rate', String(512))
    const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '1')
    await receiver.cli.waitFor('file-synced', { path: 'sub/big.bin' }, 30_000)
    const mirror = mirrorOf(receiver.dir, senderPort)

    // A new version over the old copy: pulled by blocks into a partial beside it, in sub/.
    const size = 3 * MiB
    replaceWhole(senderDir, 'sub/big.bin', randomBytes(size))
    const progressed = () => Math.max(0, ...receiver.cli.events.map((e) => (e.type === 'transfer-progress' && e.path === 'sub/big.bin' ? e.bytes : 0)))
    await receiver.cli.until(() => progressed() > 0, 60_000, 'the new big.bin under way')
    rmSync(path.join(mirror, 'sub'), { recursive: true, force: true })
    // Removed while it came, not after: the new version was not in place yet.
    expect(syncedAfter(receiver, 'sub/big.bin', 1)).toBeUndefined()

    await receiver.cli.until(() => syncedAfter(receiver, 'sub/big.bin', 1) !== undefined, 60_000, 'the new big.bin')
    await expectMirrored(senderDir, mirror)
    const synced = syncedAfter(receiver, 'sub/big.bin', 1)!
    // Said only when fewer bytes than the file's came over the wire.
    expect(synced.type === 'file-synced' && (synced.transferred ?? synced.bytes)).toBeLessThanOrEqual(size)
    expect(receiver.cli.events.filter((e) => e.type === 'transfer-failed' || e.type === 'error')).toEqual([])
  })
})

describe('a folder removed by hand while a new big file comes into it whole', () => {
  it('says so, once, not as a disk that refuses writes; the file comes again', { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'sub/small.txt', 'the folder')
    const senderPort = await freePort()
    await startClient(serverPort, senderDir, '-p', String(senderPort), '--limit-rate', String(512))
    const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '1')
    await receiver.cli.waitFor('file-synced', { path: 'sub/small.txt' }, 30_000)
    const mirror = mirrorOf(receiver.dir, senderPort)

    // Nothing of it in the mirror: it comes whole, into a temp file beside its final path.
    write(senderDir, 'sub/big.bin', randomBytes(3 * MiB))
    const progressed = () => receiver.cli.events.some((e) => e.type === 'transfer-progress' && e.path === 'sub/big.bin')
    await receiver.cli.until(progressed, 60_000, 'big.bin under way')
    rmSync(path.join(mirror, 'sub'), { recursive: true, force: true })
    await receiver.cli.until(() => syncedAfter(receiver, 'sub/big.bin', 0) !== undefined, 60_000, 'big.bin')
    await expectMirrored(senderDir, mirror)
    const said = `the folder of sub/big.bin from 127.0.0.1:${senderPort} was removed while the file was being written into it; it comes again`
    expect(receiver.cli.events.flatMap((e) => (e.type === 'transfer-failed' && e.path === 'sub/big.bin' ? [e.reason] : []))).toEqual([said])
    expect(receiver.cli.events.flatMap((e) => (e.type === 'error' ? [[e.code, e.message]] : []))).toEqual([['folder-removed', said]])
  })
})

/** Fills the disk holding `dir` with one file until it refuses; returns the file. */
function fillDisk(dir: string): string {
  const ballast = path.join(dir, 'ballast.bin')
  const fd = openSync(ballast, 'w')
  try {
    for (;;) writeSync(fd, Buffer.alloc(256 * KiB))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
  return ballast
}

describe.skipIf(!canMount('tmpfs'))('a disk that fills while the workers write a file’s runs', () => {
  it('one write-failed error, the old copy untouched at its path, and the rest comes once room is made', { timeout: 120_000 }, async () => {
    const mirrorRoot = mounted('tmpfs', 'size=24m')!
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    const v1 = randomBytes(2 * MiB)
    write(senderDir, 'big.bin', v1)
    const sender = await startClient(serverPort, senderDir, '--limit-rate', String(2 * 1024))
    const receiver = await startClient(serverPort, tempDir('receiver-'), '--mirror', mirrorRoot, '-w', '4')
    await receiver.cli.waitFor('file-synced', { path: 'big.bin' }, 30_000)
    const mirror = path.join(mirrorRoot, peerFolderName(sender.port))

    // 8 MiB of new bytes: four runs over four workers, two seconds and more at the sender's pace.
    const v2 = randomBytes(8 * MiB)
    replaceWhole(senderDir, 'big.bin', v2)
    await receiver.cli.until(() => receiver.cli.events.some((e) => e.type === 'transfer-progress' && e.path === 'big.bin' && e.total === v2.length && e.bytes >= MiB), 30_000, 'a first MiB of the new big.bin')
    const ballast = fillDisk(mirrorRoot)
    const writeErrors = () => receiver.cli.events.filter((e) => e.type === 'error' && e.code === 'write-failed')
    await receiver.cli.until(() => writeErrors().length > 0, 30_000, 'a write-failed error')
    // Nothing of the new version at the final path: the old copy, whole.
    expect(treeOf(mirror)['big.bin']).toBe(sha256(v1).toString('hex'))
    expect(receiver.cli.child.exitCode).toBeNull()

    rmSync(ballast)
    await receiver.cli.until(() => syncedAfter(receiver, 'big.bin', 1) !== undefined, 60_000, 'the new big.bin')
    await expectMirrored(senderDir, mirror)
    expect(writeErrors()).toHaveLength(1)
    expect(readdirSync(mirror)).toEqual(['big.bin'])
  })
})

describe('a receiver killed while a new big file comes whole', () => {
  it('keeps what reached its disk as a partial; started again, it fetches only the rest', { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    const size = 32 * MiB
    write(senderDir, 'big.bin', randomBytes(size))
    const sender = await startClient(serverPort, senderDir)
    const receiverDir = tempDir('receiver-')
    // Received slowly enough to be killed midway; the mirror holds nothing of it, so it comes whole.
    const receiver = await startClient(serverPort, receiverDir, '--limit-rate', String(4 * 1024))
    const progressed = () => Math.max(0, ...receiver.cli.events.map((e) => (e.type === 'transfer-progress' && e.path === 'big.bin' ? e.bytes : 0)))
    await receiver.cli.until(() => progressed() >= size / 2, 60_000, 'half of big.bin')
    receiver.cli.kill('SIGKILL')
    await receiver.cli.exited
    const mirror = mirrorOf(receiverDir, sender.port)
    const partials = readdirSync(mirror).filter((name) => name.startsWith('.dbs-tmp-part-'))
    expect(partials).toHaveLength(1)
    const kept = statSync(path.join(mirror, partials[0]!)).size
    expect(kept).toBeGreaterThan(0)

    const again = await startClient(serverPort, receiverDir)
    await again.cli.waitFor('file-synced', { path: 'big.bin' }, 60_000)
    await expectMirrored(senderDir, mirror)
    // What reached the disk before the kill is not fetched again (a block cut by the kill is).
    const synced = syncedAfter(again, 'big.bin', 0)!
    expect(synced.type === 'file-synced' && synced.transferred).toBeLessThanOrEqual(size - kept + 128 * KiB)
    expect(readdirSync(mirror)).toEqual(['big.bin'])
  })
})
