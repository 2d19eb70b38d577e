// GET_BLOCK_LIST and GET_BLOCKS at a real folder server (client/block-sender.ts): lists that
// prove their version, runs of blocks in frames that never cross a block, and no block sent
// under a version its bytes are not.
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readFileSync, utimesSync, writeFileSync, writeSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { open } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { BlockListJoin } from '../../src/main/engine/protocol/block-list-frames'
import { identified, serve } from '../helpers/folder-serving'
import { tempDir } from '../helpers/temp'
import type { RawPeer } from '../helpers/raw-peer'

const KiB = 1024
const ME = { ip: '127.0.0.1', port: 40001 }

async function listOf(peer: RawPeer, rel: string): Promise<BlockListJoin> {
  const join = new BlockListJoin(rel)
  while (!join.add(await peer.next('BLOCK_LIST')));
  return join
}

/** The FILE_DATA frames of a run: their bytes, and whether any crossed a block's end. */
async function runOf(peer: RawPeer, bytes: number, blockSize: number, firstOffset: number): Promise<{ data: Buffer; crossed: boolean }> {
  const parts: Buffer[] = []
  let crossed = false
  for (let got = 0; got < bytes; ) {
    const { data } = await peer.next('FILE_DATA')
    const at = firstOffset + got
    if (Math.floor(at / blockSize) !== Math.floor((at + data.length - 1) / blockSize)) crossed = true
    parts.push(data)
    got += data.length
  }
  return { data: Buffer.concat(parts), crossed }
}

describe('block serving', () => {
  it('sends a file’s block list, which proves its version, and any run of its blocks', async () => {
    const root = tempDir('shared-')
    // Blocks of 128 KiB; frames of about 1 MiB would cross them if nothing kept them apart.
    const content = randomBytes(20 * 128 * KiB + 999)
    writeFileSync(path.join(root, 'big.bin'), content)
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, ME)
    const want = versionOf(content)

    peer.send({ type: 'GET_BLOCK_LIST', path: 'big.bin', version: want.version })
    const { list } = await listOf(peer, 'big.bin')
    expect(list.version.equals(want.version)).toBe(true)
    expect(list.hashes.map((h) => h.toString('hex'))).toEqual(want.hashes.map((h) => h.toString('hex')))

    for (const [first, count] of [[0, 1], [3, 9], [19, 2], [0, 21]] as const) {
      peer.send({ type: 'GET_BLOCKS', path: 'big.bin', version: want.version, first, count })
      expect(await peer.next('BLOCKS')).toMatchObject({ path: 'big.bin', first, count })
      const from = first * want.blockSize
      const to = Math.min(content.length, (first + count) * want.blockSize)
      const { data, crossed } = await runOf(peer, to - from, want.blockSize, from)
      expect(data.equals(content.subarray(from, to))).toBe(true)
      expect(crossed).toBe(false)
    }
  })

  it('answers a path it does not serve, a version it does not have, and a run past the end without a byte of content', async () => {
    const root = tempDir('shared-')
    const content = randomBytes(3 * 128 * KiB)
    writeFileSync(path.join(root, 'big.bin'), content)
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, ME)
    const { version } = versionOf(content)
    peer.send({ type: 'GET_BLOCK_LIST', path: 'none.bin', version })
    expect(await peer.next('FILE_NOT_FOUND')).toEqual({ type: 'FILE_NOT_FOUND', path: 'none.bin' })
    peer.send({ type: 'GET_BLOCKS', path: '../outside', version, first: 0, count: 1 })
    expect(await peer.next('FILE_NOT_FOUND')).toEqual({ type: 'FILE_NOT_FOUND', path: '../outside' })
    peer.send({ type: 'GET_BLOCKS', path: 'big.bin', version: randomBytes(32), first: 0, count: 1 })
    expect(await peer.next('FILE_ABORT')).toMatchObject({ path: 'big.bin', reason: expect.stringContaining('new version follows') })
    peer.send({ type: 'GET_BLOCKS', path: 'big.bin', version, first: 2, count: 2 })
    expect(await peer.next('FILE_ABORT')).toMatchObject({ path: 'big.bin', reason: expect.stringContaining('no such blocks') })
    // Still in step: the next request is answered as usual.
    peer.send({ type: 'GET_BLOCKS', path: 'big.bin', version, first: 2, count: 1 })
    expect(await peer.next('BLOCKS')).toMatchObject({ first: 2, count: 1 })
    expect((await runOf(peer, 128 * KiB, 128 * KiB, 2 * 128 * KiB)).data.equals(content.subarray(2 * 128 * KiB))).toBe(true)
  })

  it('never completes a block of a file written meanwhile: it aborts, and indexes the file again', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'db.bin')
    const content = randomBytes(4 * 128 * KiB)
    writeFileSync(file, content)
    utimesSync(file, 1e9, 1e9)
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, ME)
    const { version } = versionOf(content)
    peer.send({ type: 'GET_BLOCK_LIST', path: 'db.bin', version })
    await listOf(peer, 'db.bin')
    // Rewritten in place, same size: its mtime moves.
    const fd = openSync(file, 'r+')
    writeSync(fd, Buffer.from('CHANGED'), 0, 7, 128 * KiB + 5)
    closeSync(fd)
    peer.send({ type: 'GET_BLOCKS', path: 'db.bin', version, first: 1, count: 2 })
    // The file no longer opens as indexed: the abort comes before any block.
    expect(await peer.next('FILE_ABORT')).toMatchObject({ path: 'db.bin', reason: expect.stringContaining('changed') })
    for (const deadline = Date.now() + 10_000; index.get('db.bin')!.version.equals(version) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20))
    expect(index.get('db.bin')!.version.equals(versionOf(readFileSync(file)).version)).toBe(true)
  })
})

