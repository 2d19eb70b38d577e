#!/usr/bin/env node
// Entry point of the `dropbox-sync` command: runs the CLI bundle built by `npm install`.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const bundle = fileURLToPath(new URL('../out/cli/dropbox-sync.mjs', import.meta.url))
if (!existsSync(bundle)) {
  process.stderr.write('dropbox-sync: the CLI is not built yet; run `npm install` (or `npm run build:cli`) in the project folder\n')
  process.exit(2)
}
await import(pathToFileURL(bundle).href)
