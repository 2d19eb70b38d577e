// The spec peer's own encoding and hashing against the worked examples of docs/PROTOCOL.md, read
// from the document itself: every frame, version and ID it builds must appear there whole.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { planOf } from './spec-peer/blocks'
import { displayId, readInvite } from './spec-peer/identity'
import { helloFrame } from './spec-peer/link'
import { T, blob, endpoint, frame, str, u16, u32, u64, u8 } from './spec-peer/wire'

const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8')

/** The hex appears in the document as a whole token, not inside a longer dump. */
function inDoc(hex: string): boolean {
  return new RegExp(`(?<![0-9a-f])${hex}(?![0-9a-f])`).test(doc)
}

const idA = Buffer.from([...Array(32).keys()])
const idB = Buffer.from([...Array(32).keys()].map((i) => 0xa0 + i))
const hi = Buffer.from('hi\n')
const v = planOf(hi).version
const bytes300k = Buffer.from([...Array(300_000).keys()].map((i) => i % 251))
const B = planOf(bytes300k)
const e = (ip: string, port: number): Buffer => endpoint({ ip, port })

describe('the spec peer builds the bytes of PROTOCOL.md §13', () => {
  const frames: Array<[string, Buffer]> = [
    ['13.1 HELLO alice', helloFrame(2, 0, 'alice')],
    ['13.2 HELLO nas', helloFrame(1, 5000, 'nas')],
    ['13.3 LOG_ON 127.0.0.1:40001', frame(T.LOG_ON, e('127.0.0.1', 40001))],
    ['13.3 LOG_ON ::ffff:127.0.0.1:40001', frame(T.LOG_ON, e('::ffff:127.0.0.1', 40001))],
    ['13.4 LOG_ON [::1]:40001', frame(T.LOG_ON, e('::1', 40001))],
    ['13.5 USER_ON', frame(T.USER_ON, e('192.168.1.20', 40002), idA, str('bob'))],
    ['13.5 CLIENT_LIST', frame(T.CLIENT_LIST, u32(2), e('192.168.1.20', 40002), idA, str('bob'), e('2001:db8::7', 40003), idB, str('eve'))],
    ['13.5 empty CLIENT_LIST', frame(T.CLIENT_LIST, u32(0))],
    ['13.6 USER_OFF removed', frame(T.USER_OFF, e('192.168.1.20', 40002), idA, u8(3))],
    ['13.7 ERROR duplicate', frame(T.ERROR, u16(7), str('127.0.0.1:40001 is already logged on by another client'))],
    ['13.11 JOIN', frame(T.JOIN, blob(Buffer.from([...Array(16).keys()].map((i) => 0xa0 + i))))],
    ['13.11 ERROR removed', frame(T.ERROR, u16(22), str('removed'))],
    ['13.12 GET_FILE', frame(T.GET_FILE, str('docs/a.txt'), u8(0))],
    ['13.13 GET_FILE with a version', frame(T.GET_FILE, str('docs/a.txt'), u8(1), v)],
    ['13.13 FILE_UP_TO_DATE', frame(T.FILE_UP_TO_DATE, str('docs/a.txt'))],
    ['13.14 FILE_SIZE', frame(T.FILE_SIZE, str('docs/a.txt'), v, u64(3))],
    ['13.14 FILE_DATA', frame(T.FILE_DATA, hi)],
    ['13.14 FILE_SIZE of the empty file', frame(T.FILE_SIZE, str('e'), planOf(Buffer.alloc(0)).version, u64(0))],
    ['13.15 FILE_LIST', frame(T.FILE_LIST, u8(1), u32(1), str('docs/a.txt'), v, u64(3), u8(0))],
    ['13.15 FILE_LIST snapshot', frame(T.FILE_LIST, u8(1), u32(1), str('docs/a.txt'), v, u64(3), u8(1))],
    ['13.16 INDEX_CHANGED', frame(T.INDEX_CHANGED, u32(2), u8(1), str('docs/a.txt'), v, u64(3), u8(0), u8(2), str('old.txt'))],
    ['13.19 GET_FILES', frame(T.GET_FILES, u16(2), str('docs/a.txt'), u8(0), str('b.bin'), u8(1), v)],
    ['13.19 FILES', frame(T.FILES, u8(1), u16(2), u8(0), v, u32(3), hi, u8(1))],
    ['13.19 FILES statuses', frame(T.FILES, u8(1), u16(3), u8(2), u8(3), u8(4), str('gone'))],
    ['13.20 GET_BLOCK_LIST', frame(T.GET_BLOCK_LIST, str('big.bin'), B.version)],
    ['13.20 BLOCK_LIST', frame(T.BLOCK_LIST, str('big.bin'), B.version, u64(300_000), u32(131_072), u32(0), u32(3), u8(1), ...B.hashes)],
    ['13.20 GET_BLOCKS', frame(T.GET_BLOCKS, str('big.bin'), B.version, u32(2), u16(1))],
    ['13.20 BLOCKS', frame(T.BLOCKS, str('big.bin'), B.version, u32(2), u16(1))],
  ]
  it.each(frames)('%s', (_, built) => {
    expect(inDoc(built.toString('hex'))).toBe(true)
  })
})

describe('the spec peer hashes and names as PROTOCOL.md §12.8 and §16 say', () => {
  it('versions and block hashes of the worked examples', () => {
    expect(inDoc(planOf(Buffer.from('abc')).version.toString('hex'))).toBe(true)
    for (const h of B.hashes) expect(inDoc(h.toString('hex'))).toBe(true)
    expect(inDoc(B.version.toString('hex'))).toBe(true)
    expect(inDoc(planOf(Buffer.alloc(0)).version.toString('hex'))).toBe(true)
    expect(inDoc(v.toString('hex'))).toBe(true)
  })

  it('device IDs written for people', () => {
    expect(doc).toContain(displayId(idA))
    expect(doc).toContain(displayId(idB))
    expect(doc).toContain(displayId(createHash('sha256').update('dropbox-sync').digest()))
  })

  it('both invites of §16.3 read back to their fields', () => {
    const invites = doc.match(/dbs1-[a-z2-7]{40,}/g)!
    expect(invites).toHaveLength(2)
    const [one, three] = invites.map((text) => readInvite(text, 0))
    expect(one).toMatchObject({ serverId: idA, expires: 1_800_086_400, addresses: [{ ip: '192.168.1.20', port: 4000 }] })
    expect(one!.token.toString('hex')).toBe('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf')
    expect(three!.addresses).toEqual([
      { ip: '192.168.1.20', port: 4000 },
      { ip: 'fd00:0:0:0:0:0:0:20', port: 4000 },
      { host: 'nas.local', port: 4000 },
    ])
    // One changed character (the 39th, q → r) is caught by the checksum: mistyped.
    expect(invites[0]![38]).toBe('q')
    const typo = invites[0]!.slice(0, 38) + 'r' + invites[0]!.slice(39)
    expect(() => readInvite(typo, 0)).toThrow('mistyped')
  })
})
