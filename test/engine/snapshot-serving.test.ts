// A file still being written, at a real folder server: pushed and listed with the snapshot flag
// once the index stops waiting for it (a short limit here), its snapshot served as it grows past
// it, whole and by blocks, and pushed again without the flag once it holds still.
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { BlockListJoin } from '../../src/main/engine/protocol/block-list-frames'
import type { FileEntry, IndexChange } from '../../src/main/engine/protocol/messages'
import { startAppender } from '../helpers/appender'
import { contentVersion } from '../helpers/fake-peer'
import { identified, serve } from '../helpers/folder-serving'
import type { RawPeer } from '../helpers/raw-peer'
import { tempDir } from '../helpers/temp'

const KiB = 1024
const ME = { ip: '127.0.0.1', port: 40001 }
type Upsert = Extract<IndexChange, { op: 'upsert' }>

/** Pushed upserts of `rel` until one matches `done`; every one seen. */
async function pushesUntil(peer: RawPeer, rel: string, done: (c: Upsert) => boolean, timeoutMs: number): Promise<Upsert[]> {
  const seen: Upsert[] = []
  for (const deadline = Date.now() + timeoutMs; !seen.some(done); ) {
    const push = await peer.next('INDEX_CHANGED', Math.max(1, deadline - Date.now()))
    seen.push(...push.changes.filter((c): c is Upsert => c.op === 'upsert' && c.path === rel))
  }
  return seen
}

async function listEntry(peer: RawPeer, rel: string): Promise<FileEntry | undefined> {
  peer.send({ type: 'GET_FILE_LIST' })
  const files: FileEntry[] = []
  for (let last = false; !last; ) {
    const frame = await peer.next('FILE_LIST')
    files.push(...frame.files)
    last = frame.last
  }
  return files.find((f) => f.path === rel)
}

/** GET_FILE as a peer asks it: the version and bytes sent, or the abort's reason. */
async function getFile(peer: RawPeer, rel: string): Promise<{ version: Buffer; data: Buffer } | string> {
  peer.send({ type: 'GET_FILE', path: rel, version: null })
  await peer.until(() => peer.has((m) => m.type === 'FILE_SIZE' || m.type === 'FILE_ABORT'), 10_000, 'FILE_SIZE or FILE_ABORT')
  if (peer.has((m) => m.type === 'FILE_ABORT')) return (await peer.next('FILE_ABORT')).reason
  const { version, size } = await peer.next('FILE_SIZE')
  const parts: Buffer[] = []
  for (let got = 0; got < size; ) {
    await peer.until(() => peer.has((m) => m.type === 'FILE_DATA' || m.type === 'FILE_ABORT'), 10_000, 'FILE_DATA or FILE_ABORT')
    if (peer.has((m) => m.type === 'FILE_ABORT')) return (await peer.next('FILE_ABORT')).reason
    const { data } = await peer.next('FILE_DATA')
    parts.push(data)
    got += data.length
  }
  return { version, data: Buffer.concat(parts) }
}

/** The block list, then every block of it: the bytes, or the abort's reason. */
async function getByBlocks(peer: RawPeer, rel: string, version: Buffer): Promise<{ version: Buffer; data: Buffer } | string> {
  peer.send({ type: 'GET_BLOCK_LIST', path: rel, version })
  await peer.until(() => peer.has((m) => m.type === 'BLOCK_LIST' || m.type === 'FILE_ABORT'), 10_000, 'BLOCK_LIST or FILE_ABORT')
  if (peer.has((m) => m.type === 'FILE_ABORT')) return (await peer.next('FILE_ABORT')).reason
  const join = new BlockListJoin(rel)
  while (!join.add(await peer.next('BLOCK_LIST')));
  const { list } = join
  const count = list.hashes.length
  peer.send({ type: 'GET_BLOCKS', path: rel, version: list.version, first: 0, count })
  await peer.until(() => peer.has((m) => m.type === 'BLOCKS' || m.type === 'FILE_ABORT'), 10_000, 'BLOCKS or FILE_ABORT')
  if (peer.has((m) => m.type === 'FILE_ABORT')) return (await peer.next('FILE_ABORT')).reason
  await peer.next('BLOCKS')
  const parts: Buffer[] = []
  for (let got = 0; got < list.size; ) {
    await peer.until(() => peer.has((m) => m.type === 'FILE_DATA' || m.type === 'FILE_ABORT'), 10_000, 'FILE_DATA or FILE_ABORT')
    if (peer.has((m) => m.type === 'FILE_ABORT')) return (await peer.next('FILE_ABORT')).reason
    const { data } = await peer.next('FILE_DATA')
    parts.push(data)
    got += data.length
  }
  return { version: list.version, data: Buffer.concat(parts) }
}

