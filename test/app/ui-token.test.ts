// The headless app's token through the real `dropbox-sync app` command: kept in the config folder
// (owner-only, 0600), so a bookmarked address works after a restart; --new-token makes a new one
// and the old one gets 401.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { buildWindow, startApp as startHeadless, stopApp, type RunningApp } from '../helpers/headless-app'
import { removeTempDirs, tempDir } from '../helpers/temp'

beforeAll(buildWindow, 180_000)
afterEach(() => {
  killAll()
  removeTempDirs()
})

/** Started and past its engine's first status: Ctrl-C is handled from then on. */
async function startApp(config: string, timeoutMs = 20_000, extra: string[] = []): Promise<RunningApp> {
  const app = await startHeadless(config, timeoutMs, extra)
  await app.cli.until(() => app.cli.stdoutLines.some((line) => line.startsWith('{"type":"status"')), timeoutMs, 'the app to report its engine')
  return app
}

const tokenOf = (url: string): string => new URL(url).searchParams.get('token')!
/** The same address with another run's token: what a bookmark holds. */
const withToken = (url: string, token: string): string => {
  const next = new URL(url)
  next.searchParams.set('token', token)
  return next.toString()
}

it('keeps the token across restarts in an owner-only file; --new-token rotates it and the old one is refused', async () => {
  const config = tempDir('token-config-')
  const file = path.join(config, 'ui-token')
  let app = await startApp(config)
  const first = tokenOf(app.url)
  expect(first).toMatch(/^[\w-]{32}$/)
  expect(readFileSync(file, 'utf8').trim()).toBe(first)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(await stopApp(app)).toBe(0)

  app = await startApp(config)
  expect(tokenOf(app.url)).toBe(first)
  expect((await fetch(app.url)).status).toBe(200)
  expect(await stopApp(app)).toBe(0)

  app = await startApp(config, 20_000, ['--new-token'])
  const second = tokenOf(app.url)
  expect(second).not.toBe(first)
  expect(second).toMatch(/^[\w-]{32}$/)
  expect(readFileSync(file, 'utf8').trim()).toBe(second)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect((await fetch(app.url)).status).toBe(200)
  expect((await fetch(withToken(app.url, first))).status).toBe(401)
  expect(await stopApp(app)).toBe(0)

  // The next plain start keeps the rotated one.
  app = await startApp(config)
  expect(tokenOf(app.url)).toBe(second)
  expect(await stopApp(app)).toBe(0)
}, 90_000)

it('a token file that is damaged or readable by others is not trusted as it is', async () => {
  const config = tempDir('token-config-')
  const file = path.join(config, 'ui-token')
  writeFileSync(file, 'not a token\n', { mode: 0o644 })
  let app = await startApp(config)
  const made = tokenOf(app.url)
  expect(made).toMatch(/^[\w-]{32}$/)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(await stopApp(app)).toBe(0)

  // A good token restored with a loose mode (a backup) is kept, and made owner-only again.
  writeFileSync(file, `${made}\n`, { mode: 0o644 })
  chmodSync(file, 0o644)
  app = await startApp(config)
  expect(tokenOf(app.url)).toBe(made)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(await stopApp(app)).toBe(0)
}, 60_000)
