// The client-to-client folder messages (type bytes 0x22 and up): round trips, encoder refusals
// and malformed bodies. The registry messages are in codec.test.ts; the generic checks there
// (truncation, trailing bytes, type coverage) include these types too.
import { describe, expect, it } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { FilesFrame } from '../../src/main/engine/protocol/files-frame'
import { BATCH_FILE_BYTES, FILE_CHUNK_BYTES, FILES_FRAME_TARGET_BYTES, MAX_BATCH_FILES, MAX_FRAME_BYTES, MessageType, VERSION_BYTES } from '../../src/main/engine/protocol/constants'
import type { FileEntry, IndexChange } from '../../src/main/engine/protocol/messages'
import { bodyOf, comparable, encodeOnce, expectProtocolError, str, u16, u32, u64 } from './support'

const ver = (byte: number) => Buffer.alloc(VERSION_BYTES, byte)
const type = (name: keyof typeof MessageType) => Buffer.from([MessageType[name]])

describe('round trips', () => {
  it('GET_FILE_LIST and SUBSCRIBE', () => {
    for (const t of ['GET_FILE_LIST', 'SUBSCRIBE'] as const) expect(encodeOnce({ type: t }).length).toBe(5)
  })

  it('FILE_LIST empty, last or not, and with 1000 entries of every size class', () => {
    encodeOnce({ type: 'FILE_LIST', last: true, files: [] })
    encodeOnce({ type: 'FILE_LIST', last: false, files: [] })
    const files: FileEntry[] = []
    const sizes = [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]
    for (let i = 0; i < 1000; i++) {
      files.push({ path: i % 7 === 0 ? `dir ${i}/ünïcødé/😀 ${i}.txt` : `f${i}`, version: ver(i & 0xff), size: sizes[i % sizes.length]!, snapshot: i % 5 === 0 })
    }
    encodeOnce({ type: 'FILE_LIST', last: true, files })
  })

  it('FILE_LIST entries with an empty path and a 65535-byte path (the codec does not judge paths)', () => {
    encodeOnce({ type: 'FILE_LIST', last: true, files: [{ path: '', version: ver(1), size: 1, snapshot: false }] })
    encodeOnce({ type: 'FILE_LIST', last: true, files: [{ path: 'p'.repeat(0xffff), version: ver(1), size: 1, snapshot: true }] })
  })

  it('GET_FILE with and without a version', () => {
    encodeOnce({ type: 'GET_FILE', path: 'a/b.txt', version: null })
    encodeOnce({ type: 'GET_FILE', path: 'a/b.txt', version: ver(0xcd) })
    encodeOnce({ type: 'GET_FILE', path: '', version: null })
  })

  it('FILE_UP_TO_DATE, FILE_NOT_FOUND, FILE_ABORT with unicode', () => {
    encodeOnce({ type: 'FILE_UP_TO_DATE', path: 'x/y' })
    encodeOnce({ type: 'FILE_NOT_FOUND', path: '日本語/ファイル.txt' })
    encodeOnce({ type: 'FILE_ABORT', path: 'a.bin', reason: 'read error: EIO — 🎉' })
    encodeOnce({ type: 'FILE_ABORT', path: '', reason: '' })
  })

  it('FILE_SIZE at size boundaries; the u64 is big-endian', () => {
    for (const size of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) encodeOnce({ type: 'FILE_SIZE', path: 'f', version: ver(3), size })
    const frame = encodeMessage({ type: 'FILE_SIZE', path: 'f', version: ver(3), size: 0x0102030405 })
    expect(frame.subarray(-8).toString('hex')).toBe('0000000102030405')
  })

  it('FILE_DATA: empty, small, a full chunk, and the largest that fits a frame', () => {
    encodeOnce({ type: 'FILE_DATA', data: Buffer.alloc(0) })
    encodeOnce({ type: 'FILE_DATA', data: Buffer.from([0, 1, 2, 0xff]) })
    const chunk = Buffer.alloc(FILE_CHUNK_BYTES)
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff
    expect(encodeOnce({ type: 'FILE_DATA', data: chunk }).length).toBe(4 + 1 + FILE_CHUNK_BYTES)
    const max = Buffer.alloc(MAX_FRAME_BYTES - 1, 0x77)
    expect(encodeOnce({ type: 'FILE_DATA', data: max }).readUInt32BE(0)).toBe(MAX_FRAME_BYTES)
    expect(() => encodeMessage({ type: 'FILE_DATA', data: Buffer.alloc(MAX_FRAME_BYTES) })).toThrow(RangeError)
  })

  it('FILE_DATA: every extension or prefix of the data is still FILE_DATA (the field runs to the end)', () => {
    const body = bodyOf({ type: 'FILE_DATA', data: Buffer.from('abcdef') })
    for (let n = 1; n <= body.length; n++) {
      expect(decodeBody(body.subarray(0, n))).toStrictEqual({ type: 'FILE_DATA', data: Buffer.from('abcdef'.slice(0, n - 1)) })
    }
  })

  it('INDEX_CHANGED: empty and mixed upserts and deletes, order kept', () => {
    encodeOnce({ type: 'INDEX_CHANGED', changes: [] })
    const changes: IndexChange[] = []
    for (let i = 0; i < 300; i++) {
      changes.push(i % 3 === 0 ? { op: 'delete', path: `gone/${i}` } : { op: 'upsert', path: `f/${i}.txt`, version: ver(i), size: i * 1000, snapshot: i % 2 === 0 })
    }
    encodeOnce({ type: 'INDEX_CHANGED', changes })
  })
})

