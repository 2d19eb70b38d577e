// Writing a run of pieces at an offset (engine/util/write-fully.ts): what is left after a short
// write, and the bytes that land in a real file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { unwritten, writeAt } from '../../src/main/engine/util/write-fully'

const text = (pieces: Uint8Array[]): string[] => pieces.map((piece) => Buffer.from(piece).toString())
const pieces = (...texts: string[]): Buffer[] => texts.map((t) => Buffer.from(t))

describe('unwritten', () => {
  it.each<[string[], number, string[]]>([
    [['abc', 'de'], 0, ['abc', 'de']],
    [['abc', 'de'], 1, ['bc', 'de']],
    [['abc', 'de'], 3, ['de']],
    [['abc', 'de'], 4, ['e']],
    [['abc', 'de'], 5, []],
    [['a', '', 'bc'], 1, ['bc']],
    [['a', 'b', 'c'], 2, ['c']],
  ])('of %j after %d bytes: %j', (from, done, rest) => {
    expect(text(unwritten(pieces(...from), done))).toEqual(rest)
  })

  it('hands back the pieces themselves when nothing was written, and views, not copies, of the rest', () => {
    const from = pieces('abc', 'de')
    expect(unwritten(from, 0)).toBe(from)
    expect(unwritten(from, 1)[0]!.buffer).toBe(from[0]!.buffer)
  })
})

describe('writeAt', () => {
  let root: string | null = null
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true })
    root = null
  })

  it('writes the pieces in order at the offset, leaving the bytes before it', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'write-fully-'))
    const file = path.join(root, 'f')
    const handle = await open(file, 'w+')
    try {
      await handle.write(Buffer.from('0123456789'), 0, 10, 0)
      await writeAt(handle, pieces('ab', '', 'cde'), 3)
    } finally {
      await handle.close()
    }
    expect(readFileSync(file, 'utf8')).toBe('012abcde89')
  })
})
