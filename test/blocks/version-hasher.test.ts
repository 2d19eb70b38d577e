// The version computed as bytes stream by, in any pieces, against the version of the same bytes
// held whole (block-plan's definition), with both hash builds.
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { VersionHasher, versionOfBytes } from '../../src/main/engine/blocks/version-hasher'

const KiB = 1024

beforeAll(async () => {
  await loadBlockHash()
})

/** `data` fed in pieces of the given sizes, cycled. */
function streamed(data: Buffer, pieces: number[]): VersionHasher {
  const hasher = new VersionHasher(data.length)
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = pieces[i % pieces.length]!
    hasher.update(data.subarray(at, at + n))
    at += n
  }
  return hasher
}

describe('VersionHasher', () => {
  const big = randomBytes(3 * 128 * KiB + 5)
  it.each([
    ['empty', Buffer.alloc(0), [1]],
    ['one byte', Buffer.from('a'), [1]],
    ['one block, in one piece', randomBytes(128 * KiB), [128 * KiB]],
    ['one block and a byte, byte by byte at the seam', randomBytes(128 * KiB + 1), [128 * KiB - 1, 1, 1]],
    ['four blocks in frame-sized pieces', big, [1023 * KiB]],
    ['four blocks in odd pieces', big, [1, 7, 65_537, 200_000]],
    ['four blocks, each whole', big, [128 * KiB]],
  ])('%s: the same version and block hashes as the bytes held whole', (_name, data, pieces) => {
    const want = versionOf(data)
    const hasher = streamed(data, pieces)
    expect(hasher.digest().toString('hex')).toBe(want.version.toString('hex'))
    expect(hasher.hashes.map((h) => h.toString('hex'))).toEqual(want.hashes.map((h) => h.toString('hex')))
    expect(versionOfBytes(data).equals(want.version)).toBe(true)
  })

  it('refuses a byte more than announced, and a digest before all have come', () => {
    const hasher = new VersionHasher(3)
    hasher.update(Buffer.from('ab'))
    expect(() => hasher.digest()).toThrow(/2 bytes taken of 3/)
    expect(() => hasher.update(Buffer.from('cd'))).toThrow(/more than the 3 bytes/)
  })
})

describe('VersionHasher with the WebAssembly build', () => {
  it('gives the native build’s version for a block split across pieces', async () => {
    const data = randomBytes(2 * 128 * KiB + 3)
    const native = streamed(data, [100_000]).digest()
    // A fresh module instance where the fallback is loaded (vitest isolates modules per file
    // only, so load it by resetting the module registry).
    const { vi } = await import('vitest')
    vi.resetModules()
    const wasmHash = await import('../../src/main/engine/blocks/block-hash')
    expect(await wasmHash.loadBlockHash('wasm')).toBe('wasm')
    const { VersionHasher: WasmHasher } = await import('../../src/main/engine/blocks/version-hasher')
    const hasher = new WasmHasher(data.length)
    for (let at = 0; at < data.length; at += 100_000) hasher.update(data.subarray(at, at + 100_000))
    expect(hasher.digest().equals(native)).toBe(true)
  })
})
