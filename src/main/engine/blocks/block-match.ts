// Which wanted blocks other local files hold, by their lists: for each wanted block, where in
// which source the same hash sits. Only blocks of the same length can match (same block size;
// a last, shorter block only a last block of that length). Pure: the caller reads and verifies.
import { BLOCK_HASH_BYTES } from './block-hash'
import { blockCount, blockRange } from './block-plan'

export interface SourceList {
  size: number
  blockSize: number
  /** count × 32 bytes. */
  hashes: Buffer
}

export interface BlockPlace {
  /** Index into the sources given. */
  source: number
  offset: number
}

/**
 * For each of the `wanted` blocks (of a file of `size` in blocks of `blockSize`, count × 32
 * bytes of hashes) that some source lists, the places holding it, sources in the order given.
 * `only`: the wanted blocks to look for (default: all).
 */
export function matchBlocks(size: number, blockSize: number, wanted: Buffer, sources: readonly SourceList[], only?: readonly number[]): Map<number, BlockPlace[]> {
  const count = blockCount(size, blockSize)
  if (wanted.length !== count * BLOCK_HASH_BYTES) throw new RangeError(`a file of ${size} bytes in blocks of ${blockSize} has ${count} block hashes, not ${wanted.length / BLOCK_HASH_BYTES}`)
  // Wanted blocks by hash and length (latin1: one char per byte, a cheap exact key).
  const byHash = new Map<string, number[]>()
  for (const index of only ?? Array.from({ length: count }, (_, i) => i)) {
    const key = keyAt(wanted, index, blockRange(size, blockSize, index).length)
    const same = byHash.get(key)
    if (same) same.push(index)
    else byHash.set(key, [index])
  }
  const places = new Map<number, BlockPlace[]>()
  sources.forEach((source, s) => {
    if (source.blockSize !== blockSize) return
    const blocks = blockCount(source.size, source.blockSize)
    if (source.hashes.length !== blocks * BLOCK_HASH_BYTES) return
    for (let j = 0; j < blocks; j++) {
      const { offset, length } = blockRange(source.size, source.blockSize, j)
      for (const index of byHash.get(keyAt(source.hashes, j, length)) ?? []) {
        const there = places.get(index)
        const place = { source: s, offset }
        // One place per source is enough: a block repeated in a source reads the same bytes.
        if (!there) places.set(index, [place])
        else if (there.at(-1)!.source !== s) there.push(place)
      }
    }
  })
  return places
}

function keyAt(hashes: Buffer, index: number, length: number): string {
  return `${length}:${hashes.toString('latin1', index * BLOCK_HASH_BYTES, (index + 1) * BLOCK_HASH_BYTES)}`
}
