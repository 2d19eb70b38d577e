// Which blocks of a partial file are verified: a bitmap while it is written, and the record that
// keeps it between tries, in a trailer after the file's last byte (partial-file.ts).
//
// Record: MAGIC · format · version (32) · u32 count · bitmap (count bits, block i is bit i % 8 of
// byte i / 8) · the first 8 bytes of the block hash of all that. It hashes: loadBlockHash() must
// have resolved in the calling thread.
import { BLOCK_HASH_BYTES, blockHash } from './block-hash'

const RECORD_MAGIC = Buffer.from('DBSP', 'ascii')
const RECORD_FORMAT = 1
const RECORD_CHECK_BYTES = 8
const RECORD_HEADER_BYTES = RECORD_MAGIC.length + 1 + BLOCK_HASH_BYTES + 4

/** The size of the record of a file of `count` blocks. */
export function recordBytes(count: number): number {
  return RECORD_HEADER_BYTES + Math.ceil(count / 8) + RECORD_CHECK_BYTES
}

/** The verified blocks of a file of `count` blocks, one bit each. */
export class VerifiedBlocks {
  /** The bitmap, as the record stores it. */
  readonly bits: Uint8Array
  private verified = 0

  constructor(readonly count: number) {
    this.bits = new Uint8Array(Math.ceil(count / 8))
  }

  /** How many are verified. */
  get size(): number {
    return this.verified
  }

  has(index: number): boolean {
    return (this.bits[index >> 3]! & (1 << (index & 7))) !== 0
  }

  /** Marks block `index` verified; false when it already was. */
  add(index: number): boolean {
    if (this.has(index)) return false
    this.bits[index >> 3]! |= 1 << (index & 7)
    this.verified++
    return true
  }

  /** The verified blocks, in order. */
  indexes(): number[] {
    return this.where(true)
  }

  /** The blocks not verified yet, in order. */
  missing(): number[] {
    return this.where(false)
  }

  private where(verified: boolean): number[] {
    const out: number[] = []
    for (let i = 0; i < this.count; i++) if (this.has(i) === verified) out.push(i)
    return out
  }
}

/** The record of `blocks` for the file at `version`, check included. */
export function encodeRecord(version: Buffer, blocks: VerifiedBlocks): Buffer {
  const body = recordBody(version, blocks.count, blocks.bits)
  return Buffer.concat([body, blockHash(body).subarray(0, RECORD_CHECK_BYTES)])
}

/**
 * The blocks `record` claims verified, or null when it is not a whole, intact record of this
 * version with `count` blocks (another version's, cut short, damaged, or no record at all).
 */
export function decodeRecord(record: Buffer, version: Buffer, count: number): number[] | null {
  if (record.length !== recordBytes(count)) return null
  const body = record.subarray(0, record.length - RECORD_CHECK_BYTES)
  if (!blockHash(body).subarray(0, RECORD_CHECK_BYTES).equals(record.subarray(body.length))) return null
  if (!body.equals(recordBody(version, count, record.subarray(RECORD_HEADER_BYTES, body.length)))) return null
  const claimed: number[] = []
  for (let i = 0; i < count; i++) if ((record[RECORD_HEADER_BYTES + (i >> 3)]! & (1 << (i & 7))) !== 0) claimed.push(i)
  return claimed
}

/** The record's bytes before its check: what it says for `version` with `bitmap`. */
function recordBody(version: Buffer, count: number, bitmap: Uint8Array): Buffer {
  const header = Buffer.alloc(RECORD_HEADER_BYTES)
  RECORD_MAGIC.copy(header)
  header.writeUInt8(RECORD_FORMAT, RECORD_MAGIC.length)
  version.copy(header, RECORD_MAGIC.length + 1)
  header.writeUInt32BE(count, RECORD_MAGIC.length + 1 + BLOCK_HASH_BYTES)
  return Buffer.concat([header, bitmap])
}
