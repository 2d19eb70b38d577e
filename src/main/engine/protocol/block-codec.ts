// Encoding and decoding of the block messages (docs/PROTOCOL.md §12.2), which codec.ts hands
// over to: GET_BLOCK_LIST, BLOCK_LIST, GET_BLOCKS, BLOCKS. Each starts with the path and the
// version it is about. Only the format is judged here; whether a block list fits its version
// is the receiver's check (block-list-frames.ts).
import { BLOCK_HASH_BYTES } from '../blocks/block-hash'
import { BLOCK_LIST_FRAME_HASHES } from './constants'
import { ProtocolError } from './errors'
import type { Reader, Writer } from './fields'
import type { BlockMessage } from './messages'

/** Most blocks one GET_BLOCKS (and its BLOCKS) names: its count is a u16. */
export const MAX_RUN_BLOCKS = 0xffff

function u32(what: string, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${what}: ${field} ${value} is not a u32`)
  return value
}

function runCount(what: string, count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_RUN_BLOCKS) throw new RangeError(`${what} names 1 to ${MAX_RUN_BLOCKS} blocks, not ${count}`)
  return count
}

/** The whole frame of a block message, its type byte already in `w`. */
export function encodeBlockMessage(w: Writer, message: BlockMessage): Buffer {
  w.str(message.path).version(message.version)
  switch (message.type) {
    case 'GET_BLOCK_LIST':
      return w.finish()
    case 'BLOCK_LIST': {
      const count = message.hashes.length
      if (count > BLOCK_LIST_FRAME_HASHES) throw new RangeError(`a BLOCK_LIST frame carries at most ${BLOCK_LIST_FRAME_HASHES} hashes, not ${count}`)
      w.u64(message.size).u32(u32('BLOCK_LIST', 'block size', message.blockSize)).u32(u32('BLOCK_LIST', 'first', message.first)).u32(count).u8(message.last ? 1 : 0)
      for (const hash of message.hashes) {
        if (hash.length !== BLOCK_HASH_BYTES) throw new RangeError(`a block hash has ${BLOCK_HASH_BYTES} bytes, not ${hash.length}`)
        w.raw(hash)
      }
      return w.finish()
    }
    case 'GET_BLOCKS':
    case 'BLOCKS':
      return w.u32(u32(message.type, 'first', message.first)).u16(runCount(message.type, message.count)).finish()
  }
}

/** The fields of a block message after its type byte; the caller checks that nothing follows. */
export function decodeBlockMessage(r: Reader, type: BlockMessage['type']): BlockMessage {
  const path = r.str('path')
  const version = r.version()
  switch (type) {
    case 'GET_BLOCK_LIST':
      return { type, path, version }
    case 'BLOCK_LIST': {
      const size = r.u64('size')
      const blockSize = r.u32('block size')
      const first = r.u32('first')
      const count = r.u32('count')
      const last = r.bool('last')
      if (count > BLOCK_LIST_FRAME_HASHES) throw new ProtocolError('bad-frame', `BLOCK_LIST: ${count} hashes, more than the ${BLOCK_LIST_FRAME_HASHES} a frame carries`)
      if (count * BLOCK_HASH_BYTES > r.remaining) throw new ProtocolError('bad-frame', `BLOCK_LIST: ${count} hashes cannot fit in the ${r.remaining} bytes left`)
      // One copy for the whole frame's hashes: the frame's memory may be reused once it is handled.
      const all = Buffer.from(r.take(count * BLOCK_HASH_BYTES, 'hashes'))
      const hashes = Array.from({ length: count }, (_, i) => all.subarray(i * BLOCK_HASH_BYTES, (i + 1) * BLOCK_HASH_BYTES))
      return { type, path, version, size, blockSize, first, last, hashes }
    }
    case 'GET_BLOCKS':
    case 'BLOCKS': {
      const first = r.u32('first')
      const count = r.u16('count')
      if (count === 0) throw new ProtocolError('bad-frame', `${type}: count 0: a run holds at least one block`)
      return { type, path, version, first, count }
    }
  }
}
