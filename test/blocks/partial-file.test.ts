// A file pulled block by block and kept between tries (engine/blocks/partial-file.ts), over real
// files: it resumes with exactly the blocks whose bytes still hash right, is cut to its size on
// finish, never lands outside its mirror folder, and is swept once a day old.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { blockRange, versionOf } from '../../src/main/engine/blocks/block-plan'
import type { BlockList } from '../../src/main/engine/blocks/block-store'
import { openPartialForBlocks, PartialFile, RECORD_EVERY_BYTES } from '../../src/main/engine/blocks/partial-file'
import { recordBytes } from '../../src/main/engine/blocks/partial-record'
import { writeAt } from '../../src/main/engine/util/write-fully'
import { isPartialTemp, isYoungPartial, PARTIAL_MAX_AGE_MS, partialName, removeOtherPartials, sweepPartials } from '../../src/main/engine/blocks/partial-names'
import { canMount, mounted, unmountAll } from '../helpers/mount'
import { overwrite } from '../helpers/tree'

const KiB = 1024
const MiB = 1024 * KiB

interface Content {
  bytes: Buffer
  version: Buffer
  list: BlockList
}

function contentOf(size: number): Content {
  const bytes = randomBytes(size)
  const { blockSize, hashes, version } = versionOf(bytes)
  return { bytes, version, list: { size, blockSize, hashes: Buffer.concat(hashes) } }
}

function blockOf(content: Content, index: number): Buffer {
  const { offset, length } = blockRange(content.list.size, content.list.blockSize, index)
  return content.bytes.subarray(offset, offset + length)
}

async function put(partial: PartialFile, content: Content, indexes: Iterable<number>): Promise<void> {
  for (const index of indexes) {
    await partial.writeBlock(index, blockOf(content, index))
    await partial.markVerified(index)
  }
}

/** What a killed process leaves: the descriptor closed, nothing more written. */
async function crash(partial: PartialFile): Promise<void> {
  await (partial as unknown as { handle: { close(): Promise<void> } }).handle.close()
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

let root: string
let folder: string

beforeAll(async () => {
  await loadBlockHash()
})

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'partial-file-'))
  folder = path.join(root, 'mirror')
  mkdirSync(folder)
})

afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

afterAll(() => unmountAll())

