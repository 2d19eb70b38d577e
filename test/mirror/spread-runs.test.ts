// SpreadRuns (mirror/spread-runs.ts), the owner's side of a big file spread over the workers, over
// a real partial file: it records every block another worker reports, settles only once every
// run has ended, and a cut pull's record holds every block any worker verified.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { blockRange, versionOf } from '../../src/main/engine/blocks/block-plan'
import { openPartialForBlocks, PartialFile } from '../../src/main/engine/blocks/partial-file'
import { writeAt } from '../../src/main/engine/util/write-fully'
import type { BlockList } from '../../src/main/engine/protocol/block-list-frames'
import type { FileJob, WorkerToMain } from '../../src/main/engine/mirror/jobs'
import { SpreadRuns } from '../../src/main/engine/mirror/spread-runs'
import { tempDir } from '../helpers/temp'

const KiB = 1024

beforeAll(async () => {
  await loadBlockHash()
})

/** A 6-block file, its partial open in a fresh mirror folder, and the job that owns it. */
async function setup() {
  const folder = path.join(tempDir('spread-'), 'mirror')
  mkdirSync(folder)
  const bytes = randomBytes(5 * 128 * KiB + 100)
  const { blockSize, hashes, version } = versionOf(bytes)
  const list: BlockList = { version, size: bytes.length, blockSize, hashes } as BlockList
  const partial = new PartialFile(folder, 'big.bin', version, { size: bytes.length, blockSize, hashes: Buffer.concat(hashes) })
  await partial.open()
  const job: FileJob = { kind: 'file', id: 9, peer: { ip: '127.0.0.1', port: 1, id: '00'.repeat(32), key: '127.0.0.1:1', folder }, path: 'big.bin', version: version.toString('hex'), size: bytes.length, have: null, reuseFrom: null }
  const posted: WorkerToMain[] = []
  const spreads = new SpreadRuns((message) => posted.push(message))
  /** What another worker does: writes blocks through its own descriptor. */
  const writeBlocks = async (indexes: number[]): Promise<void> => {
    const handle = await openPartialForBlocks(folder, 'big.bin', version)
    for (const index of indexes) {
      const { offset, length } = blockRange(bytes.length, blockSize, index)
      await writeAt(handle, [bytes.subarray(offset, offset + length)], offset)
    }
    await handle.close()
  }
  return { folder, bytes, list, partial, job, posted, spreads, writeBlocks, version }
}

describe('SpreadRuns', () => {
  it('posts the runs with the list, marks what workers report, and settles once every run ended', async () => {
    const s = await setup()
    const verified: number[] = []
    let settled = false
    const fetching = s.spreads.fetch(s.job, s.partial, s.list, [{ first: 0, count: 3 }, { first: 3, count: 3 }], (i) => verified.push(i))
    void fetching.then(() => (settled = true))
    expect(s.posted).toEqual([{ type: 'spread', id: 9, runs: [{ first: 0, count: 3 }, { first: 3, count: 3 }], version: s.version.toString('hex'), size: s.bytes.length, blockSize: s.list.blockSize, hashes: Buffer.concat(s.list.hashes) }])
    await s.writeBlocks([3, 4, 5, 0, 1, 2])
    s.spreads.news({ kind: 'run-verified', owner: 9, blocks: [3, 4, 5], bytes: 3 * 128 * KiB })
    s.spreads.news({ kind: 'run-ended', owner: 9 })
    await new Promise((r) => setTimeout(r, 20))
    expect(settled).toBe(false)
    // Indexes outside the file are no blocks of it; a block said twice counts once.
    s.spreads.news({ kind: 'run-verified', owner: 9, blocks: [0, 1, 2, 2, 6, -1], bytes: 2 * 128 * KiB + 100 })
    s.spreads.news({ kind: 'run-ended', owner: 9 })
    expect(await fetching).toBe(5 * 128 * KiB + 100)
    expect(verified).toEqual([3, 4, 5, 0, 1, 2])
    expect(readFileSync(await s.partial.finish()).equals(s.bytes)).toBe(true)
  })

  it('a lying peer outweighs a dropped connection, whichever ends first; a cut pull keeps every block a worker verified', async () => {
    const s = await setup()
    const fetching = s.spreads.fetch(s.job, s.partial, s.list, [{ first: 0, count: 2 }, { first: 2, count: 2 }, { first: 4, count: 2 }], () => {})
    await s.writeBlocks([0, 2, 3])
    s.spreads.news({ kind: 'run-verified', owner: 9, blocks: [0], bytes: 128 * KiB })
    s.spreads.news({ kind: 'run-ended', owner: 9, failure: { code: 'peer-left', reason: 'gone', retry: true } })
    s.spreads.news({ kind: 'run-verified', owner: 9, blocks: [2, 3], bytes: 256 * KiB })
    s.spreads.news({ kind: 'run-ended', owner: 9, failure: { code: 'hash-mismatch', reason: 'block 4 lied', retry: false } })
    s.spreads.news({ kind: 'run-ended', owner: 9, failure: { code: 'connection-lost', reason: 'cut', retry: true } })
    await expect(fetching).rejects.toMatchObject({ code: 'hash-mismatch', retry: false, message: 'block 4 lied' })
    await s.partial.abandon()
    // The next try: exactly the blocks the workers verified are kept.
    const again = new PartialFile(s.folder, 'big.bin', s.version, { size: s.bytes.length, blockSize: s.list.blockSize, hashes: Buffer.concat(s.list.hashes) })
    expect(await again.open()).toEqual([0, 2, 3])
    await again.discard()
  })

  it('news of another owner, or of one that settled, changes nothing; no runs is settled at once with nothing posted', async () => {
    const s = await setup()
    expect(await s.spreads.fetch(s.job, s.partial, s.list, [], () => {})).toBe(0)
    expect(s.posted).toEqual([])
    const fetching = s.spreads.fetch(s.job, s.partial, s.list, [{ first: 0, count: 6 }], () => {})
    s.spreads.news({ kind: 'run-ended', owner: 8 })
    s.spreads.news({ kind: 'run-ended', owner: 9, failure: { code: 'peer-left', reason: 'gone', retry: true } })
    await expect(fetching).rejects.toMatchObject({ code: 'peer-left', retry: true })
    s.spreads.news({ kind: 'run-verified', owner: 9, blocks: [0], bytes: 128 * KiB })
    expect(s.partial.verifiedCount).toBe(0)
    await s.partial.discard()
  })
})
