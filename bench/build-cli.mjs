// The bench's own CLI bundle, out/bench-cli: the shipped one with plain TCP in place of TLS
// (net/tls.ts, __DBS_BENCH_PLAIN_TCP__), so the sync bench can time TLS's cost in the same run.
// Never shipped: bin/ and the app load out/cli only.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleCli, root } from '../scripts/cli-bundle.mjs'

export const BENCH_CLI = path.join(root, 'out/bench-cli/dropbox-sync.mjs')

export async function buildBenchCli() {
  await bundleCli('out/bench-cli', { plainTcp: true })
  return BENCH_CLI
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildBenchCli()
