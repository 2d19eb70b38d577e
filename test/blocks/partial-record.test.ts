// The record of a partial file's verified blocks (engine/blocks/partial-record.ts): the bitmap,
// and the trailer read back only when it is whole, intact and of this version and block count.
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { decodeRecord, encodeRecord, recordBytes, VerifiedBlocks } from '../../src/main/engine/blocks/partial-record'

beforeAll(async () => {
  await loadBlockHash()
})

function blocksOf(count: number, verified: number[]): VerifiedBlocks {
  const blocks = new VerifiedBlocks(count)
  for (const index of verified) blocks.add(index)
  return blocks
}

describe('VerifiedBlocks', () => {
  it.each([
    [1, [], [], [0]],
    [1, [0], [0], []],
    [9, [8, 0, 3], [0, 3, 8], [1, 2, 4, 5, 6, 7]],
    [16, [15, 7, 8], [7, 8, 15], [0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14]],
  ])('of %d blocks with %j added: verified %j, missing %j', (count, added, verified, missing) => {
    const blocks = blocksOf(count, added)
    expect(blocks.indexes()).toEqual(verified)
    expect(blocks.missing()).toEqual(missing)
    expect(blocks.size).toBe(verified.length)
    for (let i = 0; i < count; i++) expect(blocks.has(i)).toBe(verified.includes(i))
  })

  it('counts a block added twice once, and says the second add was not new', () => {
    const blocks = new VerifiedBlocks(4)
    expect(blocks.add(2)).toBe(true)
    expect(blocks.add(2)).toBe(false)
    expect(blocks.size).toBe(1)
  })

  it('keeps block i as bit i % 8 of byte i / 8, as the record stores it', () => {
    expect([...blocksOf(12, [0, 9, 11]).bits]).toEqual([0b0000_0001, 0b0000_1010])
  })
})

describe('the record', () => {
  const version = randomBytes(32)

  it.each([
    [1, [] as number[]],
    [1, [0]],
    [8, [0, 7]],
    [9, [8]],
    [2000, [0, 1, 999, 1999]],
  ])('of %d blocks with %j verified is recordBytes long and reads back the same', (count, verified) => {
    const record = encodeRecord(version, blocksOf(count, verified))
    expect(record.length).toBe(recordBytes(count))
    expect(decodeRecord(record, version, count)).toEqual(verified)
  })

  it.each([1, 8, 9, 2000])('of %d blocks takes 4 + 1 + 32 + 4 header bytes, a bit per block and 8 check bytes', (count) => {
    expect(recordBytes(count)).toBe(41 + Math.ceil(count / 8) + 8)
  })

  const good = (): Buffer => encodeRecord(version, blocksOf(20, [1, 5, 19]))
  const flipped = (at: number): Buffer => {
    const record = good()
    record[at]! ^= 1
    return record
  }

  it.each<[string, () => Buffer, Buffer, number]>([
    ['another version', good, randomBytes(32), 20],
    ['another block count (same record size)', good, version, 21],
    ['another block count (other record size)', good, version, 30],
    ['cut short', () => good().subarray(0, recordBytes(20) - 1), version, 20],
    ['one byte longer', () => Buffer.concat([good(), Buffer.alloc(1)]), version, 20],
    ['its magic damaged', () => flipped(0), version, 20],
    ['its format damaged', () => flipped(4), version, 20],
    ['its bitmap damaged', () => flipped(45), version, 20],
    ['its check damaged', () => flipped(recordBytes(20) - 1), version, 20],
    ['zeros', () => Buffer.alloc(recordBytes(20)), version, 20],
  ])('is not read back when %s', (_what, record, askedVersion, count) => {
    expect(decodeRecord(record(), askedVersion, count)).toBeNull()
  })
})