describe('a partial file', () => {
  it('is named for path and version, beside the final path, as a temp file', () => {
    const content = contentOf(300 * KiB)
    const partial = new PartialFile(folder, 'a/b/film.mkv', content.version, content.list)
    const name = partialName('a/b/film.mkv', content.version)
    expect(partial.target).toBe(path.join(folder, 'a', 'b', 'film.mkv'))
    expect(partial.path).toBe(path.join(folder, 'a', 'b', name))
    expect(name).toMatch(new RegExp(`^\\.dbs-tmp-part-${content.version.toString('hex').slice(0, 16)}-[0-9a-f]{8}$`))
    expect(isPartialTemp(name)).toBe(true)
    // Stable for (path, version); another name or another version is another partial.
    expect(new PartialFile(folder, 'a/b/film.mkv', content.version, content.list).path).toBe(partial.path)
    expect(partialName('a/b/other.mkv', content.version)).not.toBe(name)
    expect(partialName('a/b/film.mkv', contentOf(300 * KiB).version)).not.toBe(name)
  })

  it.each([
    ['an empty file', 0],
    ['one short block', 1000],
    ['blocks with a short last one', 1 * MiB + 5],
    ['blocks that fill it exactly', 1 * MiB],
  ])('%s: built block by block, out of order, and cut to its exact size on finish', async (_name, size) => {
    const content = contentOf(size)
    const partial = new PartialFile(folder, 'dir/file.bin', content.version, content.list)
    expect(await partial.open()).toEqual([])
    expect(statSync(partial.path).size).toBe(size + recordBytes(partial.blocks))
    expect(partial.missing()).toEqual(range(0, partial.blocks))
    await put(partial, content, range(0, partial.blocks).reverse())
    expect(partial.missing()).toEqual([])
    expect(await partial.finish()).toBe(partial.path)
    expect(statSync(partial.path).size).toBe(size)
    expect(readFileSync(partial.path).equals(content.bytes)).toBe(true)
    expect(existsSync(partial.target)).toBe(false)
  })

  it('its folder removed by hand while it was written: finish writes every verified block again at its name, in the folder made again', async () => {
    const content = contentOf(3 * MiB + 17)
    const partial = new PartialFile(folder, 'a/b/film.mkv', content.version, content.list)
    await partial.open()
    await put(partial, content, range(0, 10))
    rmSync(path.join(folder, 'a'), { recursive: true })
    // The rest still comes into the file open here.
    await put(partial, content, range(10, partial.blocks))
    expect(await partial.finish()).toBe(partial.path)
    expect(readFileSync(partial.path).equals(content.bytes)).toBe(true)
    expect(readdirSync(path.join(folder, 'a', 'b'))).toEqual([path.basename(partial.path)])
  })

  it("the peer's whole mirror folder removed: finish says so, and makes nothing", async () => {
    const content = contentOf(1 * MiB)
    const partial = new PartialFile(folder, 'a/film.mkv', content.version, content.list)
    await partial.open()
    await put(partial, content, range(0, partial.blocks))
    rmSync(folder, { recursive: true })
    await expect(partial.finish()).rejects.toMatchObject({ code: 'folder-removed', message: `${folder} was removed while a/film.mkv was being written into it` })
    expect(existsSync(folder)).toBe(false)
  })

  it('refuses to finish while blocks are missing, saying how many', async () => {
    const content = contentOf(1 * MiB)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    await partial.open()
    await put(partial, content, [0, 1, 2])
    await expect(partial.finish()).rejects.toThrow('f: 5 of 8 blocks are not verified yet')
    await partial.abandon()
  })

  it('resumes after abandon with the blocks it had: only the rest are missing', async () => {
    const content = contentOf(1 * MiB + 77)
    const first = new PartialFile(folder, 'f', content.version, content.list)
    await first.open()
    await put(first, content, [0, 2, 3, 8])
    await first.abandon()
    expect(statSync(first.path).size).toBe(content.list.size + recordBytes(9))

    const second = new PartialFile(folder, 'f', content.version, content.list)
    expect(await second.open()).toEqual([0, 2, 3, 8])
    expect(second.missing()).toEqual([1, 4, 5, 6, 7])
    await put(second, content, second.missing())
    expect(readFileSync(await second.finish()).equals(content.bytes)).toBe(true)
  })

  // 16 MiB in 128 KiB blocks: the record reaches the disk each 32 blocks (RECORD_EVERY_BYTES).
  it.each([
    [0, 0],
    [31, 0],
    [32, 32],
    [64, 64],
    [100, 96],
  ])('killed after %d blocks verified, resumes with the %d the record had reached', async (written, kept) => {
    expect(RECORD_EVERY_BYTES).toBe(4 * MiB)
    const content = contentOf(16 * MiB)
    const first = new PartialFile(folder, 'big', content.version, content.list)
    await first.open()
    await put(first, content, range(0, written))
    await crash(first)

    const second = new PartialFile(folder, 'big', content.version, content.list)
    expect(await second.open()).toEqual(range(0, kept))
    expect(second.missing()).toEqual(range(kept, 128))
    await put(second, content, second.missing())
    expect(readFileSync(await second.finish()).equals(content.bytes)).toBe(true)
  })

  const spoiled: Array<[string, (file: string, content: Content) => void, number[]]> = [
    ['bytes changed in block 3 after it was recorded', (file, content) => overwrite(file, blockRange(content.list.size, content.list.blockSize, 3).offset + 10, Buffer.from('oops')), [3]],
    ['the last, short block changed', (file, content) => overwrite(file, content.list.size - 1, Buffer.from([blockOf(content, 8).at(-1)! ^ 0xff])), [8]],
    ['blocks 0 and 5 zeroed (the record reached the disk, the data did not)', (file, content) => {
      overwrite(file, 0, Buffer.alloc(content.list.blockSize))
      overwrite(file, 5 * content.list.blockSize, Buffer.alloc(content.list.blockSize))
    }, [0, 5]],
  ]
  it.each(spoiled)('a record naming a block whose bytes are wrong: %s → missing again', async (_name, spoil, lost) => {
    const content = contentOf(1 * MiB + 5)
    const first = new PartialFile(folder, 'f', content.version, content.list)
    await first.open()
    await put(first, content, range(0, 9))
    await first.abandon()
    spoil(first.path, content)

    const second = new PartialFile(folder, 'f', content.version, content.list)
    expect(await second.open()).toEqual(range(0, 9).filter((i) => !lost.includes(i)))
    expect(second.missing()).toEqual(lost)
    await put(second, content, lost)
    expect(readFileSync(await second.finish()).equals(content.bytes)).toBe(true)
  })

  const noRecord: Array<[string, (file: string, content: Content) => void | Promise<void>]> = [
    ['cut by one byte', (file) => truncateSync(file, statSync(file).size - 1)],
    ['cut to half the data', (file, content) => truncateSync(file, Math.floor(content.list.size / 2))],
    ['the record with a bit flipped', (file, content) => flipAt(file, content.list.size + 6)],
    ['the record check with a bit flipped', (file) => flipAt(file, statSync(file).size - 1)],
    ['the whole, valid record of another version of the same size', async (file, content) => {
      const other = contentOf(content.list.size)
      const partial = new PartialFile(folder, 'other', other.version, other.list)
      await partial.open()
      await put(partial, other, range(0, 9))
      await partial.abandon()
      overwrite(file, content.list.size, readFileSync(partial.path).subarray(content.list.size))
    }],
    ['no record, data of the right length', (file, content) => truncateSync(file, content.list.size)],
    ['a file of the same name put there by hand', (file, content) => writeFileSync(file, content.bytes)],
  ]
  it.each(noRecord)('with no record of its own (%s) keeps the whole blocks whose bytes still hash right, and no more', async (_name, spoil) => {
    const content = contentOf(1 * MiB + 5)
    const first = new PartialFile(folder, 'f', content.version, content.list)
    await first.open()
    await put(first, content, range(0, 9))
    await first.abandon()
    await spoil(first.path, content)
    const left = Math.min(statSync(first.path).size, content.list.size)
    const whole = range(0, 9).filter((i) => {
      const { offset, length } = blockRange(content.list.size, content.list.blockSize, i)
      return offset + length <= left
    })

    const second = new PartialFile(folder, 'f', content.version, content.list)
    expect(await second.open()).toEqual(whole)
    expect(statSync(second.path).size).toBe(content.list.size + recordBytes(9))
    await put(second, content, second.missing())
    expect(readFileSync(await second.finish()).equals(content.bytes)).toBe(true)
  })

  it('with no record and bytes of something else, keeps none of them', async () => {
    const content = contentOf(1 * MiB + 5)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    writeFileSync(partial.path, randomBytes(content.list.size))
    expect(await partial.open()).toEqual([])
    await partial.discard()
  })

  it('takes blocks from a local file when their bytes hash right', async () => {
    const content = contentOf(1 * MiB)
    const old = Buffer.from(content.bytes)
    old[3 * content.list.blockSize] = old[3 * content.list.blockSize]! ^ 0xff
    const local = path.join(root, 'old-copy')
    writeFileSync(local, old)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    await partial.open()
    const taken = []
    for (let i = 0; i < partial.blocks; i++) if (await partial.copyBlockFrom(local, i * content.list.blockSize, i)) taken.push(i)
    expect(taken).toEqual([0, 1, 2, 4, 5, 6, 7])
    expect(await partial.copyBlockFrom(path.join(root, 'gone'), 0, 3)).toBe(false)
    // A block found at another offset (content shifted in the old copy) is taken too.
    const shifted = path.join(root, 'shifted')
    writeFileSync(shifted, Buffer.concat([Buffer.from('xyz'), content.bytes]))
    expect(await partial.copyBlockFrom(shifted, 3 + 3 * content.list.blockSize, 3)).toBe(true)
    expect(readFileSync(await partial.finish()).equals(content.bytes)).toBe(true)
  })

  it('abandon keeps it, discard removes it, and a closed one refuses more', async () => {
    const content = contentOf(300 * KiB)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    await partial.open()
    await partial.abandon()
    expect(existsSync(partial.path)).toBe(true)
    await expect(partial.writeBlock(0, blockOf(content, 0))).rejects.toThrow(/not open/)
    await expect(partial.open()).rejects.toThrow(/already open/)
    const again = new PartialFile(folder, 'f', content.version, content.list)
    await again.open()
    await again.discard()
    expect(readdirSync(folder)).toEqual([])
  })

  it.each([
    ['a block of the wrong length', (p: PartialFile, c: Content) => p.writeBlock(0, blockOf(c, 0).subarray(1)), /block 0 of f is 131072 bytes, not 131071/],
    ['a block past the end', (p: PartialFile) => p.markVerified(3), /f has no block 3 \(it has 3\)/],
    ['a negative block', (p: PartialFile, c: Content) => p.writeBlock(-1, blockOf(c, 0)), /no block -1/],
  ])('refuses %s, naming it', async (_name, act, message) => {
    const content = contentOf(300 * KiB)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    await partial.open()
    await expect(act(partial, content)).rejects.toThrow(message)
    await partial.discard()
  })

  it.each([
    ['a list of another version', (c: Content) => new PartialFile(folder, 'f', contentOf(300 * KiB).version, c.list), /is version [0-9a-f]{64}, not/],
    ['a list one hash short', (c: Content) => new PartialFile(folder, 'f', c.version, { ...c.list, hashes: c.list.hashes.subarray(32) }), /has 3 block hashes, not 2/],
  ])('is not made for %s', (_name, make, message) => {
    expect(() => make(contentOf(300 * KiB))).toThrow(message)
  })
})

