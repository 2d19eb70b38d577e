#!/usr/bin/env node
// `npm run bench`: bundles the benchmarks and prints each one's table.
// BENCH=registry runs only that one (registry, sync, ui, limit, hashes, store, blocks; phases, cpphases, ab, cpab and trickle only when named).
import { build } from 'esbuild'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildBenchCli } from './build-cli.mjs'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const benches = {
  registry: { file: 'bench/registry.ts', run: 'benchRegistry', title: 'Registry (issue 3)' },
  // The sync bench also times a plain-TCP build of the CLI (out/bench-cli) against the real one.
  sync: { file: 'bench/sync.ts', run: 'benchSync', title: 'Sync on loopback (issue 4)', before: buildBenchCli },
  ui: { file: 'bench/ui.ts', run: 'benchUi', title: 'The app in a browser (issue 5)' },
  limit: { file: 'bench/limit-rate.ts', run: 'benchLimitRate', title: 'Bandwidth limit (issue 21)' },
  hashes: { file: 'bench/hashes.ts', run: 'benchHashes', title: 'The block hash (issue 20)' },
  store: { file: 'bench/block-store.ts', run: 'benchBlockStore', title: 'Block lists on disk (issue 20)' },
  blocks: { file: 'bench/blocks.ts', run: 'benchBlocks', title: 'Blocks: edits, resume, renames, beside rsync and Syncthing (issue 20)' },
  // Not in the default run: a profile of one row (where a fresh receiver of small files spends its time).
  phases: { file: 'bench/small-phases.ts', run: 'benchSmallPhases', title: 'Small files, fresh receiver: where the time goes (issue 20)', only: true },
  cpphases: { file: 'bench/cp-phases.ts', run: 'benchCpPhases', title: 'Small files copied into a running sender: where the time goes (issue 20)', only: true },
  // Two builds of the CLI as fresh receivers, by user CPU (BENCH_AB_BASE names the other one).
  ab: { file: 'bench/small-ab.ts', run: 'benchSmallAb', title: 'Small files, fresh receiver: two builds by user CPU (issue 20)', only: true },
  // The same for the `cp -r` row: a running sender and receiver per build.
  cpab: { file: 'bench/cp-ab.ts', run: 'benchCpAb', title: 'Small files copied into a running sender: two builds by user CPU (issue 20)', only: true },
  // Single-file changes into a big folder in sync: user CPU per change at two folder sizes (BENCH_AB_BASE: beside another build).
  trickle: { file: 'bench/trickle.ts', run: 'benchTrickle', title: 'A trickle of changes into a big folder in sync: user CPU per change (issue 20)', only: true },
}
const only = process.env.BENCH

function table(title, result) {
  // A bench returns rows under the default columns, or { columns, rows }.
  const head = Array.isArray(result) ? ['measure', 'dropbox-sync', 'goal'] : result.columns
  const rows = Array.isArray(result) ? result : result.rows
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  console.log(`\n## ${title}\n`)
  console.log(line(head))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const r of rows) console.log(line(r))
}

for (const [name, bench] of Object.entries(benches)) {
  if ((only && only !== name) || (!only && bench.only)) continue
  await bench.before?.()
  const outfile = path.join(root, 'out/bench', `${name}.mjs`)
  await build({ absWorkingDir: root, entryPoints: [bench.file], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' })
  const mod = await import(pathToFileURL(outfile).href)
  table(bench.title, await mod[bench.run]())
}