describe('GET_FILES and FILES (many small files at once)', () => {
  it('GET_FILES with 1 and with MAX_BATCH_FILES entries, with and without versions, order kept', () => {
    encodeOnce({ type: 'GET_FILES', files: [{ path: 'only.txt', version: null }] })
    const files = Array.from({ length: MAX_BATCH_FILES }, (_, i) => ({ path: `dir ${i % 7}/file ✓ ${i}.txt`, version: i % 2 ? ver(i) : null }))
    encodeOnce({ type: 'GET_FILES', files })
  })

  it('FILES: every record status; content up to BATCH_FILE_BYTES; records are views of the frame', () => {
    const big = Buffer.alloc(BATCH_FILE_BYTES, 7)
    const frame = encodeOnce({
      type: 'FILES',
      last: true,
      records: [
        { status: 'content', version: ver(1), data: big },
        { status: 'content', version: ver(2), data: Buffer.alloc(0) },
        { status: 'not-found' },
        { status: 'abort', reason: 'gone ünïcødé' },
      ],
    })
    const decoded = decodeBody(frame.subarray(4))
    if (decoded.type !== 'FILES' || decoded.records[0]!.status !== 'content') throw new Error('not a content record')
    expect(decoded.records[0]!.data.buffer).toBe(frame.buffer)
  })

  it('FilesFrame: a record filled in place; undo takes a record back as if never written', () => {
    const frame = new FilesFrame()
    const first = frame.content(ver(1), 3)
    first.data.set([1, 2, 3])
    const second = frame.content(ver(2), 5)
    second.undo()
    frame.abort('the file shrank while being sent')
    const message = decodeBody(frame.finish(true).subarray(4))
    expect(comparable(message)).toStrictEqual(
      comparable({
        type: 'FILES',
        last: true,
        records: [
          { status: 'content', version: ver(1), data: Buffer.from([1, 2, 3]) },
          { status: 'abort', reason: 'the file shrank while being sent' },
        ],
      }),
    )
  })

  it('a FilesFrame filled to its target plus the largest record stays within one frame', () => {
    const frame = new FilesFrame()
    while (frame.bytes < FILES_FRAME_TARGET_BYTES) frame.content(ver(1), BATCH_FILE_BYTES - 1)
    frame.content(ver(2), BATCH_FILE_BYTES)
    expect(frame.finish(false).length - 4).toBeLessThanOrEqual(MAX_FRAME_BYTES)
  })

  it('the encoder refuses an empty or oversized GET_FILES and a record over BATCH_FILE_BYTES (RangeError)', () => {
    expect(() => encodeMessage({ type: 'GET_FILES', files: [] })).toThrow(RangeError)
    const tooMany = Array.from({ length: MAX_BATCH_FILES + 1 }, (_, i) => ({ path: `${i}`, version: null }))
    expect(() => encodeMessage({ type: 'GET_FILES', files: tooMany })).toThrow(RangeError)
    expect(() => new FilesFrame().content(ver(1), BATCH_FILE_BYTES + 1)).toThrow(RangeError)
  })

  it('malformed: a count of 0 or above MAX_BATCH_FILES, an unknown status, oversized content, short content', () => {
    expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILES'), u16(0)])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILES'), u16(MAX_BATCH_FILES + 1), str('a'), Buffer.from([0])])), 'bad-frame')
    // A count the frame cannot hold is refused before any entry is read.
    expect(expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILES'), u16(200), str('a'), Buffer.from([0])])), 'bad-frame').message).toContain('200')
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILES'), Buffer.from([1]), u16(1), Buffer.from([9])])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILES'), Buffer.from([2]), u16(0)])), 'bad-frame')
    const oversized = Buffer.concat([type('FILES'), Buffer.from([1]), u16(1), Buffer.from([0]), ver(1), u32(BATCH_FILE_BYTES + 1), Buffer.alloc(BATCH_FILE_BYTES + 1)])
    expect(expectProtocolError(() => decodeBody(oversized), 'bad-frame').message).toContain(String(BATCH_FILE_BYTES))
    // Content that claims more bytes than the frame holds (a size lie inside a record).
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILES'), Buffer.from([1]), u16(1), Buffer.from([0]), ver(1), u32(10), Buffer.from('short')])), 'bad-frame')
    // More records than the count says: trailing bytes.
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILES'), Buffer.from([1]), u16(1), Buffer.from([2]), Buffer.from([2])])), 'bad-frame')
  })
})