describe('two tries of one version at once (a peer that left and came back while the first still ran)', () => {
  it('the one that loses writes no record into the file the other renamed into place, and cannot finish it again', async () => {
    const content = contentOf(16 * MiB)
    const first = new PartialFile(folder, 'big', content.version, content.list)
    const second = new PartialFile(folder, 'big', content.version, content.list)
    await first.open()
    await second.open()
    await put(first, content, range(0, first.blocks))
    renameSync(await first.finish(), first.target)
    // The second goes on where it is: enough blocks for its record to be written, then it gives up.
    await put(second, content, range(0, 40))
    await second.abandon()
    expect(statSync(first.target).size).toBe(content.list.size)
    expect(readFileSync(first.target).equals(content.bytes)).toBe(true)

    const third = new PartialFile(folder, 'big', content.version, content.list)
    const fourth = new PartialFile(folder, 'big', content.version, content.list)
    await third.open()
    await fourth.open()
    await put(third, content, range(0, third.blocks))
    await put(fourth, content, range(0, fourth.blocks))
    renameSync(await third.finish(), third.target)
    await expect(fourth.finish()).rejects.toThrow('renamed away')
    expect(readFileSync(third.target).equals(content.bytes)).toBe(true)
  })
})

describe('never outside the mirror folder', () => {
  it.each(['../outside', '/etc/passwd', 'a/../../b', ''])('is not made for the path %j', (rel) => {
    const content = contentOf(300 * KiB)
    expect(() => new PartialFile(folder, rel, content.version, content.list)).toThrow(expect.objectContaining({ code: 'bad-path' }))
  })

  it('a link planted on the way is removed and real folders made, nothing written where it led', async () => {
    const outside = path.join(root, 'outside')
    mkdirSync(outside)
    symlinkSync(outside, path.join(folder, 'sub'))
    const content = contentOf(300 * KiB)
    const partial = new PartialFile(folder, 'sub/f', content.version, content.list)
    await partial.open()
    expect(lstatSync(path.join(folder, 'sub')).isDirectory()).toBe(true)
    expect(existsSync(partial.path)).toBe(true)
    expect(readdirSync(outside)).toEqual([])
    await partial.discard()
  })

  it('a link planted at its own name is removed, not written through', async () => {
    const outside = path.join(root, 'precious')
    writeFileSync(outside, 'keep me')
    const content = contentOf(300 * KiB)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    symlinkSync(outside, partial.path)
    await partial.open()
    await put(partial, content, [0, 1, 2])
    expect(lstatSync(partial.path).isFile()).toBe(true)
    expect(readFileSync(outside, 'utf8')).toBe('keep me')
    expect(readFileSync(await partial.finish()).equals(content.bytes)).toBe(true)
  })

  it('a folder standing at its name (none of ours) is removed', async () => {
    const content = contentOf(300 * KiB)
    const partial = new PartialFile(folder, 'f', content.version, content.list)
    mkdirSync(partial.path)
    writeFileSync(path.join(partial.path, 'x'), 'x')
    expect(await partial.open()).toEqual([])
    expect(lstatSync(partial.path).isFile()).toBe(true)
    await partial.discard()
  })
})

