// What block lists cost on disk and in memory (engine/blocks/block-store.ts): 1 TiB of files of
// one size, as entries of the real store in a temp folder. A sample of up to SAMPLE entries is
// written and read back; disk use (the blocks each entry takes) is scaled to 1 TiB.
import { randomBytes } from 'node:crypto'
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadBlockHash } from '../src/main/engine/blocks/block-hash'
import { blockCount, blockSizeFor, fileVersion } from '../src/main/engine/blocks/block-plan'
import { BlockStore } from '../src/main/engine/blocks/block-store'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const TiB = 1024 * GiB
const SAMPLE = Math.max(50, Math.round(2000 * Number(process.env['BENCH_SCALE'] ?? 1)))

const SIZES: Array<[string, number]> = [
  ['256 KiB (2 blocks of 128 KiB)', 256 * KiB],
  ['15.9 MiB (127 blocks of 128 KiB)', 127 * 128 * KiB],
  ['16 MiB (128 blocks of 128 KiB)', 16 * MiB],
  ['250 MiB (2000 blocks of 128 KiB)', 250 * MiB],
  ['256 MiB (1024 blocks of 256 KiB)', 256 * MiB],
  ['1 GiB (1024 blocks of 1 MiB)', GiB],
  ['16 GiB (1024 blocks of 16 MiB)', 16 * GiB],
]

/** The entries' bytes and the space the file system gave them; folders are left out (their size does not scale with a sample). */
function allocated(dir: string): { bytes: number; apparent: number } {
  let bytes = 0
  let apparent = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const stats = lstatSync(path.join(entry.parentPath, entry.name))
    bytes += stats.blocks * 512
    apparent += stats.size
  }
  return { bytes, apparent }
}

const human = (bytes: number): string =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : bytes >= MiB ? `${(bytes / MiB).toFixed(0)} MiB` : `${(bytes / KiB).toFixed(1)} KiB`

function gc(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

export async function benchBlockStore(): Promise<{ columns: string[]; rows: string[][] }> {
  await loadBlockHash()
  const rows: string[][] = []
  for (const [name, size] of SIZES) {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-block-store-'))
    try {
      const store = new BlockStore(path.join(dir, 'blocks'))
      const files = Math.ceil(TiB / size)
      const sample = Math.min(files, SAMPLE)
      const blockSize = blockSizeFor(size)
      const count = blockCount(size, blockSize)
      const versions: Buffer[] = []
      let putMs = 0
      for (let i = 0; i < sample; i++) {
        const hashes = randomBytes(32 * count)
        const list = Array.from({ length: count }, (_, b) => hashes.subarray(b * 32, (b + 1) * 32))
        const version = fileVersion(size, blockSize, list)
        const t0 = performance.now()
        await store.put(version, size, blockSize, hashes)
        putMs += performance.now() - t0
        versions.push(version)
      }
      gc()
      const heapBefore = process.memoryUsage().heapUsed
      const t0 = performance.now()
      for (const version of versions) if ((await store.get(version)) === null) throw new Error('an entry just put is absent')
      const getMs = performance.now() - t0
      gc()
      const heapAfter = process.memoryUsage().heapUsed
      const { bytes, apparent } = allocated(store.dir)
      const scale = files / sample
      rows.push([
        name,
        files.toLocaleString('en'),
        `${(apparent / sample).toFixed(0)} B / ${human(bytes / sample)}`,
        `${human(apparent * scale)} / ${human(bytes * scale)} (${((bytes * scale * 100) / TiB).toFixed(3)} %)`,
        `${((putMs * 1000) / sample).toFixed(0)} µs / ${((getMs * 1000) / sample).toFixed(0)} µs`,
        `${((heapAfter - heapBefore) / 1024).toFixed(0)} KiB`,
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return {
    columns: [
      '1 TiB as files of',
      'files',
      'entry: bytes / on disk',
      'store for 1 TiB: bytes / on disk',
      'put / get (checked) per entry',
      `heap change, ${SAMPLE} read back (after GC)`,
    ],
    rows,
  }
}
