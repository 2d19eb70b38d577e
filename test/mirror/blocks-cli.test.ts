// Files moved as verified blocks, through real CLI processes (issue 20): an edit or an append
// moves only the blocks that changed, a peer that lies about a block gets no byte of it into
// the mirror, and the block is fetched again once the peer announces the file anew.
import { randomBytes } from 'node:crypto'
import { appendFileSync, closeSync, openSync, readdirSync, writeSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { runsOf } from '../../src/main/engine/mirror/run-plan'
import { killAll } from '../helpers/cli'
import { FakePeer, type FakePeerOptions } from '../helpers/fake-peer'
import { expectMirrored, startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, sha256, treeOf } from '../helpers/tree'

const KiB = 1024
const MiB = 1024 * KiB

afterEach(() => {
  killAll()
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
})

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
    const receiver = await startClient(serverPort, tempDir('receiver-'))
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
      const receiver = await startClient(serverPort, tempDir('receiver-'))
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
    const moved = receiver.cli.events.slice(before).filter((e) => e.type === 'file-synced')
    expect(moved.map((e) => e.type === 'file-synced' && e.path).sort()).toEqual(['copy.bin', 'renamed.bin'])
    expect(moved.every((e) => e.type === 'file-synced' && e.transferred === 0)).toBe(true)
  })
})