describe('the encoder refuses what it cannot send', () => {
  it('a version that is not 32 bytes (RangeError)', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      expect(() => encodeMessage({ type: 'GET_FILE', path: 'a', version: Buffer.alloc(n) })).toThrow(RangeError)
      expect(() => encodeMessage({ type: 'FILE_SIZE', path: 'a', version: Buffer.alloc(n), size: 1 })).toThrow(RangeError)
      expect(() => encodeMessage({ type: 'FILE_LIST', last: true, files: [{ path: 'a', version: Buffer.alloc(n), size: 1, snapshot: false }] })).toThrow(RangeError)
    }
  })

  it('a negative or fractional size (RangeError)', () => {
    for (const size of [-1, 1.5, Number.NaN]) {
      expect(() => encodeMessage({ type: 'FILE_SIZE', path: 'a', version: ver(1), size })).toThrow(RangeError)
    }
  })

  it('a path over 65535 UTF-8 bytes (RangeError)', () => {
    expect(() => encodeMessage({ type: 'FILE_NOT_FOUND', path: 'é'.repeat(0x8000) })).toThrow(RangeError)
  })

  it('a size above Number.MAX_SAFE_INTEGER, or not finite, is refused on encode (RangeError)', () => {
    for (const size of [2 ** 53, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, 2 ** 64, Number.MAX_VALUE, Infinity, -Infinity, -(2 ** 53)]) {
      expect(() => encodeMessage({ type: 'FILE_SIZE', path: 'a', version: ver(1), size }), String(size)).toThrow(RangeError)
      expect(() => encodeMessage({ type: 'FILE_LIST', last: true, files: [{ path: 'a', version: ver(1), size, snapshot: false }] }), String(size)).toThrow(RangeError)
      expect(() => encodeMessage({ type: 'INDEX_CHANGED', changes: [{ op: 'upsert', path: 'a', version: ver(1), size, snapshot: false }] }), String(size)).toThrow(RangeError)
    }
    // the largest sendable size still goes through, and decodes
    for (const size of [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, 2 ** 52]) {
      encodeOnce({ type: 'FILE_SIZE', path: 'a', version: ver(1), size })
      encodeOnce({ type: 'FILE_LIST', last: true, files: [{ path: 'a', version: ver(1), size, snapshot: false }] })
      encodeOnce({ type: 'INDEX_CHANGED', changes: [{ op: 'upsert', path: 'a', version: ver(1), size, snapshot: false }] })
    }
  })
})

