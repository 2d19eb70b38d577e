// Notify me in Debian's Chromium against the real headless app running as a client beside real
// CLI processes: off by default (a lasting write failure shows nothing), then, switched on with the
// browser's permission granted, one Web Notification each for a write failure that lasts, a peer's
// mass delete held and the shared folder gone. The page's Notification is wrapped to record what
// it is asked to show, and still shows it.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli'
import { browserSuite, saveSettings, startCliServer, textOf } from '../helpers/browser-suite'
import { startHeadlessClientApp } from '../helpers/headless-app'
import { readOnly, unmountAll } from '../helpers/mount'
import { tempDir } from '../helpers/temp'
import { peerFolderName } from '../helpers/tree'

/** The engine's default mass-delete hold starts at 1,000 files (and over half). */
const BULK = 1000
const suite = browserSuite()
// Registered after the suite's hooks, so it runs before them: the folders are unmounted before they go.
afterEach(unmountAll)

/** Records each notification the page constructs, then lets the browser's own make it. */
const RECORD_NOTIFICATIONS = `{
  const Real = window.Notification
  window.__shown = []
  window.Notification = class extends Real {
    constructor(title, options) {
      window.__shown.push({ title, body: options && options.body, tag: options && options.tag })
      super(title, options)
    }
  }
}`

/** `dir` made read-only until the returned function: a read-only bind mount as root (root ignores chmod), else chmod. */
function readOnlyFolder(dir: string): () => void {
  const undo = readOnly(dir)
  if (undo) return undo
  chmodSync(dir, 0o555)
  return () => chmodSync(dir, 0o755)
}

const shownTitles = (page: Page): Promise<string[]> => page.evaluate('window.__shown.map((n) => n.title)') as Promise<string[]>

describe('Notify me in a browser', () => {
  it('is off by default; switched on, shows a lasting write failure, a held mass delete and the folder gone, once each', async () => {
    const { port: serverPort } = await startCliServer()
    const senderDir = tempDir('e2e-note-sender-')
    mkdirSync(path.join(senderDir, 'bulk'))
    for (let i = 0; i < BULK; i++) writeFileSync(path.join(senderDir, 'bulk', `${String(i).padStart(4, '0')}.txt`), `file ${i}\n`)
    const sender = runCli(['client', '-d', senderDir, '-p', '0', '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '2'])
    const senderAt = await sender.waitFor('registered', {}, 15_000)
    const senderKey = `${senderAt.ip}:${senderAt.port}`

    const folder = tempDir('e2e-note-mine-')
    writeFileSync(path.join(folder, 'mine.txt'), 'mine\n')
    const { app } = await startHeadlessClientApp(serverPort, folder, { workers: 2 })
    await app.cli.waitFor('peer-synced', { peer: senderKey }, 30_000)
    const mirror = path.join(`${folder}-mirrors`, peerFolderName(senderAt.port))

    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } })
    await context.grantPermissions(['notifications'], { origin: new URL(app.url).origin })
    await context.addInitScript(RECORD_NOTIFICATIONS)
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(app.url)

    /** Makes the mirror read-only until the app says a write failed, then writable until `name` is in it. */
    const failWritesOnce = async (name: string): Promise<string> => {
      const writable = readOnlyFolder(mirror)
      const writeFailures = (): Array<{ message: string }> => app.cli.events.filter((e) => e.type === 'error' && e.code === 'write-failed') as Array<{ message: string }>
      const before = writeFailures().length
      writeFileSync(path.join(senderDir, name), `${name}\n`)
      await app.cli.until(() => writeFailures().length > before, 20_000, 'a write-failed error')
      const failed = writeFailures().at(-1)!
      writable()
      await app.cli.waitFor('file-synced', { peer: senderKey, path: name }, 60_000)
      return failed.message
    }

    // Off by default: a write failure reaches the page (Activity shows it, as a sentence) and nothing is notified.
    await page.getByRole('tab', { name: 'Settings' }).click()
    const notify = page.getByRole('switch', { name: 'Notify me' })
    expect(await notify.isChecked()).toBe(false)
    const quietFailure = await failWritesOnce('while-off.txt')
    await page.getByRole('tab', { name: 'Activity' }).click()
    await expect.poll(() => textOf(page.getByRole('list', { name: 'Events, newest first' })), { timeout: 10_000 }).toContain(`${quietFailure.charAt(0).toUpperCase()}${quietFailure.slice(1, 40)}`)
    expect(await shownTitles(page)).toEqual([])

    // Switched on: the browser has granted permission, so the page says nothing against it.
    await page.getByRole('tab', { name: 'Settings' }).click()
    await notify.check()
    await expect.poll(() => textOf(page.locator('#notify-permission'))).not.toMatch(/block|not allowed|permission/i)
    await saveSettings(page)
    await page.getByRole('tab', { name: 'Peers' }).click()

    await failWritesOnce('while-on.txt')
    await expect.poll(() => shownTitles(page), { timeout: 10_000 }).toEqual(['Cannot write to the mirror'])

    rmSync(path.join(senderDir, 'bulk'), { recursive: true })
    await app.cli.waitFor('mass-delete', { peer: senderKey }, 20_000)
    await expect.poll(() => shownTitles(page), { timeout: 10_000 }).toEqual(['Cannot write to the mirror', `Deletions held: ${senderKey}`])

    rmSync(folder, { recursive: true })
    await app.cli.until(() => app.cli.events.some((e) => e.type === 'error' && e.code === 'folder-missing'), 20_000, 'folder-missing')
    await expect
      .poll(() => shownTitles(page), { timeout: 10_000 })
      .toEqual(['Cannot write to the mirror', `Deletions held: ${senderKey}`, 'The shared folder is gone'])
    const shown = (await page.evaluate('window.__shown')) as Array<{ title: string; body: string; tag: string }>
    expect(shown[1]).toMatchObject({ body: expect.stringContaining(`deleted ${BULK} files`), tag: `mass-delete:${senderKey}` })
    expect(shown[2]).toMatchObject({ body: expect.stringContaining(folder), tag: 'folder-missing' })
    expect(problems).toEqual([])
    await context.close()
  }, 150_000)
})
