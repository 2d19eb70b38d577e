// docs/PROTOCOL.md held to the code, read from the file itself: every frame of §13 decodes, encodes
// back to the same bytes and matches its annotated dump (bytes and offsets); the new examples of
// protocol 5 are the frames encodeMessage makes of real versions; the worked examples of §12.8 are
// what block-plan.ts computes; the constants of §14 are the code's.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { BLOCK_HASH_BYTES, loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { MAX_BLOCK_BYTES, MIN_BLOCK_BYTES, TARGET_BLOCKS, versionHeader, versionOf } from '../../src/main/engine/blocks/block-plan'
import { ALPN_PROTOCOL } from '../../src/main/engine/net/tls'
import { MAX_RUN_BLOCKS } from '../../src/main/engine/protocol/block-codec'
import { encodeFileDataHeader, encodeMessage } from '../../src/main/engine/protocol/codec'
import { BLOCK_LIST_FRAME_HASHES, PROTOCOL_VERSION, VERSION_BYTES } from '../../src/main/engine/protocol/constants'
import type { Message } from '../../src/main/engine/protocol/messages'
import { feed } from './support'

const doc = readFileSync(path.join(__dirname, '../../docs/PROTOCOL.md'), 'utf8')

/** The text of a section, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = doc.indexOf(`\n${heading}`)
  if (start < 0) throw new Error(`docs/PROTOCOL.md has no heading "${heading}"`)
  const level = heading.indexOf(' ')
  const rest = doc.slice(start + 1)
  const next = rest.slice(1).search(new RegExp(`\\n#{1,${level}} `))
  return next < 0 ? rest : rest.slice(0, next + 1)
}

/** The fenced `text` blocks of some text, each as its lines. */
function textBlocks(text: string): string[][] {
  return [...text.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n'))
}

const examples = section('## 13. Worked examples')
const blockRules = section('### 12.8 Blocks and versions')

/** A frame of §13: its one-line hex, and the dump lines that follow it. */
interface DumpedFrame {
  where: string
  hex: string
  dump: string[]
}

function dumpedFrames(): DumpedFrame[] {
  const frames: DumpedFrame[] = []
  for (const part of examples.split(/\n(?=### 13\.)/)) {
    const where = part.split('\n')[0]!
    for (const lines of textBlocks(part)) {
      let frame: DumpedFrame | null = null
      for (const line of lines) {
        if (/^[0-9a-f]{10,}$/.test(line)) frames.push((frame = { where, hex: line, dump: [] }))
        else if (frame && line.trim()) frame.dump.push(line)
      }
    }
  }
  return frames
}

/** The offset (null for the length prefix) and the bytes of a dump line: hex pairs up to two spaces or the end. */
function dumpLine(line: string): { offset: number | null; hex: string } {
  const m = /^(?:\s{5}|\+(\d+)\s+)((?:[0-9a-f]{2} )*[0-9a-f]{2})(?:\s{2,}|$)/.exec(line)
  if (!m) throw new Error(`not a dump line: "${line}"`)
  return { offset: m[1] === undefined ? null : Number(m[1]), hex: m[2]!.replaceAll(' ', '') }
}

describe('docs/PROTOCOL.md §13: every frame shown', () => {
  const frames = dumpedFrames()

  it('finds the examples, the new ones of protocol 5 among them', () => {
    expect(frames.length).toBeGreaterThanOrEqual(20)
    for (const where of ['### 13.15', '### 13.16', '### 13.20']) expect(frames.some((f) => f.where.startsWith(where))).toBe(true)
  })

  it.each(frames.map((f) => [`${f.where}: ${f.hex.slice(0, 24)}…`, f] as const))('%s decodes to one message that encodes back to it, as its dump says', (_name, frame) => {
    const bytes = Buffer.from(frame.hex, 'hex')
    const result = feed([bytes])
    expect(result.error).toBeNull()
    expect(result.messages).toHaveLength(1)
    expect(encodeMessage(result.messages[0]!).toString('hex')).toBe(frame.hex)
    expect(frame.dump.length).toBeGreaterThan(0)
    let hex = ''
    for (const line of frame.dump) {
      const { offset, hex: part } = dumpLine(line)
      // Body offsets: the 4 bytes of the length prefix come first and carry none.
      expect(offset, line).toBe(hex.length === 0 ? null : hex.length / 2 - 4)
      hex += part
    }
    expect(hex).toBe(frame.hex)
  })

  it('every frame quoted inline (outside the invalid input of 13.10) decodes and encodes back to itself', () => {
    const quoted = examples
      .split(/\n(?=### 13\.)/)
      .filter((part) => !part.startsWith('### 13.10'))
      .flatMap((part) => [...part.matchAll(/`([0-9a-f ]{10,})`/g)].map((m) => m[1]!.replaceAll(' ', '')))
      .filter((hex) => hex.startsWith('000000'))
    expect(quoted.length).toBeGreaterThanOrEqual(15)
    for (const hex of quoted) {
      const result = feed([Buffer.from(hex, 'hex')])
      expect(result.error, hex).toBeNull()
      expect(result.messages.map((m) => encodeMessage(m).toString('hex')).join('')).toBe(hex)
    }
  })
})

describe('docs/PROTOCOL.md: the examples new in protocol 5 are these messages', () => {
  let hi: Buffer
  let empty: Buffer
  let big: { content: Buffer; version: Buffer; blockSize: number; hashes: Buffer[] }

  beforeAll(async () => {
    await loadBlockHash()
    hi = versionOf(Buffer.from('hi\n')).version
    empty = versionOf(Buffer.alloc(0)).version
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251))
    big = { content, ...versionOf(content) }
  })

  const shown = () => new Set(dumpedFrames().map((f) => f.hex))

  it.each<[string, () => Message]>([
    ['13.1 HELLO from a client', () => ({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'alice' })],
    ['13.2 HELLO from the server', () => ({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'server', heartbeatMs: 5000, name: 'nas' })],
    ['13.13 GET_FILE with the version of "hi\\n"', () => ({ type: 'GET_FILE', path: 'docs/a.txt', version: hi })],
    ['13.14 FILE_SIZE', () => ({ type: 'FILE_SIZE', path: 'docs/a.txt', version: hi, size: 3 })],
    ['13.15 FILE_LIST, flags 0', () => ({ type: 'FILE_LIST', last: true, files: [{ path: 'docs/a.txt', version: hi, size: 3, snapshot: false }] })],
    ['13.15 FILE_LIST, snapshot', () => ({ type: 'FILE_LIST', last: true, files: [{ path: 'docs/a.txt', version: hi, size: 3, snapshot: true }] })],
    [
      '13.16 INDEX_CHANGED',
      () => ({
        type: 'INDEX_CHANGED',
        changes: [
          { op: 'upsert', path: 'docs/a.txt', version: hi, size: 3, snapshot: false },
          { op: 'delete', path: 'old.txt' },
        ],
      }),
    ],
    ['13.19 GET_FILES', () => ({ type: 'GET_FILES', files: [{ path: 'docs/a.txt', version: null }, { path: 'b.bin', version: hi }] })],
    ['13.20 GET_BLOCK_LIST', () => ({ type: 'GET_BLOCK_LIST', path: 'big.bin', version: big.version })],
    ['13.20 BLOCK_LIST', () => ({ type: 'BLOCK_LIST', path: 'big.bin', version: big.version, size: 300_000, blockSize: big.blockSize, first: 0, last: true, hashes: big.hashes })],
    ['13.20 GET_BLOCKS', () => ({ type: 'GET_BLOCKS', path: 'big.bin', version: big.version, first: 2, count: 1 })],
    ['13.20 BLOCKS', () => ({ type: 'BLOCKS', path: 'big.bin', version: big.version, first: 2, count: 1 })],
  ])('%s', (_name, message) => {
    expect([...shown()]).toContain(encodeMessage(message()).toString('hex'))
  })

  it('13.14 the empty file e, and 13.20 its block list, carry the version of no bytes', () => {
    expect(examples).toContain(`\`${encodeMessage({ type: 'FILE_SIZE', path: 'e', version: empty, size: 0 }).toString('hex')}\``)
    const list = encodeMessage({ type: 'BLOCK_LIST', path: 'e', version: empty, size: 0, blockSize: MIN_BLOCK_BYTES, first: 0, last: true, hashes: [] })
    expect(examples).toContain(`\`${list.toString('hex')}\``)
  })

  it('13.20 the FILE_DATA of block 2: its length, and the first and last bytes of the block', () => {
    const block = big.content.subarray(2 * big.blockSize)
    const part = section('### 13.20 A big file by blocks')
    const header = encodeFileDataHeader(block.length).toString('hex')
    const spaced = (bytes: Buffer) => bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ')
    expect(part).toContain(`     ${spaced(Buffer.from(header.slice(0, 8), 'hex'))}`)
    expect(part).toContain(`length = ${block.length + 1}`)
    expect(part).toContain(`+1   ${spaced(block.subarray(0, 7))} … ${spaced(block.subarray(-4))}`)
  })
})

describe('docs/PROTOCOL.md §12.8: the worked examples of blocks and versions', () => {
  beforeAll(async () => {
    await loadBlockHash()
  })

  /** Each example block: its `name value` lines, `hashed` with its continuation lines joined. */
  function workedExamples(): Array<Map<string, string>> {
    return textBlocks(blockRules)
      .filter((lines) => lines.some((l) => l.startsWith('version ')))
      .map((lines) => {
        const fields = new Map<string, string>()
        let last = ''
        for (const line of lines) {
          const m = /^(\S.*?)\s{2,}(\S.*)$/.exec(line)
          const value = (m ? m[2]! : line.trim()).replace(/\s{2,}.*$/, '')
          if (m && /^[a-z]/.test(m[1]!)) fields.set((last = m[1]!), value)
          else if (last && value) fields.set(last, `${fields.get(last)} ${value}`)
        }
        return fields
      })
  }

  it('has the three examples: "abc", 300 000 bytes in 3 blocks, and the empty file', () => {
    expect(workedExamples().map((e) => e.get('size'))).toEqual(['3', '300000', '0'])
  })

  it.each(workedExamples().map((e) => [e.get('size')!, e] as const))('the example of %s bytes is what block-plan.ts computes', (_size, example) => {
    const size = Number(example.get('size'))
    // The content is given, or it is the rule the text states: byte i is i mod 251.
    const given = example.get('content')
    const content = given ? Buffer.from(given.replaceAll(' ', ''), 'hex') : Buffer.from(Array.from({ length: size }, (_, i) => i % 251))
    expect(content.length).toBe(size)
    const { blockSize, hashes, version } = versionOf(content)
    expect(Number(example.get('block size'))).toBe(blockSize)
    expect(Number(example.get('count'))).toBe(hashes.length)
    hashes.forEach((hash, i) => expect(example.get(`block ${i}`)).toBe(hash.toString('hex')))
    expect(example.has(`block ${hashes.length}`)).toBe(false)
    const hashed = Buffer.concat([versionHeader(size, blockSize, hashes.length), ...hashes]).toString('hex')
    expect(example.get('hashed')!.replaceAll(' ', '')).toBe(hashed)
    expect(example.get('version')).toBe(version.toString('hex'))
  })
})

describe('docs/PROTOCOL.md: the numbers', () => {
  /** The value column of a §14 row, digits only (the doc groups thousands with spaces). */
  function constant(name: string): string {
    const row = section('## 14. Constants')
      .split('\n')
      .find((line) => line.startsWith(`| \`${name}\``))
    if (!row) throw new Error(`§14 has no row for ${name}`)
    return row.split('|')[2]!.trim()
  }
  const number = (text: string) => Number(/^[\d ]+/.exec(text)![0].replaceAll(' ', ''))

  it('§14 holds the values of the code', () => {
    expect(number(constant('PROTOCOL_VERSION'))).toBe(PROTOCOL_VERSION)
    expect(constant('ALPN_PROTOCOL')).toContain(`\`${ALPN_PROTOCOL}\``)
    expect(number(constant('VERSION_BYTES'))).toBe(VERSION_BYTES)
    expect(number(constant('BLOCK_HASH_BYTES'))).toBe(BLOCK_HASH_BYTES)
    expect(number(constant('BLOCK_LIST_FRAME_HASHES'))).toBe(BLOCK_LIST_FRAME_HASHES)
    expect(constant('MIN_BLOCK_BYTES` / `MAX_BLOCK_BYTES').split('/').map(number)).toEqual([MIN_BLOCK_BYTES, MAX_BLOCK_BYTES])
    expect(number(constant('MAX_RUN_BLOCKS'))).toBe(MAX_RUN_BLOCKS)
  })

  it('§4 and §12.8 name the same version, block sizes and target', () => {
    expect(section('## 4. Handshake')).toContain(`\`PROTOCOL_VERSION\` = \`${PROTOCOL_VERSION}\``)
    expect(blockRules).toContain(`\`MIN_BLOCK_BYTES\` = ${MIN_BLOCK_BYTES.toLocaleString('en-US').replaceAll(',', ' ')}`)
    expect(blockRules).toContain(`\`MAX_BLOCK_BYTES\` = ${MAX_BLOCK_BYTES.toLocaleString('en-US').replaceAll(',', ' ')}`)
    expect(blockRules).toContain(`\`TARGET_BLOCKS\` (${TARGET_BLOCKS.toLocaleString('en-US').replaceAll(',', ' ')})`)
  })
})
