// One file's block list across BLOCK_LIST frames (docs/PROTOCOL.md §12.8): F cuts it into
// frames of at most BLOCK_LIST_FRAME_HASHES hashes; P joins them and holds the whole to the rules
// (block size, contiguous frames, block count, the version the hashes make) before using any.
import { blockCount, blockSizeFor, fileVersion } from '../blocks/block-plan'
import { BLOCK_LIST_FRAME_HASHES } from './constants'
import type { MessageOf } from './messages'

export type BlockListFrame = MessageOf<'BLOCK_LIST'>

export interface BlockList {
  version: Buffer
  size: number
  blockSize: number
  hashes: Buffer[]
}

/** The frames of one block list, in order: at least one (an empty file's carries no hash), `last` on the final one. */
export function blockListFrames(path: string, list: BlockList): BlockListFrame[] {
  const { version, size, blockSize, hashes } = list
  const frames: BlockListFrame[] = []
  for (let first = 0; first === 0 || first < hashes.length; first += BLOCK_LIST_FRAME_HASHES) {
    const part = hashes.slice(first, first + BLOCK_LIST_FRAME_HASHES)
    frames.push({ type: 'BLOCK_LIST', path, version, size, blockSize, first, last: first + part.length >= hashes.length, hashes: part })
  }
  return frames
}

/** A block list that breaks the rules: the peer that sent it lied (`bad-peer`). */
export class BlockListError extends Error {
  override name = 'BlockListError'
}

/**
 * Joins the BLOCK_LIST frames of one reply. The block hash must be loaded in this thread
 * (loadBlockHash): the last frame is checked against the version it claims.
 */
export class BlockListJoin {
  private readonly hashes: Buffer[] = []
  private head: BlockListFrame | null = null
  private done = false

  constructor(private readonly path: string) {}

  /** Takes the next frame; true once the list is whole and checked. Throws BlockListError. */
  add(frame: BlockListFrame): boolean {
    const lie = (what: string) => new BlockListError(`the block list of "${this.path}": ${what}`)
    if (this.done) throw lie('a frame after the last one')
    if (frame.path !== this.path) throw lie(`a frame names "${frame.path}"`)
    const head = (this.head ??= frame)
    const { size, blockSize } = head
    if (!frame.version.equals(head.version) || frame.size !== size || frame.blockSize !== blockSize) throw lie('the version, size or block size changed between frames')
    if (blockSize !== blockSizeFor(size)) throw lie(`blocks of ${blockSize} bytes, but a file of ${size} bytes has blocks of ${blockSizeFor(size)}`)
    if (frame.first !== this.hashes.length) throw lie(`a frame starts at block ${frame.first}, not ${this.hashes.length}`)
    if (!frame.last && frame.hashes.length === 0) throw lie('a frame before the last carries no hash')
    const count = blockCount(size, blockSize)
    const total = this.hashes.length + frame.hashes.length
    if (total > count || (frame.last && total < count)) throw lie(`${frame.last ? '' : 'at least '}${total} hashes for the ${count} blocks of ${size} bytes`)
    for (const hash of frame.hashes) this.hashes.push(hash)
    if (!frame.last) return false
    if (!fileVersion(size, blockSize, this.hashes).equals(head.version)) throw lie(`the hashes do not make the version ${head.version.toString('hex')}`)
    this.done = true
    return true
  }

  /** The whole list, once add() has returned true. */
  get list(): BlockList {
    if (!this.done || !this.head) throw new Error(`the block list of "${this.path}" is not whole yet`)
    return { version: this.head.version, size: this.head.size, blockSize: this.head.blockSize, hashes: this.hashes }
  }
}
