// DirectFile: large incoming files written through page-aligned blocks with O_DIRECT, on real
// filesystems: the temp folder's (ext4 here), a ramfs that refuses O_DIRECT, a tmpfs that fills.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DIRECT_BLOCK_BYTES, DirectFile } from '../../src/main/engine/mirror/direct-file'
import { canMount, mounted, unmountAll } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => {
  unmountAll()
  removeTempDirs()
})

/** Writes `data` in chunks of the given sizes (cycled), as the hash writer receives them. */
async function writeInChunks(file: DirectFile, data: Buffer, sizes: number[]): Promise<{ mtimeMs: number; released: number }> {
  let released = 0
  let chunks = 0
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - at)
    file.write(data.subarray(at, at + n), () => released++)
    at += n
    chunks++
  }
  const mtimeMs = await file.finish()
  expect(released).toBe(chunks)
  return { mtimeMs, released }
}

const openFds = (): number => readdirSync('/proc/self/fd').length

describe('DirectFile', () => {
  it('writes blocks past the page cache and the partial last block buffered: the bytes, in order, and the mtime', async () => {
    const target = path.join(tempDir('direct-'), 'big.bin')
    const data = randomBytes(2 * DIRECT_BLOCK_BYTES + 12_345)
    const fds = openFds()
    const file = new DirectFile(target, data.length)
    expect(file.mode).toBe(process.platform === 'linux' ? 'direct' : 'buffered')
    // Chunk sizes that straddle block edges, as FILE_DATA frames of 1 MiB - 1 KiB do.
    const { mtimeMs } = await writeInChunks(file, data, [1024 * 1024 - 1024, 7, 300_001])
    expect(readFileSync(target).equals(data)).toBe(true)
    expect(mtimeMs).toBe(statSync(target).mtimeMs)
    expect(openFds()).toBe(fds)
  })

  it('writes a file smaller than a block without O_DIRECT', async () => {
    const target = path.join(tempDir('direct-'), 'small.bin')
    const data = randomBytes(3 * 1024 * 1024)
    const file = new DirectFile(target, data.length)
    expect(file.mode).toBe('buffered')
    await writeInChunks(file, data, [1024 * 1024])
    expect(readFileSync(target).equals(data)).toBe(true)
  })

  it('writes several files at once from one pool of blocks without stalling any', async () => {
    const dir = tempDir('direct-')
    const files = [0, 1, 2].map((i) => ({ path: path.join(dir, `f${i}.bin`), data: randomBytes(3 * DIRECT_BLOCK_BYTES + i * 4097) }))
    const open = files.map((f) => new DirectFile(f.path, f.data.length))
    // Interleaved, 1 MiB at a time: together they want more blocks than the pool holds.
    const step = 1024 * 1024
    for (let at = 0; at < files[2]!.data.length; at += step) {
      files.forEach((f, i) => {
        if (at < f.data.length) open[i]!.write(f.data.subarray(at, at + step), () => {})
      })
    }
    await Promise.all(open.map((f) => f.finish()))
    for (const f of files) expect(readFileSync(f.path).equals(f.data)).toBe(true)
  })

  it('does not wait for blocks other files hold half filled: it writes past them, and every file comes out whole', async () => {
    const dir = tempDir('direct-')
    const MiB = 1024 * 1024
    // Three files whose peers went quiet after 1 MiB each: every block in the pool is theirs.
    const stalled = [0, 1, 2].map((i) => ({ path: path.join(dir, `stalled${i}.bin`), data: randomBytes(2 * DIRECT_BLOCK_BYTES + 100) }))
    const open = stalled.map((f) => new DirectFile(f.path, f.data.length))
    for (const f of open) expect(f.mode).toBe('direct')
    stalled.forEach((f, i) => open[i]!.write(f.data.subarray(0, MiB), () => {}))
    // Another file still gets written, in chunks that are not whole pages: past the blocks.
    const target = path.join(dir, 'moving.bin')
    const data = randomBytes(5 * DIRECT_BLOCK_BYTES + 777)
    const moving = new DirectFile(target, data.length)
    // An odd size: the spilled bytes end off any page (or sector) of the file.
    const chunk = MiB - 1023
    let at = 0
    let released = 0
    for (; at < 2 * DIRECT_BLOCK_BYTES; at += chunk) moving.write(data.subarray(at, at + chunk), () => released++)
    // The quiet ones resume and finish, giving their blocks back.
    stalled.forEach((f, i) => open[i]!.write(f.data.subarray(MiB), () => {}))
    await Promise.all(open.map((f) => f.finish()))
    for (const f of stalled) expect(readFileSync(f.path).equals(f.data)).toBe(true)
    // The rest of the moving file goes through blocks again, each starting on a page of the file
    // (a block written at an unaligned offset would be refused, and the file fall back).
    for (; at < data.length; at += chunk) moving.write(data.subarray(at, at + chunk), () => released++)
    await moving.finish()
    expect(released).toBe(Math.ceil(data.length / chunk))
    expect(moving.mode).toBe('direct')
    expect(readFileSync(target).equals(data)).toBe(true)
  })

  it('closes the file on abort once nothing is in flight, and takes no more bytes', async () => {
    const target = path.join(tempDir('direct-'), 'cut.bin')
    const fds = openFds()
    const file = new DirectFile(target, 4 * DIRECT_BLOCK_BYTES)
    let released = 0
    const chunk = randomBytes(1024 * 1024)
    for (let i = 0; i < 20; i++) file.write(chunk, () => released++)
    await file.abort()
    file.write(chunk, () => released++)
    expect(released).toBe(21)
    expect(openFds()).toBe(fds)
    expect(statSync(target).size).toBeLessThanOrEqual(20 * chunk.length)
  })

  it.skipIf(!canMount('ramfs'))('falls back to buffered writes where the filesystem refuses O_DIRECT', async () => {
    const target = path.join(mounted('ramfs')!, 'big.bin')
    const data = randomBytes(2 * DIRECT_BLOCK_BYTES + 5)
    const file = new DirectFile(target, data.length)
    expect(file.mode).toBe('buffered')
    await writeInChunks(file, data, [1024 * 1024 - 1024])
    expect(readFileSync(target).equals(data)).toBe(true)
  })

  it.skipIf(!canMount('tmpfs'))('fails with the disk\'s reason when it fills up, releasing every chunk and the descriptors', async () => {
    const target = path.join(mounted('tmpfs', 'size=4m')!, 'big.bin')
    const fds = openFds()
    const file = new DirectFile(target, 4 * DIRECT_BLOCK_BYTES)
    let released = 0
    const chunk = randomBytes(1024 * 1024)
    for (let i = 0; i < 32; i++) file.write(chunk, () => released++)
    await expect(file.finish()).rejects.toThrow(/ENOSPC/)
    expect(released).toBe(32)
    expect(openFds()).toBe(fds)
  })
})
