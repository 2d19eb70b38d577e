// Bundles the headless CLI (and, later, its worker entry points) with esbuild into out/cli.
// Runs on `npm install` (prepare) so `npx dropbox-sync` works straight after install.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

// Chunk names carry a content hash: without a clean start, every build would leave its old ones.
rmSync(path.join(root, 'out/cli'), { recursive: true, force: true })

let esbuildOk = true
try {
  await build({
    absWorkingDir: root,
    // The transfer worker is its own entry: worker threads load it by file name beside the CLI.
    entryPoints: { 'dropbox-sync': 'src/cli/index.ts', 'transfer-worker': 'src/main/engine/mirror/transfer-worker.ts' },
    outdir: 'out/cli',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // The app command's code (web server, settings store) is a chunk of its own, loaded on use.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    // Plain TCP exists only in the bench's own build (bench/build-cli.mjs): here it is compiled out.
    define: { __DBS_BENCH_PLAIN_TCP__: 'false' },
    logLevel: 'warning',
  })
} catch (err) {
  esbuildOk = false
  console.error(`build-cli: ${err.message}`)
}
process.exit(esbuildOk ? 0 : 1)
