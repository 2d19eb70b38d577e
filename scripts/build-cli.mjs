// Bundles the headless CLI and its worker entry point with esbuild into out/cli.
// Runs on `npm install` (prepare) so `npx dropbox-sync` works straight after install.
import { bundleCli } from './cli-bundle.mjs'

try {
  await bundleCli('out/cli')
} catch (err) {
  console.error(`build-cli: ${err.message}`)
  process.exit(1)
}
