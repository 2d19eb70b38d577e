// The bench's own CLI bundle, out/bench-cli: the shipped one (scripts/build-cli.mjs) with plain
// TCP in place of TLS (net/tls.ts, __DBS_BENCH_PLAIN_TCP__), so the sync bench can time TLS's cost
// in the same run. Never shipped: bin/ and the app load out/cli only.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const BENCH_CLI = path.join(root, 'out/bench-cli/dropbox-sync.mjs')

export async function buildBenchCli() {
  rmSync(path.join(root, 'out/bench-cli'), { recursive: true, force: true })
  await build({
    absWorkingDir: root,
    // The transfer worker dials peers too: it must be built with the same switch, beside the CLI.
    entryPoints: { 'dropbox-sync': 'src/cli/index.ts', 'transfer-worker': 'src/main/engine/mirror/transfer-worker.ts' },
    outdir: 'out/bench-cli',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    define: { __DBS_BENCH_PLAIN_TCP__: 'true' },
    logLevel: 'warning',
  })
  return BENCH_CLI
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildBenchCli()
