// The bytes of small files the index just hashed, which the folder server's reads are checked against.
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'
import { RECENT_SLOT_BYTES, RecentBytes, type FileIdentity } from '../../src/main/engine/folder/recent-bytes'
import { BATCH_FILE_BYTES } from '../../src/main/engine/protocol/constants'

/** Own memory: `Buffer.from` of a short one would share an 8 KiB slab. */
const own = (bytes: number): Buffer => {
  const data = Buffer.allocUnsafeSlow(bytes)
  data.set(randomBytes(bytes))
  return data
}

/** Stats of a file as hashed (the tests of `holds` do not look at them). */
const STATS: FileIdentity = { dev: 2049, ino: 77, size: 4096, mtimeMs: 1_765_000_000_123.4567, ctimeMs: 1_765_000_000_123.4567 }

describe('recent bytes', () => {
  beforeAll(() => loadBlockHash())

  it('answers as a hash would: kept bytes are compared, anything else is hashed', () => {
    const recent = new RecentBytes()
    const [kept, other] = [own(4096), own(4096)]
    const [keptVersion, otherVersion] = [versionOfBytes(kept), versionOfBytes(other)]
    recent.put('a', keptVersion, kept, STATS)
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

  it('hands out the bytes of a version only while the look finds the stats they were read with, and looks only when it keeps them', () => {
    const recent = new RecentBytes()
    const [kept, other] = [own(4096), own(4096)]
    const [keptVersion, otherVersion] = [versionOfBytes(kept), versionOfBytes(other)]
    recent.put('a', keptVersion, kept, STATS)
    const cases: Array<[string, string, Buffer, FileIdentity | null, boolean]> = [
      // path, why, version asked, stats the look finds (null: no file there), bytes handed out
      ['a', 'the same stats', keptVersion, { ...STATS }, true],
      ['a', 'another inode (replaced)', keptVersion, { ...STATS, ino: 78 }, false],
      ['a', 'another device', keptVersion, { ...STATS, dev: 2050 }, false],
      ['a', 'another size', keptVersion, { ...STATS, size: 4095 }, false],
      ['a', 'written since (mtime)', keptVersion, { ...STATS, mtimeMs: STATS.mtimeMs + 0.001 }, false],
      ['a', 'written with its mtime put back, renamed or chmodded (ctime)', keptVersion, { ...STATS, ctimeMs: STATS.ctimeMs + 0.001 }, false],
      ['a', 'no regular file there now', keptVersion, null, false],
      ['a', 'another version asked', otherVersion, { ...STATS }, false],
      ['b', 'nothing kept at the path', keptVersion, { ...STATS }, false],
    ]
    for (const [rel, why, version, now, served] of cases) {
      let looks = 0
      const bytes = recent.bytesOf(rel, version, () => (looks++, now))
      expect(bytes?.equals(kept) ?? false, why).toBe(served)
      expect(looks, why).toBe(rel === 'a' && version === keptVersion ? 1 : 0)
    }
    // Put again (hashed again): the new bytes and stats replace the old.
    const later = { ...STATS, mtimeMs: STATS.mtimeMs + 5, ctimeMs: STATS.ctimeMs + 5 }
    recent.put('a', otherVersion, other, later)
    expect(recent.bytesOf('a', keptVersion, () => STATS)).toBeNull()
    expect(recent.bytesOf('a', otherVersion, () => STATS)).toBeNull()
    expect(recent.bytesOf('a', otherVersion, () => later)?.equals(other)).toBe(true)
    recent.forget('a')
    expect(recent.bytesOf('a', otherVersion, () => later)).toBeNull()
  })

  it('keeps the newest bytes in its ring: older ones written over are hashed instead, and no file larger than a batch', () => {
    const recent = new RecentBytes(3 * 4096)
    const files = Array.from({ length: 4 }, () => own(4096))
    files.forEach((data, i) => recent.put(`f${i}`, versionOfBytes(data), data, STATS))
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
    big.put('large', versionOfBytes(large), large, STATS)
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
        recent.put(rel, versions[which]!, contents[which]!, STATS)
      } else if (action === 1) {
        recent.forget(rel)
      } else if (random(2) === 0) {
        // Handed out, the bytes are the version asked for, whatever was written over since.
        const asked = random(contents.length)
        const bytes = recent.bytesOf(rel, versions[asked]!, () => STATS)
        if (bytes) expect(versionOfBytes(bytes), `step ${step}`).toEqual(versions[asked])
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
    for (let i = 0; i < 20_000; i++) recent.put(`e${i}`, versionOfBytes(i % 2 ? empty : tiny), i % 2 ? empty : tiny, STATS)
    expect(recent.files).toBe((64 * 1024) / RECENT_SLOT_BYTES)
    // The newest are still kept, and answered without a hash.
    let hashed = 0
    expect(recent.holds('e19999', versionOfBytes(empty), empty, (data) => (hashed++, versionOfBytes(data)))).toBe(true)
    expect(recent.holds('e19998', versionOfBytes(tiny), Buffer.from(tiny), (data) => (hashed++, versionOfBytes(data)))).toBe(true)
    expect(hashed).toBe(0)
  })
})