describe.skipIf(!canMount('tmpfs'))('a disk that refuses', () => {
  it('full: the write fails with ENOSPC, and what was verified before resumes once there is room', async () => {
    const small = mounted('tmpfs', 'size=1m')!
    const content = contentOf(2 * MiB)
    const partial = new PartialFile(small, 'f', content.version, content.list)
    await partial.open()
    let failed: unknown = null
    try {
      await put(partial, content, range(0, partial.blocks))
    } catch (error) {
      failed = error
    }
    expect(failed).toMatchObject({ code: 'ENOSPC' })
    await partial.abandon()
    const verified = range(0, partial.blocks).filter((i) => partial.isVerified(i))
    expect(verified.length).toBeGreaterThan(0)

    const again = new PartialFile(small, 'f', content.version, content.list)
    expect(await again.open()).toEqual(verified)
    await again.discard()
  })

  it('read-only: open fails with EROFS', async () => {
    const readOnly = mounted('tmpfs', 'size=1m,ro')!
    const content = contentOf(300 * KiB)
    await expect(new PartialFile(readOnly, 'f', content.version, content.list).open()).rejects.toMatchObject({ code: 'EROFS' })
  })
})

describe('written by other threads (a big file spread over the workers)', () => {
  it('another handle writes verified blocks at their offsets; the owner records them and finishes the file', async () => {
    const content = contentOf(5 * 128 * KiB + 7)
    const partial = new PartialFile(folder, 'sub/f', content.version, content.list)
    await partial.open()
    // Two writers, as two workers, each through its own descriptor, out of order.
    const [a, b] = await Promise.all([openPartialForBlocks(folder, 'sub/f', content.version), openPartialForBlocks(folder, 'sub/f', content.version)])
    for (const [handle, index] of [[b, 4], [a, 0], [b, 5], [a, 2], [b, 1], [a, 3]] as const) {
      await writeAt(handle!, [blockOf(content, index)], blockRange(content.list.size, content.list.blockSize, index).offset)
      await partial.markVerified(index)
    }
    await Promise.all([a!.close(), b!.close()])
    expect(readFileSync(await partial.finish()).equals(content.bytes)).toBe(true)
  })

  it('is never made by them: no partial, no file', async () => {
    const content = contentOf(300 * KiB)
    await expect(openPartialForBlocks(folder, 'f', content.version)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(readdirSync(folder)).toEqual([])
  })

  it('a link at its name, or on the way, is not written through', async () => {
    const content = contentOf(300 * KiB)
    const outside = path.join(root, 'precious')
    writeFileSync(outside, 'keep me')
    symlinkSync(outside, path.join(folder, partialName('f', content.version)))
    await expect(openPartialForBlocks(folder, 'f', content.version)).rejects.toMatchObject({ code: 'ELOOP' })
    const elsewhere = path.join(root, 'elsewhere')
    mkdirSync(elsewhere)
    writeFileSync(path.join(elsewhere, partialName('g', content.version)), '')
    symlinkSync(elsewhere, path.join(folder, 'sub'))
    await expect(openPartialForBlocks(folder, 'sub/g', content.version)).rejects.toMatchObject({ code: 'bad-path' })
    expect(readFileSync(outside, 'utf8')).toBe('keep me')
  })

  it.each(['../outside', '/etc/passwd', ''])('is not opened for the path %j', async (rel) => {
    const content = contentOf(300 * KiB)
    await expect(openPartialForBlocks(folder, rel, content.version)).rejects.toMatchObject({ code: 'bad-path' })
  })
})

describe('sweeping', () => {
  it('a newer version of a file removes the partials of its other versions beside it, and nothing else', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'partials-'))
    try {
      const [v1, v2, v3] = [randomBytes(32), randomBytes(32), randomBytes(32)]
      const names = [partialName('sub/film.mkv', v1), partialName('sub/film.mkv', v2), partialName('sub/other.mkv', v1), 'film.mkv']
      mkdirSync(path.join(folder, 'sub'))
      for (const name of names) writeFileSync(path.join(folder, 'sub', name), 'x')
      await removeOtherPartials(folder, 'sub/film.mkv', v3)
      expect(readdirSync(path.join(folder, 'sub')).sort()).toEqual([names[2], 'film.mkv'].sort())
      writeFileSync(path.join(folder, 'sub', names[0]!), 'x')
      await removeOtherPartials(folder, 'sub/film.mkv', v1)
      expect(readdirSync(path.join(folder, 'sub')).sort()).toEqual([names[0], names[2], 'film.mkv'].sort())
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  const now = Date.now()
  const hoursAgo = (hours: number): Date => new Date(now - hours * 60 * 60 * 1000)

  it('removes partials older than a day, and only those', async () => {
    const version = randomBytes(32)
    const files: Array<[string, number, boolean]> = [
      [partialName('a', version), 25, true],
      [`deep/er/${partialName('b', version)}`, 48, true],
      [`deep/${partialName('c', version)}`, 23, false],
      [partialName('d', version), 0, false],
      ['.dbs-tmp-123-0-4', 48, false],
      ['old-file.txt', 48, false],
    ]
    for (const [rel, hours] of files) {
      const abs = path.join(folder, rel)
      mkdirSync(path.dirname(abs), { recursive: true })
      writeFileSync(abs, 'x')
      utimesSync(abs, hoursAgo(hours), hoursAgo(hours))
    }
    // A link to a folder elsewhere is not followed.
    const elsewhere = path.join(root, 'elsewhere')
    mkdirSync(elsewhere)
    const outsider = path.join(elsewhere, partialName('e', version))
    writeFileSync(outsider, 'x')
    utimesSync(outsider, hoursAgo(48), hoursAgo(48))
    symlinkSync(elsewhere, path.join(folder, 'link'))

    expect(await sweepPartials(folder, now)).toBe(2)
    for (const [rel, , gone] of files) expect([rel, existsSync(path.join(folder, rel))]).toEqual([rel, !gone])
    expect(existsSync(outsider)).toBe(true)
    // The folder left empty goes with it.
    expect(existsSync(path.join(folder, 'deep', 'er'))).toBe(false)
    expect(await sweepPartials(folder, now, 22 * 60 * 60 * 1000)).toBe(1)
  })

  it.each([
    [partialName('x', Buffer.alloc(32, 0xab)), true],
    ['.dbs-tmp-part-0123456789abcdef-01234567', true],
    ['.dbs-tmp-part-0123456789ABCDEF-01234567', false],
    ['.dbs-tmp-part-0123456789abcdef-01234567.x', false],
    ['.dbs-tmp-part-0123456789abcde-01234567', false],
    ['x.dbs-tmp-part-0123456789abcdef-01234567', false],
    ['.dbs-tmp-123-0-1', false],
    ['film.mkv', false],
  ])('isPartialTemp(%s) is %s', (name, expected) => {
    expect(isPartialTemp(name)).toBe(expected)
  })

  it.each([
    ['.dbs-tmp-part-0123456789abcdef-01234567', 0, true],
    ['.dbs-tmp-part-0123456789abcdef-01234567', PARTIAL_MAX_AGE_MS - 1, true],
    ['.dbs-tmp-part-0123456789abcdef-01234567', PARTIAL_MAX_AGE_MS, false],
    ['.dbs-tmp-123-0-1', 0, false],
  ])('isYoungPartial(%s, %d ms old) is %s', (name, age, expected) => {
    expect(isYoungPartial(name, now - age, now)).toBe(expected)
  })
})


function flipAt(file: string, offset: number): void {
  const byte = readFileSync(file).subarray(offset, offset + 1)
  overwrite(file, offset, Buffer.from([byte[0]! ^ 1]))
}