describe('block serving while the index hashes a racy file again', () => {
  it('a block of a version hashed within its tick is checked by its hash, even once the index has moved on meanwhile', async () => {
    // The setup has to fit in the file's tick (under 2 s): on a machine too busy for that, again.
    for (let attempt = 1; ; attempt++) {
      const outcome = await blockOfOldVersionAsIndexMovesOn()
      if (outcome === 'too-slow') {
        if (attempt < 3) continue
        throw new Error('three times the index hashed the file again before it was rewritten')
      }
      const { reply, before } = outcome
      // Either the old bytes, or nothing: never the new bytes under the old version.
      if (reply) expect(reply.equals(before.subarray(0, reply.length))).toBe(true)
      return
    }
  })
})

/**
 * A racy file rewritten within its tick (size, mtime and inode as indexed); as the index hashes
 * it again, a peer asks for a block of the old version, and the list's read from the index's
 * store is held until the index has the new version. What the peer got for that block.
 */
async function blockOfOldVersionAsIndexMovesOn(): Promise<{ reply: Buffer | null; before: Buffer } | 'too-slow'> {
  const root = tempDir('shared-')
  const file = path.join(root, 'big.bin')
  // 32 MiB: 128 blocks of 256 KiB, a list the index keeps on disk.
  const [before, after] = [randomBytes(32 * 1024 * KiB), randomBytes(32 * 1024 * KiB)]
  writeFileSync(file, before)
  // Whole seconds, ahead of the clock: within the tick of a clock counting in seconds, so racy,
  // and hashed again once that tick is over.
  const tick = Math.floor(Date.now() / 1000) + 1
  utimesSync(file, tick, tick)
  const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
  const peer = await identified(port, ME)
  const old = versionOf(before)
  // Lists hashed since push the file's out of the index's memory: it is read from its store.
  for (let i = 0; i < 40; i++) writeFileSync(path.join(root, `filler-${i}.bin`), randomBytes(128 * KiB + 1))
  await until(() => Array.from({ length: 40 }, (_, i) => index.get(`filler-${i}.bin`)).every(Boolean), 'the fillers indexed')
  const hashingAgain = new Promise<void>((resolve) => index.once('hashing', () => resolve()))
  const fd = openSync(file, 'r+')
  writeSync(fd, after, 0, after.length, 0)
  closeSync(fd)
  utimesSync(file, tick, tick)
  if (!index.served.isRacy('big.bin') || !index.get('big.bin')!.version.equals(old.version)) return 'too-slow'
  await hashingAgain
  const held = holdThreadPool()
  peer.send({ type: 'GET_BLOCKS', path: 'big.bin', version: old.version, first: 0, count: 1 })
  await until(() => !index.get('big.bin')!.version.equals(old.version), 'the new version indexed')
  await held.release()
  // The run was taken as of the old version (the request came before the index moved on).
  expect(await peer.next('BLOCKS')).toMatchObject({ path: 'big.bin', first: 0, count: 1 })
  const reply = await Promise.race([peer.next('FILE_DATA').then((m) => m.data), peer.next('FILE_ABORT').then(() => null)])
  return { reply, before }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !check(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
  }
}

/** Every thread of libuv's pool stuck opening a named pipe for reading, until `release`. */
function holdThreadPool(): { release(): Promise<void> } {
  const fifo = path.join(tempDir('fifo-'), 'hold')
  execFileSync('mkfifo', [fifo])
  const opens = Array.from({ length: Number(process.env.UV_THREADPOOL_SIZE ?? 4) + 4 }, () => open(fifo, 'r'))
  return {
    async release() {
      const writer = openSync(fifo, 'w')
      const handles = await Promise.all(opens)
      closeSync(writer)
      for (const handle of handles) await handle.close()
    },
  }
}
