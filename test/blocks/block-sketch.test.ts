// The pure core of the local block lookup: which versions a set of wanted hashes points at
// (blocks/block-sketch.ts), and which wanted blocks the lists of those versions hold
// (blocks/block-match.ts). Hashes here are made up: only their bytes matter.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { matchBlocks } from '../../src/main/engine/blocks/block-match'
import { BlockSketch, SAMPLES_PER_LIST, samplesOf } from '../../src/main/engine/blocks/block-sketch'

const KiB = 1024
const B = 128 * KiB

/** A 32-byte hash whose first byte is `n` (so its order among others is n's), rest `fill`. */
function h(n: number, fill = 0): Buffer {
  const hash = Buffer.alloc(32, fill)
  hash.writeUInt16BE(n, 0)
  return hash
}

/** A list of hashes h(n) for each n. */
function list(...ns: number[]): Buffer {
  return Buffer.concat(ns.map((n) => h(n)))
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

describe('samplesOf', () => {
  it.each([
    ['fewer hashes than samples: all of them, smallest first', list(5, 3, 9), 8, [1, 0, 2]],
    ['the smallest few', list(50, 10, 40, 20, 30), 2, [1, 3]],
    ['a hash repeated is one sample', list(7, 7, 7, 8), 2, [0, 3]],
    ['an empty list', list(), 8, []],
  ])('%s', (_, hashes, count, indexes) => {
    expect(samplesOf(hashes, count)).toEqual(indexes.map((i) => i * 32))
  })

  it('picks what sorting every hash would, for random lists with repeats and equal first bytes', () => {
    for (let round = 0; round < 20; round++) {
      const count = 1 + Math.floor(Math.random() * 2000)
      // Hashes sharing their first 6 bytes often: the tie is settled on the whole hash.
      const hashes = Array.from({ length: count }, () => {
        const hash = randomBytes(32)
        if (Math.random() < 0.3) hash.fill(0, 0, 6)
        return hash
      })
      for (let i = 0; i < count / 10; i++) hashes[Math.floor(Math.random() * count)] = hashes[Math.floor(Math.random() * count)]!
      const all = Buffer.concat(hashes)
      const sorted = [...new Set(hashes.map((hash) => hash.toString('hex')))].sort().slice(0, SAMPLES_PER_LIST)
      expect(samplesOf(all).map((at) => all.toString('hex', at, at + 32))).toEqual(sorted)
    }
  })

  it('refuses a list that is not whole hashes', () => {
    expect(() => samplesOf(Buffer.alloc(33))).toThrow(/multiple of 32/)
  })
})

describe('BlockSketch', () => {
  const sketch = (): BlockSketch => {
    const s = new BlockSketch()
    // v1: blocks 100..299; v2: a copy of v1 with its 8 smallest changed; v3: another block size.
    s.add('v1', B, list(...range(100, 300)))
    s.add('v2', B, list(...range(1, 1 + SAMPLES_PER_LIST), ...range(108, 300)))
    s.add('v3', 2 * B, list(...range(100, 300)))
    return s
  }

  it.each([
    ['an edited copy of v1 (one block changed) finds v1 by its samples', B, list(...range(100, 150), 9999, ...range(151, 300)), ['v1']],
    ['the wanted blocks of both: the one with more sampled hits first', B, list(...range(1, 4), ...range(100, 300)), ['v1', 'v2']],
    ['of another block size nothing is found, even with the same hashes', 4 * B, list(...range(100, 300)), []],
    ['the other block size finds only its own', 2 * B, list(...range(100, 300)), ['v3']],
    ['none of the samples wanted: nothing', B, list(...range(200, 300)), []],
    ['nothing wanted: nothing', B, list(), []],
  ])('%s', (_, blockSize, wanted, versions) => {
    expect(sketch().find(blockSize, wanted, 8).map((hit) => hit.version)).toEqual(versions)
  })

  it('counts hits, keeps to the limit, and leaves out the version it is told to', () => {
    const s = sketch()
    const wanted = list(...range(1, 3), ...range(100, 300))
    expect(s.find(B, wanted, 8)).toEqual([
      { version: 'v1', hits: 8 },
      { version: 'v2', hits: 2 },
    ])
    expect(s.find(B, wanted, 1)).toEqual([{ version: 'v1', hits: 8 }])
    expect(s.find(B, wanted, 8, 'v1')).toEqual([{ version: 'v2', hits: 2 }])
  })

  it('a version removed is found no more, and its block size is forgotten with its last version', () => {
    const s = sketch()
    expect(s.knowsBlockSize(2 * B)).toBe(true)
    s.remove('v3')
    expect(s.knowsBlockSize(2 * B)).toBe(false)
    expect(s.find(2 * B, list(...range(100, 300)), 8)).toEqual([])
    const copy = list(...range(1, 1 + SAMPLES_PER_LIST), ...range(100, 300))
    expect(s.find(B, copy, 8).map((hit) => hit.version)).toEqual(['v1', 'v2'])
    s.remove('v1')
    expect(s.find(B, copy, 8).map((hit) => hit.version)).toEqual(['v2'])
    expect(s.size).toBe(1)
    s.remove('v1')
    expect(s.size).toBe(1)
  })

  it('versions sharing a sample are each found, and one removed leaves the other', () => {
    const s = new BlockSketch()
    s.add('a', B, list(1, 2, 3))
    s.add('b', B, list(1, 5, 6))
    expect(s.find(B, list(1), 8).map((hit) => hit.version)).toEqual(['a', 'b'])
    s.remove('a')
    expect(s.find(B, list(1), 8).map((hit) => hit.version)).toEqual(['b'])
  })

  it('adding a version again changes nothing; the origin stays the first one given', () => {
    const s = new BlockSketch()
    s.add('a', B, list(1, 2), 1)
    s.add('a', B, list(3, 4), 0)
    expect(s.originOf('a')).toBe(1)
    expect(s.find(B, list(3, 4), 8)).toEqual([])
  })
})

describe('matchBlocks', () => {
  // A file of 4 blocks and 10 bytes (the last block short).
  const size = 4 * B + 10
  const wanted = list(1, 2, 3, 4, 5)
  it.each([
    ['a source holding blocks at other places', [{ size: 3 * B, blockSize: B, hashes: list(3, 9, 1) }], { 0: [{ source: 0, offset: 2 * B }], 2: [{ source: 0, offset: 0 }] }],
    ['a source of another block size holds nothing', [{ size: 3 * 2 * B, blockSize: 2 * B, hashes: list(1, 2, 3) }], {}],
    [
      'a full-length block with the hash of the wanted short last one is not it',
      [{ size: 2 * B, blockSize: B, hashes: list(5, 9) }],
      {},
    ],
    ['a last block of the same length is', [{ size: B + 10, blockSize: B, hashes: list(9, 5) }], { 4: [{ source: 0, offset: B }] }],
    [
      'several sources: each place, in the order given, one per source',
      [
        { size: 2 * B, blockSize: B, hashes: list(2, 2) },
        { size: B, blockSize: B, hashes: list(2) },
      ],
      { 1: [{ source: 0, offset: 0 }, { source: 1, offset: 0 }] },
    ],
    ['a source whose list is not its size is left out', [{ size: 5 * B, blockSize: B, hashes: list(1) }], {}],
  ])('%s', (_, sources, places) => {
    expect(Object.fromEntries(matchBlocks(size, B, wanted, sources))).toEqual(places)
  })

  it('a wanted hash twice is taken for both blocks; `only` limits the blocks looked for', () => {
    const twice = list(7, 7, 8)
    const sources = [{ size: B, blockSize: B, hashes: list(7) }]
    expect(Object.fromEntries(matchBlocks(3 * B, B, twice, sources))).toEqual({ 0: [{ source: 0, offset: 0 }], 1: [{ source: 0, offset: 0 }] })
    expect(Object.fromEntries(matchBlocks(3 * B, B, twice, sources, [1, 2]))).toEqual({ 1: [{ source: 0, offset: 0 }] })
  })

  it('refuses wanted hashes that are not the file’s count', () => {
    expect(() => matchBlocks(3 * B, B, list(1, 2), [])).toThrow(/3 block hashes, not 2/)
  })
})
