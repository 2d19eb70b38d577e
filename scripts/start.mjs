#!/usr/bin/env node
// `npm start`: builds and opens the desktop app. Where Electron's binary is not installed (it is
// downloaded on first launch, which some networks forbid), says so in one line and tells the user
// how to run the same engine from the terminal instead.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

function electronBinary() {
  try {
    const binary = require('electron')
    return typeof binary === 'string' && existsSync(binary) ? binary : null
  } catch {
    return null
  }
}

const binary = electronBinary()
if (!binary) {
  console.error(
    "dropbox-sync: Electron's binary is not installed on this machine, so the desktop window cannot open. " +
      'The same engine runs from the terminal: `npx dropbox-sync server -p 4000` and ' +
      '`npx dropbox-sync client -d FOLDER -sp 4000 -sip SERVER_ADDRESS` (see README.md).',
  )
  process.exit(1)
}
const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)
const run = spawnSync(binary, ['.'], { stdio: 'inherit' })
process.exit(run.status ?? 0)
