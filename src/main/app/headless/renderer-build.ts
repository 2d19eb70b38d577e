// The headless app serves the same renderer the desktop window loads: electron-vite's build in
// out/renderer. When it is missing (a fresh clone) or older than its sources (a checkout being
// worked on), it is built first; a lock keeps two starting apps from building at once.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const BUILD_LIMIT_MS = 180_000

/** The project folder: the nearest package.json named dropbox-sync above this file (source or bundle). */
export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from)
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'dropbox-sync') return dir
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`cannot find the dropbox-sync project folder above ${from}`)
    dir = parent
  }
}

export function rendererDir(root: string): string {
  return path.join(root, 'out', 'renderer')
}

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs)
  }
  return newest
}

/** Missing, or a source it is made of changed after it was built. */
export function rendererBuildIsStale(root: string): boolean {
  const index = path.join(rendererDir(root), 'index.html')
  if (!existsSync(index)) return true
  const built = statSync(index).mtimeMs
  return [path.join(root, 'src', 'renderer'), path.join(root, 'src', 'shared')].some((dir) => newestMtime(dir) > built)
}

function runBuild(root: string, log: (text: string) => void): Promise<void> {
  // electron-vite's exports do not expose its bin: find it where npm puts it.
  const cli = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (!existsSync(cli)) {
    return Promise.reject(new Error('the window is not built and electron-vite is not installed: run `npm install` and `npm run build` in the project folder'))
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'build', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk: Buffer) => log(chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => log(chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the window failed (electron-vite exited with ${code})`))))
  })
}

/** Returns the folder of a current renderer build, building it first when needed. */
export async function ensureRendererBuild(root: string, log: (text: string) => void = () => {}): Promise<string> {
  const dir = rendererDir(root)
  if (!rendererBuildIsStale(root)) return dir
  const lock = path.join(root, 'out', '.renderer-build.lock')
  mkdirSync(path.dirname(lock), { recursive: true })
  const deadline = Date.now() + BUILD_LIMIT_MS
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // Someone else is building: wait for them, then use their build if it is current.
      if (Date.now() > deadline) throw new Error(`gave up waiting for another build of the window (remove ${lock} if none is running)`)
      await new Promise((r) => setTimeout(r, 250))
      if (!existsSync(lock) && !rendererBuildIsStale(root)) return dir
    }
  }
  try {
    if (rendererBuildIsStale(root)) {
      log('dropbox-sync: building the window (electron-vite build)…\n')
      await runBuild(root, log)
    }
  } finally {
    rmdirSync(lock)
  }
  if (!existsSync(path.join(dir, 'index.html'))) throw new Error(`the window's build has no index.html in ${dir}`)
  return dir
}
