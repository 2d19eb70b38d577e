// Block lists on disk (engine/blocks/block-store.ts), over real files in a temp folder: what is
// put comes back, anything that does not hash to its name is absent (and gone), prune keeps what
// is referenced or put meanwhile.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { blockCount, blockSizeFor, fileVersion } from '../../src/main/engine/blocks/block-plan'
import { BlockStore, STORE_FORMAT, STORE_HEADER_BYTES, STORE_MAGIC } from '../../src/main/engine/blocks/block-store'

const KiB = 1024
const MiB = 1024 * KiB

/** A made-up file of `size` bytes: its block size, random block hashes, and its version. */
function listFor(size: number): { size: number; blockSize: number; hashes: Buffer[]; version: Buffer } {
  const blockSize = blockSizeFor(size)
  const hashes = Array.from({ length: blockCount(size, blockSize) }, () => randomBytes(32))
  return { size, blockSize, hashes, version: fileVersion(size, blockSize, hashes) }
}

const aDayAgo = (): Date => new Date(Date.now() - 24 * 60 * 60 * 1000)

let dir: string
let store: BlockStore

beforeAll(async () => {
  await loadBlockHash()
})

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'block-store-'))
  store = new BlockStore(path.join(dir, 'blocks'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('put and get', () => {
  it.each([
    ['an empty file', 0],
    ['one block', 100 * KiB],
    ['two blocks, the last short', 128 * KiB + 1],
    ['2000 blocks of 128 KiB', 250 * MiB],
    ['1024 blocks of 1 MiB', 1024 * MiB],
  ])('%s comes back as it went in', async (_name, size) => {
    const list = listFor(size)
    expect(await store.put(list.version, list.size, list.blockSize, list.hashes)).toBe(true)
    const hex = list.version.toString('hex')
    const file = path.join(store.dir, hex.slice(0, 2), hex)
    expect(store.pathOf(list.version)).toBe(file)
    const bytes = readFileSync(file)
    expect(bytes.length).toBe(STORE_HEADER_BYTES + 32 * list.hashes.length)
    expect(bytes.subarray(0, 4)).toEqual(STORE_MAGIC)
    expect(bytes[4]).toBe(STORE_FORMAT)
    expect(bytes.readBigUInt64BE(5)).toBe(BigInt(size))
    expect(bytes.readUInt32BE(13)).toBe(list.blockSize)
    expect(bytes.readUInt32BE(17)).toBe(list.hashes.length)

    const got = await store.get(list.version)
    expect(got).toEqual({ size, blockSize: list.blockSize, hashes: Buffer.concat(list.hashes) })
    expect(await store.get(hex)).toEqual(got)
    expect(await store.has(list.version)).toBe(true)
  })

  it('takes the hashes as one buffer too, and does not rewrite an entry already there', async () => {
    const list = listFor(3 * MiB)
    expect(await store.put(list.version, list.size, list.blockSize, Buffer.concat(list.hashes))).toBe(true)
    const file = store.pathOf(list.version)
    utimesSync(file, aDayAgo(), aDayAgo())
    const inode = lstatSync(file).ino
    expect(await store.put(list.version, list.size, list.blockSize, list.hashes)).toBe(false)
    expect(lstatSync(file).ino).toBe(inode)
    // Touched, so a prune running now keeps it.
    expect(lstatSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000)
  })

  it('says absent for a version never put, and for a store folder that is not there yet', async () => {
    expect(await store.get(listFor(MiB).version)).toBeNull()
    expect(await store.has(listFor(MiB).version)).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })

  it.each([
    ['a list that hashes to another version', () => ({ ...listFor(MiB), version: listFor(MiB).version }), /is version [0-9a-f]{64}, not/],
    ['a hash of 31 bytes', () => ({ ...listFor(MiB), hashes: [randomBytes(31)] }), /multiple of 32/],
    ['the wrong number of blocks', () => ({ ...listFor(MiB), hashes: [randomBytes(32)] }), /has 8 blocks, not 1/],
    ['a version of 16 bytes', () => ({ ...listFor(MiB), version: randomBytes(16) }), /a version is 32 bytes/],
    ['a block size of 0', () => ({ ...listFor(MiB), blockSize: 0 }), /not a block size/],
  ])('refuses %s, naming it', async (_name, make, message) => {
    const list = make()
    await expect(store.put(list.version, list.size, list.blockSize, list.hashes)).rejects.toThrow(message)
  })
})

describe('an entry that does not hold its version is absent, and removed', () => {
  const cases: Array<[string, (file: string, bytes: Buffer) => void]> = [
    ['truncated by a byte', (file, bytes) => writeFileSync(file, bytes.subarray(0, -1))],
    ['cut inside the header', (file, bytes) => writeFileSync(file, bytes.subarray(0, 10))],
    ['empty (a crash before the data reached the disk)', (file) => writeFileSync(file, '')],
    ['one byte longer', (file, bytes) => writeFileSync(file, Buffer.concat([bytes, Buffer.from([0])]))],
    ['a hash with a bit flipped', (file, bytes) => writeFileSync(file, flip(bytes, bytes.length - 1))],
    ['the size with a bit flipped', (file, bytes) => writeFileSync(file, flip(bytes, 12))],
    ['another magic', (file, bytes) => writeFileSync(file, flip(bytes, 0))],
    ['a format to come', (file, bytes) => writeFileSync(file, flip(bytes, 4))],
    ['a count the file is not that long for', (file, bytes) => writeFileSync(file, Buffer.concat([bytes.subarray(0, 17), Buffer.from([0xff, 0xff, 0xff, 0xff])]))],
    ['text', (file) => writeFileSync(file, 'not a block list\n')],
    ["another version's list (whole and valid)", (file) => writeFileSync(file, entryBytes(listFor(5 * MiB)))],
    ['a folder', (file) => (rmSync(file), mkdirSync(file), writeFileSync(path.join(file, 'x'), 'x'))],
    ['a link to its own valid copy elsewhere', (file, bytes) => (writeFileSync(`${file}.real`, bytes), rmSync(file), symlinkSync(`${file}.real`, file))],
  ]

  function flip(bytes: Buffer, at: number): Buffer {
    const copy = Buffer.from(bytes)
    copy[at] = copy[at]! ^ 1
    return copy
  }

  function entryBytes(list: ReturnType<typeof listFor>): Buffer {
    const header = Buffer.alloc(STORE_HEADER_BYTES)
    STORE_MAGIC.copy(header)
    header[4] = STORE_FORMAT
    header.writeBigUInt64BE(BigInt(list.size), 5)
    header.writeUInt32BE(list.blockSize, 13)
    header.writeUInt32BE(list.hashes.length, 17)
    return Buffer.concat([header, ...list.hashes])
  }

  it.each(cases)('%s', async (_name, spoil) => {
    const list = listFor(3 * MiB)
    await store.put(list.version, list.size, list.blockSize, list.hashes)
    const file = store.pathOf(list.version)
    const bytes = readFileSync(file)
    expect(bytes).toEqual(entryBytes(list))
    spoil(file, bytes)

    expect(await store.get(list.version)).toBeNull()
    expect(existsSync(file) || lstatSync(file, { throwIfNoEntry: false }) !== undefined).toBe(false)
    // Put again, it is whole again.
    expect(await store.put(list.version, list.size, list.blockSize, list.hashes)).toBe(true)
    expect((await store.get(list.version))?.hashes).toEqual(Buffer.concat(list.hashes))
  })

  it('a shard that is a file is no entry either', async () => {
    const list = listFor(MiB)
    mkdirSync(store.dir, { recursive: true })
    writeFileSync(path.join(store.dir, list.version.toString('hex').slice(0, 2)), 'in the way')
    expect(await store.get(list.version)).toBeNull()
  })
})

describe('prune', () => {
  async function putAll(count: number): Promise<string[]> {
    const versions: string[] = []
    for (let i = 0; i < count; i++) {
      const list = listFor((i + 2) * 128 * KiB)
      await store.put(list.version, list.size, list.blockSize, list.hashes)
      utimesSync(store.pathOf(list.version), aDayAgo(), aDayAgo())
      versions.push(list.version.toString('hex'))
    }
    return versions
  }

  it('keeps what is referenced and removes the rest', async () => {
    const versions = await putAll(40)
    const referenced = new Set(versions.filter((_, i) => i % 3 === 0))
    expect(await store.prune((hex) => referenced.has(hex))).toEqual({ kept: referenced.size, removed: versions.length - referenced.size })
    for (const hex of versions) expect(await store.has(hex)).toBe(referenced.has(hex))
    expect(await store.prune(() => false)).toEqual({ kept: 0, removed: referenced.size })
  })

  it('keeps an entry put while it runs, whichever comes first', async () => {
    const versions = await putAll(60)
    const lists = await Promise.all(versions.map(async (hex) => ({ hex, list: (await store.get(hex))! })))
    for (const { hex } of lists) utimesSync(store.pathOf(hex), aDayAgo(), aDayAgo())
    const again = lists.filter((_, i) => i % 2 === 0)
    // Nothing is referenced; half the entries are put again while the prune runs.
    const pruned = store.prune(() => false)
    const puts = again.map(({ hex, list }) => store.put(hex, list.size, list.blockSize, list.hashes))
    await Promise.all([pruned, ...puts])
    for (const { hex } of lists) expect(await store.has(hex)).toBe(again.some((e) => e.hex === hex))
  })

  it('removes what dead puts and prunes left, but not a put in flight', async () => {
    const [hex] = await putAll(1)
    const shard = path.join(store.dir, hex!.slice(0, 2))
    const stalePut = path.join(shard, '.put-1-0-1')
    const freshPut = path.join(shard, '.put-1-0-2')
    const deadDrop = path.join(shard, `.drop-${hex}`)
    const wrongShard = path.join(store.dir, hex!.slice(0, 2) === 'ff' ? 'fe' : 'ff', hex!)
    for (const file of [stalePut, freshPut, deadDrop]) writeFileSync(file, 'x')
    mkdirSync(path.dirname(wrongShard), { recursive: true })
    writeFileSync(wrongShard, 'x')
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000)
    utimesSync(stalePut, old, old)
    writeFileSync(path.join(store.dir, 'not-a-shard'), 'left alone')

    expect(await store.prune(() => true)).toEqual({ kept: 1, removed: 0 })
    expect([stalePut, freshPut, deadDrop, wrongShard].map((file) => existsSync(file))).toEqual([false, true, false, false])
    expect(existsSync(path.join(store.dir, 'not-a-shard'))).toBe(true)
  })

  it('prunes one after another, and a store folder not made yet prunes nothing', async () => {
    expect(await store.prune(() => false)).toEqual({ kept: 0, removed: 0 })
    const versions = await putAll(10)
    const [first, second] = await Promise.all([store.prune((hex) => hex !== versions[0]), store.prune(() => false)])
    expect(first).toEqual({ kept: 9, removed: 1 })
    expect(second).toEqual({ kept: 0, removed: 9 })
  })
})
