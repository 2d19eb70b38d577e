// Protocol 5's block messages (GET_BLOCK_LIST, BLOCK_LIST, GET_BLOCKS, BLOCKS) and the flags byte
// of FILE_LIST entries and INDEX_CHANGED upserts: round trips, encoder refusals, malformed bodies
// (table-driven), and a block list cut into frames and joined again with its checks.
import { beforeAll, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { fileVersion, versionOf } from '../../src/main/engine/blocks/block-plan'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { BlockListError, BlockListJoin, blockListFrames, type BlockListFrame } from '../../src/main/engine/protocol/block-list-frames'
import { BLOCK_LIST_FRAME_HASHES, MAX_FRAME_BYTES, MessageType, VERSION_BYTES } from '../../src/main/engine/protocol/constants'
import type { Message } from '../../src/main/engine/protocol/messages'
import { encodeOnce, expectProtocolError, str, u16, u32, u64, u8 } from './support'

const KiB = 1024
const ver = (byte: number) => Buffer.alloc(VERSION_BYTES, byte)
const body = (name: keyof typeof MessageType, ...fields: Buffer[]) => Buffer.concat([u8(MessageType[name]), ...fields])

describe('round trips', () => {
  it('GET_BLOCK_LIST: path and version, nothing else', () => {
    const frame = encodeOnce({ type: 'GET_BLOCK_LIST', path: 'big.iso', version: ver(1) })
    expect(frame.length).toBe(4 + 1 + 2 + 7 + VERSION_BYTES)
    encodeOnce({ type: 'GET_BLOCK_LIST', path: '', version: ver(2) })
    encodeOnce({ type: 'GET_BLOCK_LIST', path: '\uFEFFdir/ünï 😀', version: ver(3) })
  })

  it('BLOCK_LIST: empty (an empty file), one hash, and a full frame of BLOCK_LIST_FRAME_HASHES', () => {
    encodeOnce({ type: 'BLOCK_LIST', path: 'e', version: ver(1), size: 0, blockSize: 128 * KiB, first: 0, last: true, hashes: [] })
    encodeOnce({ type: 'BLOCK_LIST', path: 'a', version: ver(1), size: 3, blockSize: 128 * KiB, first: 0, last: true, hashes: [ver(9)] })
    const hashes = Array.from({ length: BLOCK_LIST_FRAME_HASHES }, (_, i) => {
      const h = Buffer.alloc(32)
      h.writeUInt32BE(i, 0)
      return h
    })
    const frame = encodeOnce({ type: 'BLOCK_LIST', path: 'huge', version: ver(2), size: Number.MAX_SAFE_INTEGER, blockSize: 16 * 1024 * KiB, first: 0xffffffff, last: false, hashes })
    expect(frame.length - 4).toBeLessThanOrEqual(MAX_FRAME_BYTES)
  })

  it('BLOCK_LIST: the decoded hashes do not share memory with the frame (it may be reused)', () => {
    const frame = encodeMessage({ type: 'BLOCK_LIST', path: 'a', version: ver(1), size: 3, blockSize: 128 * KiB, first: 0, last: true, hashes: [ver(7)] })
    const decoded = decodeBody(frame.subarray(4))
    if (decoded.type !== 'BLOCK_LIST') throw new Error(`decoded ${decoded.type}`)
    frame.fill(0)
    expect(decoded.hashes[0]!.equals(ver(7))).toBe(true)
  })

  it('GET_BLOCKS and BLOCKS: first and count at their limits', () => {
    for (const type of ['GET_BLOCKS', 'BLOCKS'] as const) {
      for (const [first, count] of [
        [0, 1],
        [7, 3],
        [0xffffffff, 0xffff],
      ] as const) {
        const frame = encodeOnce({ type, path: 'f', version: ver(4), first, count })
        expect(frame.subarray(-6).toString('hex')).toBe(u32(first).toString('hex') + u16(count).toString('hex'))
      }
    }
  })

  it('the snapshot flag of FILE_LIST entries and INDEX_CHANGED upserts: byte 01 after the size', () => {
    for (const snapshot of [false, true]) {
      const list = encodeOnce({ type: 'FILE_LIST', last: true, files: [{ path: 'a', version: ver(1), size: 5, snapshot }] })
      expect(list.at(-1)).toBe(snapshot ? 1 : 0)
      const push = encodeOnce({ type: 'INDEX_CHANGED', changes: [{ op: 'upsert', path: 'a', version: ver(1), size: 5, snapshot }] })
      expect(push.at(-1)).toBe(snapshot ? 1 : 0)
    }
  })
})

describe('the encoder refuses what it cannot send (RangeError)', () => {
  const base = { path: 'f', version: ver(1) }
  it.each<[string, Message]>([
    ['GET_BLOCKS of 0 blocks', { type: 'GET_BLOCKS', ...base, first: 0, count: 0 }],
    ['GET_BLOCKS of 65536 blocks', { type: 'GET_BLOCKS', ...base, first: 0, count: 0x10000 }],
    ['BLOCKS of 1.5 blocks', { type: 'BLOCKS', ...base, first: 0, count: 1.5 }],
    ['GET_BLOCKS from block -1', { type: 'GET_BLOCKS', ...base, first: -1, count: 1 }],
    ['BLOCKS from block 2^32', { type: 'BLOCKS', ...base, first: 2 ** 32, count: 1 }],
    ['GET_BLOCK_LIST with a 31-byte version', { type: 'GET_BLOCK_LIST', path: 'f', version: Buffer.alloc(31) }],
    ['BLOCK_LIST of 8193 hashes', { type: 'BLOCK_LIST', ...base, size: 0, blockSize: 128 * KiB, first: 0, last: true, hashes: Array.from({ length: BLOCK_LIST_FRAME_HASHES + 1 }, () => ver(1)) }],
    ['BLOCK_LIST with a 33-byte hash', { type: 'BLOCK_LIST', ...base, size: 0, blockSize: 128 * KiB, first: 0, last: true, hashes: [Buffer.alloc(33)] }],
    ['BLOCK_LIST with a block size of 2^32', { type: 'BLOCK_LIST', ...base, size: 0, blockSize: 2 ** 32, first: 0, last: true, hashes: [] }],
    ['BLOCK_LIST with a negative size', { type: 'BLOCK_LIST', ...base, size: -1, blockSize: 128 * KiB, first: 0, last: true, hashes: [] }],
  ])('%s', (_name, message) => {
    expect(() => encodeMessage(message)).toThrow(RangeError)
  })
})

describe('malformed bodies are bad-frame, with a message naming what is wrong', () => {
  const path = str('big.iso')
  const listHead = (count: number, last = 1) => [path, ver(1), u64(300n * 1024n), u32(128 * KiB), u32(0), u32(count), u8(last)]
  it.each<[string, Buffer, RegExp]>([
    ['GET_BLOCK_LIST with no field', body('GET_BLOCK_LIST'), /GET_BLOCK_LIST: frame ends inside path length/],
    ['GET_BLOCK_LIST cut inside its version', body('GET_BLOCK_LIST', path, Buffer.alloc(31)), /GET_BLOCK_LIST: frame ends inside version/],
    ['GET_BLOCK_LIST with a byte after the version', body('GET_BLOCK_LIST', path, ver(1), u8(0)), /GET_BLOCK_LIST: 1 unexpected bytes after the last field/],
    ['GET_BLOCK_LIST with a path that is not UTF-8', body('GET_BLOCK_LIST', str(Buffer.from([0x61, 0xff])), ver(1)), /GET_BLOCK_LIST: path is not valid UTF-8/],
    ['BLOCK_LIST claiming 8193 hashes', body('BLOCK_LIST', ...listHead(BLOCK_LIST_FRAME_HASHES + 1)), /BLOCK_LIST: 8193 hashes, more than the 8192/],
    ['BLOCK_LIST claiming 2^32 − 1 hashes', body('BLOCK_LIST', ...listHead(0xffffffff)), /BLOCK_LIST: 4294967295 hashes, more than/],
    ['BLOCK_LIST claiming 3 hashes, carrying 2', body('BLOCK_LIST', ...listHead(3), ver(2), ver(3)), /BLOCK_LIST: 3 hashes cannot fit in the 64 bytes left/],
    ['BLOCK_LIST with half a hash too many', body('BLOCK_LIST', ...listHead(1), ver(2), Buffer.alloc(16)), /BLOCK_LIST: 16 unexpected bytes after the last field/],
    ['BLOCK_LIST with last = 2', body('BLOCK_LIST', ...listHead(0, 2)), /BLOCK_LIST: last must be 0 or 1, not 2/],
    ['BLOCK_LIST cut before last', body('BLOCK_LIST', ...listHead(0).slice(0, -1)), /BLOCK_LIST: frame ends inside last/],
    ['BLOCK_LIST with a size of 2^53', body('BLOCK_LIST', path, ver(1), u64(2n ** 53n), u32(128 * KiB), u32(0), u32(0), u8(1)), /BLOCK_LIST: size 9007199254740992 is too large/],
    ['GET_BLOCKS of 0 blocks', body('GET_BLOCKS', path, ver(1), u32(0), u16(0)), /GET_BLOCKS: count 0: a run holds at least one block/],
    ['BLOCKS of 0 blocks', body('BLOCKS', path, ver(1), u32(5), u16(0)), /BLOCKS: count 0: a run holds at least one block/],
    ['GET_BLOCKS cut inside its count', body('GET_BLOCKS', path, ver(1), u32(0), u8(1)), /GET_BLOCKS: frame ends inside count/],
    ['BLOCKS with a byte after the count', body('BLOCKS', path, ver(1), u32(0), u16(1), u8(0)), /BLOCKS: 1 unexpected bytes after the last field/],
    ['FILE_LIST entry with flags 02', body('FILE_LIST', u8(1), u32(1), str('a'), ver(1), u64(1n), u8(2)), /FILE_LIST: flags 0x02 of "a" set bits other than snapshot \(0x01\)/],
    ['FILE_LIST entry with flags 81', body('FILE_LIST', u8(1), u32(1), str('a'), ver(1), u64(1n), u8(0x81)), /FILE_LIST: flags 0x81 of "a"/],
    ['FILE_LIST entry with flags ff', body('FILE_LIST', u8(1), u32(1), str('a'), ver(1), u64(1n), u8(0xff)), /FILE_LIST: flags 0xff of "a"/],
    ['FILE_LIST entry without its flags (a protocol 4 entry)', body('FILE_LIST', u8(1), u32(1), str('a'), ver(1), u64(1n)), /FILE_LIST: frame ends inside flags/],
    ['FILE_LIST of 2 protocol 4 entries (read out of step)', body('FILE_LIST', u8(1), u32(2), str(''), ver(1), u64(1n), str(''), ver(1), u64(1n)), /FILE_LIST: frame ends inside size/],
    ['FILE_LIST claiming 3 entries of 43 bytes in 90', body('FILE_LIST', u8(1), u32(3), str(''), ver(1), u64(1n), str(''), ver(1), u64(1n)), /FILE_LIST: 3 entries cannot fit in 90 bytes/],
    ['INDEX_CHANGED upsert with flags 04', body('INDEX_CHANGED', u32(1), u8(1), str('b'), ver(1), u64(1n), u8(4)), /INDEX_CHANGED: flags 0x04 of "b" set bits other than snapshot/],
    ['INDEX_CHANGED upsert without its flags', body('INDEX_CHANGED', u32(1), u8(1), str('b'), ver(1), u64(1n)), /INDEX_CHANGED: frame ends inside flags/],
  ])('%s', (_name, bytes, message) => {
    expect(expectProtocolError(() => decodeBody(bytes), 'bad-frame').message).toMatch(message)
  })

  it('every cut of every block message is bad-frame, never another error', () => {
    const messages: Message[] = [
      { type: 'GET_BLOCK_LIST', path: 'a/b', version: ver(1) },
      { type: 'BLOCK_LIST', path: 'a/b', version: ver(1), size: 300 * KiB, blockSize: 128 * KiB, first: 0, last: true, hashes: [ver(2), ver(3), ver(4)] },
      { type: 'GET_BLOCKS', path: 'a/b', version: ver(1), first: 1, count: 2 },
      { type: 'BLOCKS', path: 'a/b', version: ver(1), first: 1, count: 2 },
    ]
    for (const message of messages) {
      const whole = encodeMessage(message).subarray(4)
      for (let n = 1; n < whole.length; n++) expectProtocolError(() => decodeBody(whole.subarray(0, n)), 'bad-frame')
    }
  })
})

describe('a block list in frames', () => {
  beforeAll(async () => {
    await loadBlockHash()
  })

  /** The real block list of `size` bytes of content that differs from block to block. */
  function listOf(size: number) {
    const content = Buffer.alloc(size)
    for (let i = 0; i < size; i += 4096) content[i] = (i / 4096) & 0xff
    const { blockSize, hashes, version } = versionOf(content)
    return { version, size, blockSize, hashes }
  }

  function join(frames: BlockListFrame[], path = 'f'): BlockListJoin {
    const joined = new BlockListJoin(path)
    frames.forEach((frame, i) => expect(joined.add(frame)).toBe(i === frames.length - 1))
    return joined
  }

  it('an empty file: one frame, no hash, last; joined, it is the empty list of its version', () => {
    const list = listOf(0)
    const frames = blockListFrames('f', list)
    expect(frames).toHaveLength(1)
    expect(frames[0]).toMatchObject({ first: 0, last: true, hashes: [] })
    expect(join(frames).list.hashes).toEqual([])
  })

  it('a file of 20,000 blocks: 3 frames of 8192, 8192 and 3616 hashes, each where the last ended', () => {
    // A hand-made list of the right shape; its version is computed from it.
    const blockSize = 2 * 1024 * KiB
    const size = 20_000 * blockSize - 5
    const hashes = Array.from({ length: 20_000 }, (_, i) => Buffer.alloc(32, i & 0xff))
    const list = { version: fileVersion(size, blockSize, hashes), size, blockSize, hashes }
    // 20,000 blocks means a 16 MiB block size in the rules: this list is refused for its block size.
    const frames = blockListFrames('f', list)
    expect(frames.map((f) => [f.first, f.hashes.length, f.last])).toEqual([
      [0, 8192, false],
      [8192, 8192, false],
      [16384, 3616, true],
    ])
    expect(() => new BlockListJoin('f').add(frames[0]!)).toThrow(/blocks of 2097152 bytes, but a file of 41943039995 bytes has blocks of 16777216/)
    for (const frame of frames) expect(decodeBody(encodeMessage(frame).subarray(4))).toMatchObject({ first: frame.first, last: frame.last })
  })

  it('joins a real 3-block list and hands it back whole', () => {
    const list = listOf(300 * KiB)
    expect(list.hashes).toHaveLength(3)
    const joined = join(blockListFrames('f', list))
    expect(joined.list.hashes.map((h) => h.toString('hex'))).toEqual(list.hashes.map((h) => h.toString('hex')))
    expect(joined.list.version.equals(list.version)).toBe(true)
  })

  it.each<[string, (frames: BlockListFrame[]) => BlockListFrame[], RegExp]>([
    ['a hash changed', (f) => [{ ...f[0]!, hashes: [f[0]!.hashes[0]!, ver(0xee), f[0]!.hashes[2]!] }], /the hashes do not make the version/],
    ['a hash missing', (f) => [{ ...f[0]!, hashes: f[0]!.hashes.slice(0, 2) }], /2 hashes for the 3 blocks of 307200 bytes/],
    ['a hash too many', (f) => [{ ...f[0]!, hashes: [...f[0]!.hashes, ver(1)] }], /4 hashes for the 3 blocks/],
    ['another block size', (f) => [{ ...f[0]!, blockSize: 256 * KiB }], /blocks of 262144 bytes, but a file of 307200 bytes has blocks of 131072/],
    ['another path', (f) => [{ ...f[0]!, path: 'g' }], /a frame names "g"/],
    [
      'a gap between frames',
      (f) => [
        { ...f[0]!, hashes: f[0]!.hashes.slice(0, 1), last: false },
        { ...f[0]!, first: 2, hashes: f[0]!.hashes.slice(2) },
      ],
      /a frame starts at block 2, not 1/,
    ],
    [
      'a version that changes between frames',
      (f) => [
        { ...f[0]!, hashes: f[0]!.hashes.slice(0, 1), last: false },
        { ...f[0]!, version: ver(5), first: 1, hashes: f[0]!.hashes.slice(1) },
      ],
      /the version, size or block size changed between frames/,
    ],
    ['an empty frame before the last', (f) => [{ ...f[0]!, hashes: [], last: false }], /a frame before the last carries no hash/],
    ['the first frame not at block 0', (f) => [{ ...f[0]!, first: 1 }], /a frame starts at block 1, not 0/],
    ['a frame after the last', (f) => [f[0]!, f[0]!], /a frame after the last one/],
  ])('refuses %s (BlockListError: the peer lied)', (_name, tamper, message) => {
    const frames = tamper(blockListFrames('f', listOf(300 * KiB)))
    const joined = new BlockListJoin('f')
    let error: unknown
    try {
      for (const frame of frames) joined.add(frame)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(BlockListError)
    expect((error as Error).message).toMatch(message)
  })

  it('gives no list before the last frame has been checked', () => {
    const frames = blockListFrames('f', listOf(300 * KiB))
    const joined = new BlockListJoin('f')
    expect(() => joined.list).toThrow(/not whole yet/)
    expect(() => joined.add({ ...frames[0]!, hashes: [ver(1), ver(2), ver(3)] })).toThrow(BlockListError)
    expect(() => joined.list).toThrow(/not whole yet/)
  })
})
