// The bytes of small files the index just hashed, which the folder server's reads are checked against.
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'
import { RECENT_SLOT_BYTES, RecentBytes } from '../../src/main/engine/folder/recent-bytes'
import { BATCH_FILE_BYTES } from '../../src/main/engine/protocol/constants'

/** Own memory: `Buffer.from` of a short one would share an 8 KiB slab. */
const own = (bytes: number): Buffer => {
  const data = Buffer.allocUnsafeSlow(bytes)
  data.set(randomBytes(bytes))
  return data
}

describe('recent bytes', () => {
  beforeAll(() => loadBlockHash())

  it('answers as a hash would: kept bytes are compared, anything else is hashed', () => {
    const recent = new RecentBytes()
    const [kept, other] = [own(4096), own(4096)]
    const [keptVersion, otherVersion] = [versionOfBytes(kept), versionOfBytes(other)]
    recent.put('a', keptVersion, kept)
    let hashed = 0
    const hash = (data: Buffer): Buffer => {
      hashed++
      return versionOfBytes(data)
    }
    const cases: Array<[string, string, Buffer, Buffer, boolean, number]> = [
      // path, version asked, bytes read, why, answer, hashes it took
      ['a', 'kept version, the same bytes', keptVersion, Buffer.from(kept), true, 0],
      ['a', 'kept version, other bytes (a rewrite its stats cannot show)', keptVersion, other, false, 0],
      ['a', 'kept version, one byte off', keptVersion, Buffer.concat([kept.subarray(0, 4095), Buffer.from([kept[4095]! ^ 1])]), false, 0],
      ['a', 'kept version, shorter', keptVersion, kept.subarray(0, 4000), false, 0],
      ['a', 'another version than kept: hashed', otherVersion, other, true, 1],
      ['b', 'nothing kept: hashed', otherVersion, other, true, 1],
      ['b', 'nothing kept, bytes of another version: hashed', keptVersion, other, false, 1],
    ]
    for (const [rel, why, version, data, answer, hashes] of cases) {
      hashed = 0
      expect(recent.holds(rel, version, data, hash), why).toBe(answer)
      expect(hashed, why).toBe(hashes)
    }
  })

  it('keeps the newest bytes in its ring: older ones written over are hashed instead, and no file larger than a batch', () => {
    const recent = new RecentBytes(3 * 4096)
    const files = Array.from({ length: 4 }, () => own(4096))
    files.forEach((data, i) => recent.put(`f${i}`, versionOfBytes(data), data))
    expect(recent.bytesHeld).toBe(3 * 4096)
    let hashed = 0
    const hash = (data: Buffer): Buffer => {
      hashed++
      return versionOfBytes(data)
    }
    // The oldest was written over; the three newest are compared without a hash.
    files.forEach((data, i) => expect(recent.holds(`f${i}`, versionOfBytes(data), Buffer.from(data), hash)).toBe(true))
    expect(hashed).toBe(1)
    const big = new RecentBytes(4 * BATCH_FILE_BYTES)
    const large = own(BATCH_FILE_BYTES + 1)
    big.put('large', versionOfBytes(large), large)
    expect(big.bytesHeld).toBe(0)
  })

  it('answers as a hash would, whatever was put, forgotten or written over before (random rounds)', () => {
    let seed = 12345
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const recent = new RecentBytes(20_000)
    const contents = Array.from({ length: 12 }, (_, i) => own([0, 1, 100, 4096, 5000, 9999][i % 6]!))
    const versions = contents.map((data) => versionOfBytes(data))
    for (let step = 0; step < 5000; step++) {
      const rel = `p${random(8)}`
      const action = random(3)
      if (action === 0) {
        const which = random(contents.length)
        recent.put(rel, versions[which]!, contents[which]!)
      } else if (action === 1) {
        recent.forget(rel)
      } else {
        const [asked, read] = [random(contents.length), random(contents.length)]
        const data = Buffer.from(contents[read]!)
        expect(recent.holds(rel, versions[asked]!, data, versionOfBytes), `step ${step}`).toBe(versions[asked]!.equals(versionOfBytes(data)))
      }
      expect(recent.bytesHeld).toBeLessThanOrEqual(20_000)
    }
  })

  it('keeps at most one file per slot of its ring, however small: a stream of empty files does not grow it', () => {
    const recent = new RecentBytes(64 * 1024)
    const empty = Buffer.alloc(0)
    const tiny = own(1)
    for (let i = 0; i < 20_000; i++) recent.put(`e${i}`, versionOfBytes(i % 2 ? empty : tiny), i % 2 ? empty : tiny)
    expect(recent.files).toBe((64 * 1024) / RECENT_SLOT_BYTES)
    // The newest are still kept, and answered without a hash.
    let hashed = 0
    expect(recent.holds('e19999', versionOfBytes(empty), empty, (data) => (hashed++, versionOfBytes(data)))).toBe(true)
    expect(recent.holds('e19998', versionOfBytes(tiny), Buffer.from(tiny), (data) => (hashed++, versionOfBytes(data)))).toBe(true)
    expect(hashed).toBe(0)
  })
})
