// Which local versions may hold some of a file's blocks, by hash, in bounded memory: each list
// known is remembered by a sample of its hashes (the smallest few: the same blocks are picked in
// every file holding them), so a version sharing many blocks with a wanted file has, with high
// odds, one of its samples among the wanted hashes. A hit only names a version to look at: its
// whole list is then read from the block store and each block checked as it is taken.
// Pure: no I/O. docs/ARCHITECTURE.md, "blocks from other files", says what it costs.
import { BLOCK_HASH_BYTES } from './block-hash'

/** Hashes kept per list: a version sharing half its blocks is missed with odds 1 in 2^8. */
export const SAMPLES_PER_LIST = 8

export interface SketchHit {
  version: string
  /** Wanted hashes that are samples of this version. */
  hits: number
}

interface Known {
  blockSize: number
  keys: number[]
  /** The caller's word for where the list is kept. */
  origin: number
}

/** A hash's first 31 bits: a small integer key (a false match costs one list read, never a block). */
export function keyOf(hashes: Buffer, at: number): number {
  return hashes.readUInt32BE(at) >>> 1
}

/** The positions (in hashes) of the `count` smallest distinct hashes of a list, smallest first. */
export function samplesOf(hashes: Buffer, count = SAMPLES_PER_LIST): number[] {
  if (hashes.length % BLOCK_HASH_BYTES !== 0) throw new RangeError(`a block list is a multiple of ${BLOCK_HASH_BYTES} bytes, not ${hashes.length}`)
  // One pass keeping the smallest few, compared by their first 6 bytes (a number), whole on a tie.
  const picked: Array<{ at: number; head: number }> = []
  for (let at = 0; at < hashes.length; at += BLOCK_HASH_BYTES) {
    const head = hashes.readUIntBE(at, 6)
    if (picked.length === count && head > picked.at(-1)!.head) continue
    let place = picked.length
    let same = false
    while (place > 0) {
      const order = compare(hashes, at, head, picked[place - 1]!)
      if (order === 0) same = true
      if (order >= 0) break
      place--
    }
    if (same || place === count) continue
    picked.splice(place, 0, { at, head })
    if (picked.length > count) picked.pop()
  }
  return picked.map((p) => p.at)
}

function compare(hashes: Buffer, at: number, head: number, other: { at: number; head: number }): number {
  if (head !== other.head) return head < other.head ? -1 : 1
  return hashes.compare(hashes, other.at, other.at + BLOCK_HASH_BYTES, at, at + BLOCK_HASH_BYTES)
}

export class BlockSketch {
  /** Sample key → the version(s) sampling it. */
  private readonly byKey = new Map<number, string | string[]>()
  private readonly versions = new Map<string, Known>()
  /** Versions known per block size: a file of another block size shares no block. */
  private readonly perBlockSize = new Map<number, number>()

  get size(): number {
    return this.versions.size
  }

  /** Every version known (a copy: remove may be called while going through it). */
  versionsKnown(): string[] {
    return [...this.versions.keys()]
  }

  has(version: string): boolean {
    return this.versions.has(version)
  }

  /** Whether any version of this block size is known (else a lookup cannot find anything). */
  knowsBlockSize(blockSize: number): boolean {
    return (this.perBlockSize.get(blockSize) ?? 0) > 0
  }

  /** The `origin` `version` was added with. */
  originOf(version: string): number | undefined {
    return this.versions.get(version)?.origin
  }

  /** Remembers `version`'s list (count × 32 bytes); again for a known version is nothing. */
  add(version: string, blockSize: number, hashes: Buffer, origin = 0): void {
    if (this.versions.has(version)) return
    const keys = [...new Set(samplesOf(hashes).map((at) => keyOf(hashes, at)))]
    this.versions.set(version, { blockSize, keys, origin })
    this.perBlockSize.set(blockSize, (this.perBlockSize.get(blockSize) ?? 0) + 1)
    for (const key of keys) {
      const there = this.byKey.get(key)
      if (there === undefined) this.byKey.set(key, version)
      else if (typeof there === 'string') this.byKey.set(key, [there, version])
      else there.push(version)
    }
  }

  remove(version: string): void {
    const known = this.versions.get(version)
    if (!known) return
    this.versions.delete(version)
    const left = this.perBlockSize.get(known.blockSize)! - 1
    if (left === 0) this.perBlockSize.delete(known.blockSize)
    else this.perBlockSize.set(known.blockSize, left)
    for (const key of known.keys) {
      const there = this.byKey.get(key)
      if (there === version) this.byKey.delete(key)
      else if (Array.isArray(there)) {
        const rest = there.filter((v) => v !== version)
        this.byKey.set(key, rest.length === 1 ? rest[0]! : rest)
      }
    }
  }

  /**
   * Versions of `blockSize` with samples among `wanted` (count × 32 bytes), most hits first (then
   * by version, so the answer is stable), at most `limit`; `except` is left out.
   */
  find(blockSize: number, wanted: Buffer, limit: number, except?: string): SketchHit[] {
    if (wanted.length % BLOCK_HASH_BYTES !== 0) throw new RangeError(`wanted hashes are a multiple of ${BLOCK_HASH_BYTES} bytes, not ${wanted.length}`)
    if (!this.knowsBlockSize(blockSize)) return []
    const hits = new Map<string, number>()
    const seen = new Set<number>()
    for (let at = 0; at < wanted.length; at += BLOCK_HASH_BYTES) {
      const key = keyOf(wanted, at)
      // A hash wanted twice (a file of repeated blocks) is one sample.
      if (seen.has(key)) continue
      seen.add(key)
      const there = this.byKey.get(key)
      if (there === undefined) continue
      for (const version of typeof there === 'string' ? [there] : there) {
        if (version === except || this.versions.get(version)!.blockSize !== blockSize) continue
        hits.set(version, (hits.get(version) ?? 0) + 1)
      }
    }
    return [...hits]
      .map(([version, count]) => ({ version, hits: count }))
      .sort((a, b) => b.hits - a.hits || (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
      .slice(0, limit)
  }
}
