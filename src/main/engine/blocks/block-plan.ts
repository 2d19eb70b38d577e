// How a file is cut into blocks and what its version is (docs/PROTOCOL.md, blocks): pure rules.
// Block sizes are powers of two from 128 KiB to 16 MiB, the smallest that keeps a file at
// TARGET_BLOCKS blocks or fewer; the version is the block hash over the file's size, its block
// size and its blocks' hashes, so a peer can check a file block by block against its version.
import { BLOCK_HASH_BYTES, blockHash } from './block-hash'

export const MIN_BLOCK_BYTES = 128 * 1024
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024
export const TARGET_BLOCKS = 2000

/** What the version hash starts with: no other use of the block hash can produce the same input. */
export const VERSION_TAG = Buffer.from('dropbox-sync/5 file\0', 'ascii')

export function blockSizeFor(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`not a file size: ${size}`)
  let blockSize = MIN_BLOCK_BYTES
  while (blockSize < MAX_BLOCK_BYTES && size > blockSize * TARGET_BLOCKS) blockSize *= 2
  return blockSize
}

export function blockCount(size: number, blockSize = blockSizeFor(size)): number {
  return Math.ceil(size / blockSize)
}

/** Block `index` of a file of `size` bytes: where it starts and how long it is. */
export function blockRange(size: number, blockSize: number, index: number): { offset: number; length: number } {
  const offset = index * blockSize
  if (!Number.isInteger(index) || index < 0 || offset >= size) throw new RangeError(`a file of ${size} bytes has no block ${index}`)
  return { offset, length: Math.min(blockSize, size - offset) }
}

/** The header the version hash covers before the blocks' hashes. */
export function versionHeader(size: number, blockSize: number, count: number): Buffer {
  return writeVersionHeader(Buffer.alloc(VERSION_HEADER_BYTES), size, blockSize, count)
}

const VERSION_HEADER_BYTES = VERSION_TAG.length + 16

/** Writes the header at the start of `into` (a size is below 2^53: two u32 make its u64, no BigInt). */
function writeVersionHeader(into: Buffer, size: number, blockSize: number, count: number): Buffer {
  VERSION_TAG.copy(into)
  into.writeUInt32BE(Math.floor(size / 2 ** 32), VERSION_TAG.length)
  into.writeUInt32BE(size >>> 0, VERSION_TAG.length + 4)
  into.writeUInt32BE(blockSize, VERSION_TAG.length + 8)
  into.writeUInt32BE(count, VERSION_TAG.length + 12)
  return into
}

/** The version of a file: hashes are its blocks' hashes in order (none for an empty file). */
export function fileVersion(size: number, blockSize: number, hashes: readonly Buffer[]): Buffer {
  const count = blockCount(size, blockSize)
  if (hashes.length !== count) throw new RangeError(`a file of ${size} bytes in blocks of ${blockSize} has ${count} blocks, not ${hashes.length}`)
  // Header and hashes written into one buffer: no array of them spread into a concat per file.
  const input = writeVersionHeader(Buffer.allocUnsafe(VERSION_HEADER_BYTES + count * BLOCK_HASH_BYTES), size, blockSize, count)
  hashes.forEach((hash, i) => {
    if (hash.length !== BLOCK_HASH_BYTES) throw new RangeError(`a block hash is ${BLOCK_HASH_BYTES} bytes, not ${hash.length}`)
    hash.copy(input, VERSION_HEADER_BYTES + i * BLOCK_HASH_BYTES)
  })
  return blockHash(input)
}

/** Blocks and version of content held in memory (small files, tests, the worked example). */
export function versionOf(content: Buffer): { blockSize: number; hashes: Buffer[]; version: Buffer } {
  const blockSize = blockSizeFor(content.length)
  const hashes = Array.from({ length: blockCount(content.length, blockSize) }, (_, i) => {
    const { offset, length } = blockRange(content.length, blockSize, i)
    return blockHash(content.subarray(offset, offset + length))
  })
  return { blockSize, hashes, version: fileVersion(content.length, blockSize, hashes) }
}
