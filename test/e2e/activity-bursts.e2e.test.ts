// A burst in the real window: the headless app, as a client, mirrors a CLI client that shares 60
// files; Activity in Debian's Chromium shows them as one entry, whose files open beneath it.
// `SCREENSHOTS=docs` keeps its picture in docs/screenshots/activity-burst.png.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import { runCli } from '../helpers/cli'
import { browserSuite, openPage, SCREENSHOTS, startCliServer } from '../helpers/browser-suite'
import { startHeadlessClientApp } from '../helpers/headless-app'
import { tempDir } from '../helpers/temp'

const FILES = 60
const suite = browserSuite()

it('Activity shows a burst of files as one entry, and its files when opened', async () => {
  const { port: serverPort } = await startCliServer()
  // The app starts as a client that joins with an invite, as Settings would have saved it.
  const { app } = await startHeadlessClientApp(serverPort, tempDir('e2e-mine-'))
  const { page } = await openPage(suite.browser, app.url)
  await page.getByRole('tab', { name: 'Activity' }).click()

  const dir = tempDir('e2e-burst-')
  for (let i = 0; i < FILES; i++) writeFileSync(path.join(dir, `photo-${String(i).padStart(2, '0')}.jpg`), `picture ${i}\n`.repeat(100))
  const sender = runCli(['client', '-d', dir, '-p', '0', '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '1'])
  const { port } = await sender.waitFor('registered', {}, 15_000)

  const events = page.getByRole('list', { name: 'Events, newest first' })
  const burst = events.locator('li', { hasText: new RegExp(`^.*${FILES} files from .*127\\.0\\.0\\.1:${port}\\) in `) })
  await burst.waitFor({ timeout: 20_000 })
  // One entry for the burst, no line per file.
  expect(await events.locator('li', { hasText: 'is in the mirror' }).count()).toBe(0)
  await burst.getByRole('button', { name: 'Show files' }).click()
  const files = burst.getByRole('list', { name: 'Files in this burst' })
  await expect.poll(() => files.locator('li').count()).toBe(FILES)
  expect(await files.locator('li').first().textContent()).toContain('in the mirror')
  await page.screenshot({ path: path.join(SCREENSHOTS, 'activity-burst.png') })
  await burst.getByRole('button', { name: 'Hide files' }).click()
  expect(await files.count()).toBe(0)
}, 90_000)
