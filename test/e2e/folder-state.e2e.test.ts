// Where each folder stands, as a person sees it in Debian's Chromium against the real headless
// app running as a client, a real CLI client and a hand-written peer whose files trickle: this
// machine's folder with what .syncignore leaves out, each peer's mirror up to date or with files
// still to come, and the list of what is still to come opened from the peer list.
import { randomBytes } from 'node:crypto'
import { truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { inviteFor, runCli } from '../helpers/cli'
import { browserSuite, expectPeersListFits, openPage, peerRowOf, saveSettings, SCREENSHOTS, startCliServer, textOf } from '../helpers/browser-suite'
import { FakePeer } from '../helpers/fake-peer'
import { startApp } from '../helpers/headless-app'
import { tempDir } from '../helpers/temp'

const suite = browserSuite()

function mirrorCell(page: Page, key: string): Locator {
  return peerRowOf(page, key).locator('.peer-mirror')
}

describe('where each folder stands, in the browser', () => {
  it("shows this machine's folder, each mirror up to date or with files to come, and lists what is to come", async () => {
    const { port: serverPort } = await startCliServer()

    // A CLI client with one file: its mirror is soon up to date.
    const aliceDir = tempDir('e2e-alice-')
    writeFileSync(path.join(aliceDir, 'hello.txt'), 'hello\n')
    const alice = runCli(['client', '-d', aliceDir, '-p', '0', '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    const aliceAt = await alice.waitFor('registered', {}, 15_000)
    const aliceKey = `${aliceAt.ip}:${aliceAt.port}`

    // A peer whose large file trickles in far slower than the test lasts, and whose small files
    // (asked for in a batch) are never answered: all three still to come throughout.
    const slow = new FakePeer(
      [
        { path: 'photos/a.jpg', content: randomBytes(1_500_000) },
        { path: 'docs/y.txt', content: Buffer.from('why\n') },
        { path: 'docs/x.txt', content: Buffer.from('ex\n') },
      ],
      { trickle: { chunkBytes: 1000, everyMs: 500 }, filesReply: () => [] },
    )
    suite.peers.push(slow)
    await slow.start()
    const slowKey = await slow.register(serverPort)

    // The app as a client sharing a folder with files, and some it ignores.
    const folder = tempDir('e2e-mine-')
    for (const name of ['one.txt', 'two.txt', 'three.txt']) writeFileSync(path.join(folder, name), `${name}\n`)
    writeFileSync(path.join(folder, 'debug.log'), 'noise\n')
    writeFileSync(path.join(folder, '.syncignore'), '*.log\n')
    const app = await startApp(tempDir('e2e-config-'))
    const { context, page, problems } = await openPage(suite.browser, app.url)
    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Client', exact: true }).check()
    const fields: Record<string, string> = { Port: '0', 'Server address': '127.0.0.1', 'Server port': String(serverPort), Folder: folder, Workers: '2' }
    for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value)
    await page.getByLabel('Join with invite', { exact: true }).fill(inviteFor('127.0.0.1', serverPort))
    await saveSettings(page)
    await page.getByRole('tab', { name: 'Peers' }).click()

    // This machine's folder: three files shared; debug.log and .syncignore itself left out.
    const own = page.getByTestId('own-folder')
    await expect.poll(() => textOf(own.getByTestId('own-files')), { timeout: 15_000 }).toBe('3 files')
    expect(await textOf(own.getByTestId('own-ignored'))).toBe('2 ignored')
    await expect.poll(() => textOf(own.getByTestId('own-state'))).toBe('Watching for changes')
    expect(await textOf(own)).toContain(folder)

    // Alice's mirror is up to date; the slow peer's holds nothing yet, with three files to come.
    await expect.poll(() => textOf(mirrorCell(page, aliceKey)), { timeout: 15_000 }).toMatch(/^Up to date\s*1 file, 6 B · changed /)
    await expect.poll(() => textOf(mirrorCell(page, slowKey)), { timeout: 15_000 }).toMatch(/^3 files \(1\.5 MB\) to come\s*List\s*0 files, 0 B · never changed$/)

    await page.waitForTimeout(600)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'peers-mirrors.png') })

    // The list of what is still to come, by path, with sizes; Escape closes it.
    // Both name the peer as its row does: its name, the address beside it (the address alone until the name is known).
    const named = (words: string) => new RegExp(`^${words} (.+ \\()?${slowKey.replace(/[.[\]]/g, '\\$&')}\\)?$`)
    const list = mirrorCell(page, slowKey).getByRole('button', { name: named('List what is still to come from') })
    await list.click()
    const dialog = page.getByRole('dialog', { name: named('Still to come from') })
    await dialog.waitFor({ timeout: 5000 })
    const rows = dialog.getByRole('table', { name: 'Files still to come' }).locator('tbody tr')
    await expect.poll(() => rows.allTextContents()).toEqual(['docs/x.txt3 B', 'docs/y.txt4 B', 'photos/a.jpg1.5 MB'])
    expect(await textOf(dialog.locator('.to-come-total'))).toBe('3 files, 1.5 MB')
    await page.screenshot({ path: path.join(SCREENSHOTS, 'peers-to-come.png') })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden', timeout: 5000 })
    // The focus is back on the List button that opened it.
    expect(await list.evaluate((button) => button === button.ownerDocument.activeElement)).toBe(true)

    // Still readable at 700 px, and at 500 (Last change gives way, names and addresses wrap): no
    // cell of the list is wider than its box, nor the page.
    await expectPeersListFits(page, [1280, 860, 700, 500], 3 * 4)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'peers-500.png') })
    await page.setViewportSize({ width: 1280, height: 900 })

    // A window opened now starts from the same numbers, before any new event.
    const later = await context.newPage()
    await later.goto(app.url)
    await later.getByRole('tab', { name: 'Peers' }).click()
    await expect.poll(() => textOf(later.getByTestId('own-files')), { timeout: 5000 }).toBe('3 files')
    await expect.poll(() => textOf(mirrorCell(later, slowKey)), { timeout: 5000 }).toContain('3 files (1.5 MB) to come')

    // A large file put in this machine's folder shows on Transfers as preparing while it is
    // hashed (sparse: no disk behind it), and goes once peers can fetch it.
    await later.close()
    await page.setViewportSize({ width: 1280, height: 800 })
    alice.kill('SIGTERM')
    await page.getByRole('tab', { name: 'Transfers' }).click()
    writeFileSync(path.join(folder, 'big.iso'), '')
    truncateSync(path.join(folder, 'big.iso'), 1024 ** 3)
    const preparing = page.getByRole('progressbar', { name: 'Preparing big.iso' })
    await preparing.waitFor({ timeout: 15_000 })
    expect(await textOf(page.getByRole('list', { name: 'Preparing to share' }))).toMatch(/big\.iso\s*preparing.*of 1\.1 GB hashed/)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'transfers-preparing.png') })
    await preparing.waitFor({ state: 'detached', timeout: 30_000 })
    // Hashed, it is shared: this machine's folder counts it.
    await page.getByRole('tab', { name: 'Peers' }).click()
    await expect.poll(() => textOf(page.getByTestId('own-files')), { timeout: 5000 }).toBe('4 files')
    expect(problems).toEqual([])
    await context.close()
  }, 90_000)
})
