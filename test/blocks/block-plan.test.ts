// The block rules and the version definition (engine/blocks), against the worked example in
// docs/PROTOCOL.md and BLAKE3's published test vectors, with both hash builds.
import { beforeAll, describe, expect, it } from 'vitest'
import { hashWith, loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { blockCount, blockRange, blockSizeFor, fileVersion, MAX_BLOCK_BYTES, MIN_BLOCK_BYTES, versionHeader, versionOf } from '../../src/main/engine/blocks/block-plan'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

beforeAll(async () => {
  await loadBlockHash()
})

describe('the block size', () => {
  it.each([
    [0, 128 * KiB, 0],
    [1, 128 * KiB, 1],
    [128 * KiB, 128 * KiB, 1],
    [128 * KiB + 1, 128 * KiB, 2],
    [250 * MiB, 128 * KiB, 2000],
    [250 * MiB + 1, 256 * KiB, 1001],
    [GiB, 1 * MiB, 1024],
    [2000 * MiB, 1 * MiB, 2000],
    [2000 * MiB + 1, 2 * MiB, 1001],
    [32000 * MiB, 16 * MiB, 2000],
    [64000 * MiB, 16 * MiB, 4000],
  ])('a file of %d bytes: blocks of %d, %d of them', (size, blockSize, count) => {
    expect(blockSizeFor(size)).toBe(blockSize)
    expect(blockCount(size)).toBe(count)
    expect(blockSize).toBeGreaterThanOrEqual(MIN_BLOCK_BYTES)
    expect(blockSize).toBeLessThanOrEqual(MAX_BLOCK_BYTES)
  })

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses %d as a size', (size) => {
    expect(() => blockSizeFor(size)).toThrow(/not a file size/)
  })

  it('gives each block its range; the last is short', () => {
    const size = 300 * KiB
    expect(blockRange(size, 128 * KiB, 0)).toEqual({ offset: 0, length: 128 * KiB })
    expect(blockRange(size, 128 * KiB, 2)).toEqual({ offset: 256 * KiB, length: 44 * KiB })
    expect(() => blockRange(size, 128 * KiB, 3)).toThrow(/no block 3/)
    expect(() => blockRange(0, 128 * KiB, 0)).toThrow(/no block 0/)
  })
})

describe('the block hash', () => {
  // BLAKE3's official test vectors (input: bytes 0, 1, …, 250, 0, 1, … of the given length).
  const vector = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => i % 251))
  const VECTORS: Array<[number, string]> = [
    [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
    [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
    [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
    [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  ]
  it.each(['native', 'wasm'] as const)('%s: matches the published vectors and the other build', async (engine) => {
    const hash = await hashWith(engine)
    for (const [length, hex] of VECTORS) expect(hash(vector(length)).toString('hex')).toBe(hex)
    const other = await hashWith(engine === 'native' ? 'wasm' : 'native')
    const big = vector(3 * MiB + 17)
    expect(hash(big).equals(other(big))).toBe(true)
  })
})

describe('the version', () => {
  it('is the worked example of docs/PROTOCOL.md: the three bytes "abc"', () => {
    const { blockSize, hashes, version } = versionOf(Buffer.from('abc'))
    expect(blockSize).toBe(131072)
    expect(hashes.map((h) => h.toString('hex'))).toEqual(['6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'])
    // "dropbox-sync/5 file" and a zero byte; size 3 (u64); block size 131072 (u32); 1 block (u32).
    const header = ['64726f70626f782d73796e632f352066696c6500', '0000000000000003', '00020000', '00000001'].join('')
    expect(versionHeader(3, blockSize, 1).toString('hex')).toBe(header)
    expect(version.toString('hex')).toBe('49870a20a16c3b722f26917eb3b409844f763e6b9fa775e091683615c78829d8')
  })

  it('is BLAKE3 over the header and the hashes, whichever build computes it', async () => {
    const { blockSize, hashes, version } = versionOf(Buffer.from('abc'))
    const wasm = await hashWith('wasm')
    expect(wasm(Buffer.concat([versionHeader(3, blockSize, 1), ...hashes])).equals(version)).toBe(true)
  })

  it('of an empty file covers no block', () => {
    const { hashes, version } = versionOf(Buffer.alloc(0))
    expect(hashes).toEqual([])
    expect(version.equals(fileVersion(0, MIN_BLOCK_BYTES, []))).toBe(true)
  })

  it('changes with any block, and with the size', () => {
    const content = Buffer.alloc(300 * KiB, 1)
    const base = versionOf(content)
    expect(base.hashes).toHaveLength(3)
    const edited = Buffer.from(content)
    edited[200 * KiB] = 2
    const after = versionOf(edited)
    expect(after.hashes[0]!.equals(base.hashes[0]!)).toBe(true)
    expect(after.hashes[1]!.equals(base.hashes[1]!)).toBe(false)
    expect(after.version.equals(base.version)).toBe(false)
    expect(versionOf(Buffer.concat([content, Buffer.from([1])])).version.equals(base.version)).toBe(false)
  })

  it('refuses a block list that does not fit the size', () => {
    const hash = Buffer.alloc(32)
    expect(() => fileVersion(300 * KiB, 128 * KiB, [hash, hash])).toThrow(/has 3 blocks, not 2/)
    expect(() => fileVersion(1, 128 * KiB, [Buffer.alloc(31)])).toThrow(/32 bytes, not 31/)
  })
})
