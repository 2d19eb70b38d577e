// The block hash, chosen on this (engine/blocks/block-hash.ts): 1 GiB (BENCH_SCALE) in 1 MiB
// blocks from memory, on one thread, through node:crypto's SHA-256 and the two BLAKE3 builds the
// product can load, ROUNDS times each, interleaved.
import { createHash, randomFillSync } from 'node:crypto'
import { hashWith } from '../src/main/engine/blocks/block-hash'

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1)
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))

export async function benchHashes(): Promise<Array<[string, string, string]>> {
  // 64 distinct blocks hashed over and over: the data stays in the processor's reach, as a block
  // just read or received does.
  const blocks = Array.from({ length: 64 }, () => randomFillSync(Buffer.allocUnsafe(1024 * 1024)))
  const total = Math.max(1, Math.round(1024 * SCALE))
  const candidates: Array<[string, (block: Buffer) => unknown]> = [
    ['SHA-256 (node:crypto)', (block) => createHash('sha256').update(block).digest()],
    ['BLAKE3, native (@napi-rs/blake-hash)', await hashWith('native')],
    ['BLAKE3, WebAssembly (hash-wasm): the fallback', await hashWith('wasm')],
  ]
  const times = candidates.map(() => [] as number[])
  for (let round = 0; round < ROUNDS; round++) {
    candidates.forEach(([, hash], i) => {
      const t0 = performance.now()
      for (let n = 0; n < total; n++) hash(blocks[n % blocks.length]!)
      times[i]!.push((performance.now() - t0) / 1000)
    })
  }
  const gib = total / 1024
  return candidates.map(([name], i) => {
    const sorted = [...times[i]!].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]!
    return [`${name}: ${gib} GiB in 1 MiB blocks, one thread`, `${median.toFixed(2)} s (${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)})`, '—']
  })
}
