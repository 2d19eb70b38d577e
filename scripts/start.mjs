#!/usr/bin/env node
// `npm start`: builds and opens the desktop app. Where Electron's binary is not installed (it is
// downloaded on first launch, which some networks forbid), says so in one line and runs the same
// app headless (`dropbox-sync app`), which prints the address to open in a browser.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const electronDir = fileURLToPath(new URL('../node_modules/electron/', import.meta.url))

/** Where the electron package says its binary is, or null (ELECTRON_OVERRIDE_DIST_PATH honoured). */
function binaryPath() {
  const pathFile = path.join(electronDir, 'path.txt')
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) return path.join(override, name ?? 'electron')
  return name ? path.join(electronDir, 'dist', name) : null
}

/**
 * The Electron binary, downloading it first if the package has not yet (it does so on first use).
 * The download runs quietly: where it cannot happen, one line below says what we do instead.
 */
function electronBinary() {
  let binary = binaryPath()
  if (binary && existsSync(binary)) return binary
  const installer = path.join(electronDir, 'install.js')
  if (!process.env.ELECTRON_OVERRIDE_DIST_PATH && existsSync(installer)) {
    spawnSync(process.execPath, [installer], { stdio: 'ignore', timeout: 300_000 })
    binary = binaryPath()
  }
  return binary && existsSync(binary) ? binary : null
}

const binary = electronBinary()
if (!binary) {
  console.error(
    "dropbox-sync: Electron's binary is not installed on this machine, so the desktop window cannot open; " +
      'starting the same app in the browser instead (open the address below).',
  )
  const cli = fileURLToPath(new URL('../bin/dropbox-sync.mjs', import.meta.url))
  if (!existsSync(fileURLToPath(new URL('../out/cli/dropbox-sync.mjs', import.meta.url)))) {
    const built = spawnSync(process.execPath, [fileURLToPath(new URL('./build-cli.mjs', import.meta.url))], { stdio: 'inherit' })
    if (built.status !== 0) process.exit(built.status ?? 1)
  }
  // `npm start -- --ui 8080 --config DIR` passes its flags on; loopback and a free port otherwise.
  const args = process.argv.slice(2)
  const ui = args.includes('--ui') ? [] : ['--ui', '127.0.0.1:0']
  const child = spawn(process.execPath, [cli, 'app', ...ui, ...args], { stdio: 'inherit' })
  // Ctrl-C reaches the app too (same process group); it logs off, then we exit with it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
} else {
  const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
  const run = spawnSync(binary, ['.'], { stdio: 'inherit' })
  process.exit(run.status ?? 0)
}
