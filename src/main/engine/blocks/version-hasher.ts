// A file's version computed as its bytes stream by, in any pieces (socket frames, reads): each
// block is hashed as it completes, so the version is ready when the last byte is, and the
// block hashes come with it for the block store.
import { blockHash, createBlockHasher, type BlockHasher } from './block-hash'
import { blockSizeFor, fileVersion } from './block-plan'

export class VersionHasher {
  readonly blockSize: number
  readonly hashes: Buffer[] = []
  /** The block being fed in pieces, if one is. */
  private partial: BlockHasher | null = null
  /** Bytes of the current block taken so far. */
  private inBlock = 0
  private taken = 0

  /** `size`: the bytes to come, exactly; more is refused, fewer makes digest() throw. */
  constructor(readonly size: number) {
    this.blockSize = blockSizeFor(size)
  }

  /** Bytes taken so far. */
  get bytes(): number {
    return this.taken
  }

  update(data: Uint8Array): this {
    if (this.taken + data.length > this.size) throw new RangeError(`more than the ${this.size} bytes announced`)
    let at = 0
    while (at < data.length) {
      const want = Math.min(this.blockSize, this.size - (this.taken - this.inBlock)) - this.inBlock
      const piece = data.subarray(at, at + want)
      at += piece.length
      this.taken += piece.length
      if (this.inBlock === 0 && piece.length === want) {
        // A whole block in one piece: one call, no hasher state.
        this.hashes.push(blockHash(piece))
        continue
      }
      this.partial ??= createBlockHasher()
      this.partial.update(piece)
      this.inBlock += piece.length
      if (piece.length === want) {
        this.hashes.push(this.partial.digest())
        this.partial = null
        this.inBlock = 0
      }
    }
    return this
  }

  /** The version; throws unless exactly `size` bytes were taken. */
  digest(): Buffer {
    if (this.taken !== this.size) throw new RangeError(`${this.taken} bytes taken of ${this.size}`)
    return fileVersion(this.size, this.blockSize, this.hashes)
  }
}

/** The version of bytes held whole (a small file, a FILES record). */
export function versionOfBytes(data: Uint8Array): Buffer {
  return new VersionHasher(data.length).update(data).digest()
}
