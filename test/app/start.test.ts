// `npm start` on a machine without Electron's binary: one clear line, then the same app headless,
// with the address to open.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { buildWindow } from '../helpers/headless-app'
import { removeTempDirs, tempDir } from '../helpers/temp'

const START = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url))

afterEach(removeTempDirs)

it('falls back to the headless app, says why in one line, and prints the URL', async () => {
  await buildWindow()
  const child = spawn(process.execPath, [START, '--config', tempDir('start-config-'), '--json'], {
    env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: '/nonexistent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  try {
    const deadline = Date.now() + 20_000
    while (!stdout.includes('"type":"ui"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(stderr.split('\n')[0]).toMatch(/^dropbox-sync: Electron's binary is not installed on this machine, .*browser instead/)
    const { url } = JSON.parse(stdout.split('\n').find((l) => l.includes('"type":"ui"'))!) as { url: string }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/)
    expect((await fetch(url)).status).toBe(200)
    // The app icon, as every page load asks for it, with no token.
    const favicon = await fetch(new URL('/favicon.ico', url))
    expect(favicon.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await favicon.arrayBuffer()).equals(readFileSync(new URL('../../resources/icon.png', import.meta.url)))).toBe(true)
  } finally {
    child.kill('SIGTERM')
  }
  expect(await exited).toBe(0)
})
