// The CLI bundle: the `dropbox-sync` command and its transfer worker, built with esbuild. One
// recipe for the shipped bundle (scripts/build-cli.mjs, out/cli) and the bench's plain-TCP one
// (bench/build-cli.mjs, out/bench-cli), so the two differ in the switch alone.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

/** Builds into `outdir` (relative to the project); `plainTcp` only for the bench (net/tls.ts). */
export async function bundleCli(outdir, { plainTcp = false } = {}) {
  // Chunk names carry a content hash: without a clean start, every build would leave its old ones.
  rmSync(path.join(root, outdir), { recursive: true, force: true })
  await build({
    absWorkingDir: root,
    // The transfer worker is its own entry: worker threads load it by file name beside the CLI.
    entryPoints: { 'dropbox-sync': 'src/cli/index.ts', 'transfer-worker': 'src/main/engine/mirror/transfer-worker.ts' },
    outdir,
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
    // Plain TCP exists only in the bench's build: in the shipped one it is compiled out.
    define: { __DBS_BENCH_PLAIN_TCP__: plainTcp ? 'true' : 'false' },
    logLevel: 'warning',
  })
}
