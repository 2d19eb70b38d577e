// Small files the index hashed a moment ago, at a real folder server: sent from the bytes the hash
// read while a look at the path finds the file's stats as hashed, read from the disk otherwise,
// so a rewrite of the same size reaches the peer as its new version, never as the old bytes.
import { randomBytes } from 'node:crypto'
import { statSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FileRecord } from '../../src/main/engine/protocol/messages'
import { contentVersion } from '../helpers/fake-peer'
import { identified, serve } from '../helpers/folder-serving'
import type { RawPeer } from '../helpers/raw-peer'
import { tempDir } from '../helpers/temp'

const ME = { ip: '127.0.0.1', port: 40001 }

/** The one record of a GET_FILES for `rel`. */
async function batchOf(peer: RawPeer, rel: string): Promise<FileRecord> {
  peer.send({ type: 'GET_FILES', files: [{ path: rel, version: null }] })
  const frame = await peer.next('FILES')
  expect(frame.records).toHaveLength(1)
  return frame.records[0]!
}

describe('small files sent from the bytes hashed', () => {
  it('a file hashed a moment ago is sent from the bytes hashed, in a batch and alone, while a look finds its stats as hashed', async () => {
    const root = tempDir('shared-')
    const [a, b] = [randomBytes(4096), Buffer.from('a few bytes')]
    writeFileSync(path.join(root, 'a.bin'), a)
    writeFileSync(path.join(root, 'b.txt'), b)
    writeFileSync(path.join(root, 'empty'), '')
    const { port, index } = await serve(root, new Set([`${ME.ip}:${ME.port}`]))
    const peer = await identified(port, ME)
    // Hashed again once the tick of their writes is over (a racy file is read: the last test).
    await peer.until(() => ['a.bin', 'b.txt', 'empty'].every((rel) => !index.served.isRacy(rel)), 5000, 'no file racy')
    peer.send({ type: 'GET_FILES', files: ['a.bin', 'b.txt', 'empty'].map((rel) => ({ path: rel, version: null })) })
    expect((await peer.next('FILES')).records).toEqual([
      { status: 'content', version: contentVersion(a), data: a },
      { status: 'content', version: contentVersion(b), data: b },
      { status: 'content', version: contentVersion(''), data: Buffer.alloc(0) },
    ])
    peer.send({ type: 'GET_FILE', path: 'a.bin', version: null })
    expect(await peer.next('FILE_SIZE')).toMatchObject({ path: 'a.bin', size: 4096, version: contentVersion(a) })
    expect((await peer.next('FILE_DATA')).data).toEqual(a)
    // None of the four was opened to be sent.
    expect(index.served.keptBytesHandedOut).toBe(4)
  })

  it('a file rewritten in place with the same size after it was hashed reaches the peer as its new version, never as the old bytes', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'a.bin')
    const [old, next] = [randomBytes(4096), randomBytes(4096)]
    writeFileSync(file, old)
    const { port, index } = await serve(root, new Set([`${ME.ip}:${ME.port}`]))
    const peer = await identified(port, ME)
    await peer.until(() => !index.served.isRacy('a.bin'), 5000, 'the file hashed past its tick')
    expect(await batchOf(peer, 'a.bin')).toEqual({ status: 'content', version: contentVersion(old), data: old })
    expect(index.served.keptBytesHandedOut).toBe(1)
    // The same inode, the same size; written again until the clock that stamps ctime has moved on
    // (a rewrite within the tick of the hash is the racy files' to catch, racy-files.ts).
    const hashed = statSync(file, { bigint: true })
    let now = hashed
    for (let tries = 0; tries < 100 && now.ctimeNs === hashed.ctimeNs; tries++) {
      await new Promise((r) => setTimeout(r, 5))
      writeFileSync(file, next)
      now = statSync(file, { bigint: true })
    }
    expect([now.ino, now.size, now.ctimeNs === hashed.ctimeNs]).toEqual([hashed.ino, hashed.size, false])
    // Asked at once, before or after the watcher's look: refused, or the new version.
    const record = await batchOf(peer, 'a.bin')
    if (record.status === 'content') expect(record).toEqual({ status: 'content', version: contentVersion(next), data: next })
    else expect(record).toMatchObject({ status: 'abort' })
    peer.send({ type: 'GET_FILE', path: 'a.bin', version: null })
    await peer.until(() => peer.has((m) => m.type === 'FILE_ABORT' || m.type === 'FILE_DATA'), 5000, 'the answer')
    if (peer.has((m) => m.type === 'FILE_DATA')) expect((await peer.next('FILE_DATA')).data).toEqual(next)
    await peer.until(() => index.get('a.bin')!.version.equals(contentVersion(next)), 5000, 'the new version indexed')
    expect(await batchOf(peer, 'a.bin')).toEqual({ status: 'content', version: contentVersion(next), data: next })
    expect(peer.has((m) => m.type === 'FILE_DATA' && m.data.equals(old))).toBe(false)
  })

  it('a file hashed within its write’s clock tick is read from the disk and checked, not sent from the bytes hashed', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'racy.txt')
    // Whole seconds, a second ahead: within the tick of a file system whose clock ticks in seconds.
    const tick = Math.floor(Date.now() / 1000) + 1
    writeFileSync(file, 'racy bytes')
    utimesSync(file, tick, tick)
    const { port, index } = await serve(root, new Set([`${ME.ip}:${ME.port}`]))
    expect(index.served.isRacy('racy.txt')).toBe(true)
    const peer = await identified(port, ME)
    expect(await batchOf(peer, 'racy.txt')).toEqual({ status: 'content', version: contentVersion('racy bytes'), data: Buffer.from('racy bytes') })
    expect(index.served.keptBytesHandedOut).toBe(0)
  })
})