/** Up to five tries: the index may take a new snapshot between a request and its answer. */
async function tries<T>(attempt: () => Promise<T | string>): Promise<T | string[]> {
  const reasons: string[] = []
  for (let i = 0; i < 5; i++) {
    const got = await attempt()
    if (typeof got !== 'string') return got
    reasons.push(got)
  }
  return reasons
}

describe('a file still being written, served', () => {
  it('is pushed and listed as a snapshot, served as that snapshot while it grows, and pushed without the flag once it holds still', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'big.log')
    // Blocks of 128 KiB: several, so the block list is hashed when asked, of the snapshot's bytes only.
    writeFileSync(file, randomBytes(600 * KiB))
    const { port, log } = await serve(root, new Set(['127.0.0.1:40001']), { snapshotAfterMs: 1000 })
    const peer = await identified(port, ME)
    peer.send({ type: 'SUBSCRIBE' })
    await peer.next('FOLDER_STATE')
    const appender = startAppender(file, 4 * KiB, 5)
    try {
      const pushed = await pushesUntil(peer, 'big.log', (c) => c.snapshot, 30_000)
      const snapshot = pushed.find((c) => c.snapshot)!
      expect(snapshot.size).toBeGreaterThan(600 * KiB)
      // Still being written: the list says so too.
      expect(await listEntry(peer, 'big.log')).toMatchObject({ snapshot: true })
      expect(log.events.filter((e) => e.type === 'file-snapshot')).toEqual([{ type: 'file-snapshot', path: 'big.log', bytes: snapshot.size, version: snapshot.version.toString('hex') }])

      // The file has grown past the snapshot since: its first bytes are the snapshot, and are sent.
      const whole = await tries(() => getFile(peer, 'big.log'))
      expect(whole, 'GET_FILE of a snapshot still growing').not.toBeInstanceOf(Array)
      if (Array.isArray(whole)) return
      expect(whole.data.equals(readFileSync(file).subarray(0, whole.data.length))).toBe(true)
      expect(contentVersion(whole.data).equals(whole.version)).toBe(true)
      const byBlocks = await tries(() => getByBlocks(peer, 'big.log', whole.version))
      expect(byBlocks, 'GET_BLOCKS of a snapshot still growing').not.toBeInstanceOf(Array)
      if (Array.isArray(byBlocks)) return
      expect(byBlocks.data.equals(readFileSync(file).subarray(0, byBlocks.data.length))).toBe(true)
      expect(versionOf(byBlocks.data).version.equals(byBlocks.version)).toBe(true)
    } finally {
      await appender.stop()
    }

    // It stops: pushed whole, without the flag.
    const final = contentVersion(readFileSync(file))
    const after = await pushesUntil(peer, 'big.log', (c) => c.version.equals(final) && !c.snapshot, 15_000)
    expect(after.at(-1)).toMatchObject({ size: readFileSync(file).length, snapshot: false })
    expect(await listEntry(peer, 'big.log')).toMatchObject({ size: readFileSync(file).length, snapshot: false })
  })
})
