// Written from docs/PROTOCOL.md (protocol 5) alone, §12.8: block size, block hashes, version.
import { blake3 } from '@napi-rs/blake-hash'

export const MIN_BLOCK = 131_072
export const MAX_BLOCK = 16_777_216
export const TARGET_BLOCKS = 2000
export const VERSION_TAG = Buffer.concat([Buffer.from('dropbox-sync/5 file', 'ascii'), Buffer.from([0])])

/** The smallest power of two from 128 KiB with size ≤ block size × 2000, at most 16 MiB. */
export function blockSizeOf(size: number): number {
  let bs = MIN_BLOCK
  while (bs < MAX_BLOCK && size > bs * TARGET_BLOCKS) bs *= 2
  return bs
}

export function blockCount(size: number, bs = blockSizeOf(size)): number {
  return Math.ceil(size / bs)
}

export const blockHash = (bytes: Uint8Array): Buffer => blake3(bytes)

/** BLAKE3 over tag · size (u64) · block size (u32) · count (u32) · hashes, all big-endian. */
export function versionFromHashes(size: number, bs: number, hashes: Buffer[]): Buffer {
  const head = Buffer.alloc(16)
  head.writeBigUInt64BE(BigInt(size), 0)
  head.writeUInt32BE(bs, 8)
  head.writeUInt32BE(hashes.length, 12)
  return blake3(Buffer.concat([VERSION_TAG, head, ...hashes]))
}

export interface BlockPlan {
  size: number
  blockSize: number
  hashes: Buffer[]
  version: Buffer
}

export function planOf(content: Buffer): BlockPlan {
  const size = content.length
  const blockSize = blockSizeOf(size)
  const hashes: Buffer[] = []
  for (let at = 0; at < size; at += blockSize) hashes.push(blockHash(content.subarray(at, Math.min(at + blockSize, size))))
  return { size, blockSize, hashes, version: versionFromHashes(size, blockSize, hashes) }
}