describe('malformed folder bodies give the right ProtocolError code', () => {
  it('FILE_LIST "last" and GET_FILE "has version" flags other than 0 or 1 are bad-frame', () => {
    for (const flag of [2, 0x80, 0xff]) {
      expectProtocolError(() => decodeBody(Buffer.concat([type('FILE_LIST'), Buffer.from([flag]), u32(0)])), 'bad-frame')
      expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILE'), str('a'), Buffer.from([flag]), ver(1)])), 'bad-frame')
    }
  })

  it('GET_FILE announcing a version it does not carry is bad-frame', () => {
    expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILE'), str('a'), Buffer.from([1]), Buffer.alloc(VERSION_BYTES - 1)])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILE'), str('a'), Buffer.from([0]), ver(1)])), 'bad-frame')
  })

  it('FILE_LIST and INDEX_CHANGED announcing a huge count in a small frame are refused up front', () => {
    for (const count of [0xffffffff, 1_000_000, 100]) {
      const list = Buffer.concat([type('FILE_LIST'), Buffer.from([1]), u32(count), str('a'), ver(1), u64(1n)])
      expect(expectProtocolError(() => decodeBody(list), 'bad-frame').message).toContain(String(count))
      const changes = Buffer.concat([type('INDEX_CHANGED'), u32(count), Buffer.from([2]), str('a')])
      expect(expectProtocolError(() => decodeBody(changes), 'bad-frame').message).toContain(String(count))
    }
  })

  it('INDEX_CHANGED with an unknown change op is bad-frame', () => {
    for (const op of [0, 3, 0xff]) {
      expectProtocolError(() => decodeBody(Buffer.concat([type('INDEX_CHANGED'), u32(1), Buffer.from([op]), str('a')])), 'bad-frame')
    }
  })

  it('a size above Number.MAX_SAFE_INTEGER is bad-frame; MAX_SAFE_INTEGER itself is accepted', () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER)
    const fileSize = (n: bigint) => Buffer.concat([type('FILE_SIZE'), str('f'), ver(1), u64(n)])
    expect(decodeBody(fileSize(max))).toStrictEqual({ type: 'FILE_SIZE', path: 'f', version: ver(1), size: Number.MAX_SAFE_INTEGER })
    for (const n of [max + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      expectProtocolError(() => decodeBody(fileSize(n)), 'bad-frame')
      expectProtocolError(() => decodeBody(Buffer.concat([type('FILE_LIST'), Buffer.from([1]), u32(1), str('f'), ver(1), u64(n)])), 'bad-frame')
      expectProtocolError(() => decodeBody(Buffer.concat([type('INDEX_CHANGED'), u32(1), Buffer.from([1]), str('f'), ver(1), u64(n)])), 'bad-frame')
    }
  })

  it('invalid UTF-8 in a path or reason is bad-frame', () => {
    const bad = Buffer.from([0x61, 0xff, 0x62])
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILE_NOT_FOUND'), str(bad)])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILE_UP_TO_DATE'), str(bad)])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('GET_FILE'), str(bad), Buffer.from([0])])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILE_ABORT'), str('ok'), str(bad)])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('FILE_SIZE'), str(bad), ver(1), u64(1n)])), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('INDEX_CHANGED'), u32(1), Buffer.from([2]), str(bad)])), 'bad-frame')
  })

  it('a path (and an abort reason) starting with U+FEFF arrives unchanged', () => {
    for (const p of ['\uFEFFa.txt', '\uFEFF', '\uFEFF\uFEFFdir/b', '\uFEFF😀/ü']) {
      // the BOM is on the wire, as UTF-8 EF BB BF right after the length
      const body = bodyOf({ type: 'FILE_NOT_FOUND', path: p })
      expect(body.subarray(3, 6).toString('hex')).toBe('efbbbf')
      expect(decodeBody(body)).toStrictEqual({ type: 'FILE_NOT_FOUND', path: p })
      encodeOnce({ type: 'FILE_NOT_FOUND', path: p })
      encodeOnce({ type: 'FILE_UP_TO_DATE', path: p })
      encodeOnce({ type: 'GET_FILE', path: p, version: null })
      encodeOnce({ type: 'GET_FILE', path: p, version: ver(4) })
      encodeOnce({ type: 'FILE_SIZE', path: p, version: ver(5), size: 7 })
      encodeOnce({ type: 'FILE_ABORT', path: p, reason: p })
      encodeOnce({ type: 'FILE_LIST', last: true, files: [{ path: 'plain', version: ver(1), size: 1, snapshot: false }, { path: p, version: ver(2), size: 2, snapshot: true }] })
      encodeOnce({
        type: 'INDEX_CHANGED',
        changes: [
          { op: 'upsert', path: p, version: ver(3), size: 3, snapshot: false },
          { op: 'delete', path: p },
        ],
      })
    }
    // a BOM in the second string of a body is kept too (not only at the start of a frame)
    expect(decodeBody(Buffer.concat([type('FILE_ABORT'), str('\uFEFFx'), str('\uFEFFy')]))).toStrictEqual({
      type: 'FILE_ABORT',
      path: '\uFEFFx',
      reason: '\uFEFFy',
    })
  })
})

describe('FOLDER_STATE (a shared folder gone for now)', () => {
  it('is the type byte and one flag: 00 00 00 02 2e 00 says gone, … 2e 01 back', () => {
    expect(encodeOnce({ type: 'FOLDER_STATE', present: false }).toString('hex')).toBe('000000022e00')
    expect(encodeOnce({ type: 'FOLDER_STATE', present: true }).toString('hex')).toBe('000000022e01')
  })

  it('refuses a flag other than 0 or 1, a missing flag and a trailing byte (bad-frame)', () => {
    expect(expectProtocolError(() => decodeBody(Buffer.concat([type('FOLDER_STATE'), Buffer.from([2])])), 'bad-frame').message).toContain('present')
    expectProtocolError(() => decodeBody(type('FOLDER_STATE')), 'bad-frame')
    expectProtocolError(() => decodeBody(Buffer.concat([type('FOLDER_STATE'), Buffer.from([1, 0])])), 'bad-frame')
  })
})
