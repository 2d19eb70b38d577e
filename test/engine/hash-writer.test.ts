// The hash writer: a real helper thread (started from the built worker script, as a transfer
// worker starts it) that hashes and writes a large incoming file, with its memory recycled.
import { randomBytes } from 'node:crypto'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ChunkPool, HashWriter, POOLED_MIN_BYTES, SINK_HIGH_WATER_BYTES } from '../../src/main/engine/mirror/hash-writer'
import { BATCH_FILE_BYTES, FILES_FRAME_TARGET_BYTES } from '../../src/main/engine/protocol/constants'
import { FileReceiver } from '../../src/main/engine/mirror/file-receiver'
import type { FileJob } from '../../src/main/engine/mirror/jobs'
import { WORKER_SCRIPT } from '../helpers/app-core'
import { canMount, mounted, unmountAll } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'

const SCRIPT = new URL(`file://${WORKER_SCRIPT}`)

afterEach(() => {
  unmountAll()
  removeTempDirs()
})

const sha256 = (data: Uint8Array): string => versionOfBytes(data).toString('hex')

describe('HashWriter', () => {
  it('writes the chunks in order and gives their SHA-256 and the file mtime', async () => {
    const writer = new HashWriter(SCRIPT)
    const file = path.join(tempDir('hw-'), 'out.bin')
    const parts = [randomBytes(1), randomBytes(70_000), randomBytes(3 * 1024 * 1024 + 5), randomBytes(4096)]
    const sink = writer.open(file, parts.reduce((n, p) => n + p.length, 0))
    for (const part of parts) sink.write(Buffer.from(part))
    const { digest, mtimeMs } = await sink.finish()
    const whole = Buffer.concat(parts)
    expect(readFileSync(file).equals(whole)).toBe(true)
    expect(digest).toBe(sha256(whole))
    expect(mtimeMs).toBe(statSync(file).mtimeMs)
    expect(sink.pending).toBe(0)
  })

  it('moves pooled memory to the thread without a copy and copies anything else', async () => {
    const writer = new HashWriter(SCRIPT)
    const file = path.join(tempDir('hw-'), 'out.bin')
    const sink = writer.open(file, POOLED_MIN_BYTES + 100_000)
    // What the frame decoder does for a large FILE_DATA body: pooled memory, the type byte first.
    const body = writer.pool.allocate(POOLED_MIN_BYTES + 1)
    randomBytes(POOLED_MIN_BYTES + 1).copy(body)
    const pooled = body.subarray(1)
    const expected = Buffer.from(pooled)
    const plain = randomBytes(100_000)
    sink.write(pooled)
    sink.write(plain)
    // The pooled chunk has gone to the thread; the plain one is still ours.
    expect(pooled.length).toBe(0)
    expect(plain.length).toBe(100_000)
    const { digest } = await sink.finish()
    expect(digest).toBe(sha256(Buffer.concat([expected, plain])))
    expect(readFileSync(file).equals(Buffer.concat([expected, plain]))).toBe(true)
  })

  it('says when the caller should stop reading, and when it may go on', async () => {
    const writer = new HashWriter(SCRIPT)
    const sink = writer.open(path.join(tempDir('hw-'), 'out.bin'), 64 * 1024 * 1024)
    const chunk = randomBytes(1024 * 1024)
    let sent = 0
    for (; !sink.full; sent++) {
      expect(sent).toBeLessThan(64)
      sink.write(chunk)
    }
    expect(sink.pending).toBeGreaterThanOrEqual(SINK_HIGH_WATER_BYTES)
    await new Promise<void>((resolve) => sink.onDrained(resolve))
    expect(sink.pending).toBeLessThanOrEqual(SINK_HIGH_WATER_BYTES / 2)
    for (; sent < 64; sent++) sink.write(chunk)
    expect((await sink.finish()).digest).toBe(sha256(Buffer.concat(Array.from({ length: 64 }, () => chunk))))
  })

  it('fails a file it cannot create with the reason, and nothing is written', async () => {
    const writer = new HashWriter(SCRIPT)
    const file = path.join(tempDir('hw-'), 'no such folder', 'out.bin')
    const sink = writer.open(file, 100_000)
    sink.write(randomBytes(100_000))
    await expect(sink.finish()).rejects.toThrow(/ENOENT/)
    expect(existsSync(file)).toBe(false)
    // The thread keeps serving the next file.
    const next = writer.open(path.join(tempDir('hw-'), 'next.bin'), 4)
    next.write(Buffer.from('fine'))
    expect((await next.finish()).digest).toBe(sha256(Buffer.from('fine')))
  })

  it.skipIf(!canMount('tmpfs'))('says a file failed as soon as a write fails (the disk is full), and closes it', async () => {
    const writer = new HashWriter(SCRIPT)
    // The thread's own descriptors (its event loop) are there before the count is taken.
    const warmup = writer.open(path.join(tempDir('hw-'), 'warm.bin'), 4)
    warmup.write(Buffer.from('warm'))
    await warmup.finish()
    const openFds = (): number => readdirSync('/proc/self/fd').length
    const fds = openFds()
    const sink = writer.open(path.join(mounted('tmpfs', 'size=4m')!, 'big.bin'), 64 * 1024 * 1024)
    const chunk = randomBytes(1024 * 1024)
    for (let i = 0; i < 12; i++) sink.write(chunk)
    // Told without finish(): the receiver cuts the transfer at its next chunk.
    const deadline = Date.now() + 10_000
    while (!sink.failed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(sink.failed).toMatch(/ENOSPC/)
    await sink.abort()
    while (openFds() > fds && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(openFds()).toBe(fds)
  })

  it('stops and closes a file on abort', async () => {
    const writer = new HashWriter(SCRIPT)
    const file = path.join(tempDir('hw-'), 'out.bin')
    const sink = writer.open(file, 2 * 1024 * 1024)
    sink.write(randomBytes(2 * 1024 * 1024))
    await sink.abort()
    // Closed by the thread: the caller may remove it, and later chunks go nowhere.
    sink.write(randomBytes(10))
    expect(statSync(file).size).toBeLessThanOrEqual(2 * 1024 * 1024)
  })
})

describe('ChunkPool', () => {
  it('pools only large bodies and reuses memory given back', () => {
    const pool = new ChunkPool(1024 * 1024)
    const small = pool.allocate(1000)
    expect(pool.lentFor(small)).toBe(false)
    // A FILES or FILE_LIST frame (up to ~330 KiB) is read once and dropped: not pooled.
    expect(pool.lentFor(pool.allocate(FILES_FRAME_TARGET_BYTES + BATCH_FILE_BYTES + 64))).toBe(false)
    const large = pool.allocate(POOLED_MIN_BYTES)
    expect(large.length).toBe(POOLED_MIN_BYTES)
    expect(pool.lentFor(large)).toBe(true)
    const memory = large.buffer as ArrayBuffer
    pool.give(memory)
    expect(pool.take()).toBe(memory)
    // Memory of another size is never mixed in.
    pool.give(new ArrayBuffer(10))
    expect(pool.take().byteLength).toBe(1024 * 1024)
  })
})

describe('FileReceiver', () => {
  it('answers source-gone, without asking the peer, when the file to copy from has moved away', async () => {
    const folder = tempDir('mirror-')
    const job: FileJob = {
      kind: 'file',
      id: 1,
      peer: { ip: '127.0.0.1', port: 40002, id: '00'.repeat(32), key: '127.0.0.1:40002', folder },
      path: 'renamed.bin',
      version: sha256(Buffer.from('x')),
      size: 1,
      have: null,
      reuseFrom: path.join(folder, 'moved-away.bin'),
    }
    const receiver = new FileReceiver(new HashWriter(SCRIPT))
    const noPeer = (): never => {
      throw new Error('the peer was asked')
    }
    await expect(receiver.receive(job, noPeer, { started: noPeer, progress: noPeer })).resolves.toEqual({ kind: 'file', ok: false, outcome: 'source-gone' })
    expect(existsSync(path.join(folder, 'renamed.bin'))).toBe(false)
  })

  it('leaves no descriptor open when the file to copy from cannot be opened (gone, or a link)', async () => {
    const folder = tempDir('mirror-')
    writeFileSync(path.join(folder, 'real.bin'), 'x')
    symlinkSync(path.join(folder, 'real.bin'), path.join(folder, 'link.bin'))
    const receiver = new FileReceiver(new HashWriter(SCRIPT))
    const noPeer = (): Promise<never> => Promise.reject(new Error('no peer here'))
    const openNow = (): number => readdirSync('/proc/self/fd').length
    const before = openNow()
    for (let i = 0; i < 40; i++) {
      const job: FileJob = {
        kind: 'file',
        id: i,
        peer: { ip: '127.0.0.1', port: 40002, id: '00'.repeat(32), key: '127.0.0.1:40002', folder },
        path: `copy${i}.bin`,
        version: sha256(Buffer.from('x')),
        size: 1,
        have: null,
        reuseFrom: path.join(folder, i % 2 ? 'link.bin' : 'moved-away.bin'),
      }
      await receiver.receive(job, noPeer, { started: () => {}, progress: () => {} }).catch(() => null)
    }
    // Whatever would close on a later turn has closed by now.
    await new Promise((r) => setTimeout(r, 200))
    expect(openNow() - before).toBeLessThan(5)
    expect(readdirSync(folder).sort()).toEqual(['link.bin', 'real.bin'])
  })
})
