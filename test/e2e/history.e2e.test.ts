// The History screen and the ignore editor in Debian's Chromium against the real headless app
// (`dropbox-sync app`) beside a CLI server and a CLI client on 127.0.0.1: patterns saved in
// Settings take a file out of the peer's mirror; a file the peer deletes is restored from History
// into a folder browsed on the engine's machine, with identical bytes, and never into the mirror.
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { inviteFor, runCli } from '../helpers/cli'
import { browserSuite, openPage, saveSettings, SCREENSHOTS, startCliServer, textOf } from '../helpers/browser-suite'
import { startApp } from '../helpers/headless-app'
import { expectMirrorHolds, write } from '../helpers/mirror-clients'
import { tempDir } from '../helpers/temp'

const suite = browserSuite()

/** The one peer mirror in a mirror root, once it is there. */
async function onlyMirror(root: string): Promise<string> {
  await expect.poll(() => (existsSync(root) ? readdirSync(root).filter((n) => n !== '.dropbox-sync') : []), { timeout: 15_000 }).toHaveLength(1)
  return path.join(root, readdirSync(root).find((n) => n !== '.dropbox-sync')!)
}

describe('History and ignore patterns in a browser', () => {
  it('patterns saved in Settings leave the peer’s mirror; a file the peer deleted is restored from History into a browsed folder', async () => {
    const { port: serverPort } = await startCliServer()
    const peerDir = tempDir('e2e-hist-peer-')
    const report = randomBytes(250_000)
    write(peerDir, 'docs/report.bin', report)
    write(peerDir, 'other.txt', 'stays\n')
    const peer = runCli(['client', '-d', peerDir, '-p', '0', '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '2', '-b', '8'])
    const peerKey = `127.0.0.1:${(await peer.waitFor('registered', {}, 15_000)).port}`
    const peerName = (await peer.waitFor('ready', {})).name

    const mine = tempDir('e2e-hist-mine-')
    write(mine, 'keep.txt', 'kept\n')
    write(mine, 'notes.log', 'a log\n')
    const app = await startApp(tempDir('e2e-hist-config-'))
    const { context, page, problems } = await openPage(suite.browser, app.url, { width: 1280, height: 900 })

    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Client', exact: true }).check()
    await page.getByLabel('Server address', { exact: true }).fill('127.0.0.1')
    await page.getByLabel('Server port', { exact: true }).fill(String(serverPort))
    await page.getByLabel('Folder', { exact: true }).fill(mine)
    await page.getByLabel('Workers', { exact: true }).fill('2')
    await page.getByLabel('Keep history (days)', { exact: true }).fill('7')
    await page.getByLabel('Join with invite', { exact: true }).fill(inviteFor('127.0.0.1', serverPort))
    await saveSettings(page)
    await app.cli.waitFor('peer-synced', { peer: peerKey }, 20_000)
    const peerMirror = await onlyMirror(`${peerDir}-mirrors`)
    await expectMirrorHolds(mine, peerMirror, ['keep.txt', 'notes.log'])

    // The ignore editor: the built-in list read-only, a skipped line named at once, then Save patterns.
    const patterns = page.getByLabel('Patterns in .syncignore', { exact: true })
    await patterns.waitFor()
    expect(await page.getByLabel('Built-in patterns (read-only)', { exact: true }).inputValue()).toContain('.DS_Store')
    await patterns.fill('*.log\n!\n')
    await expect.poll(() => textOf(page.locator('#ignore-problem'))).toContain('Line 2 ("!")')
    expect(await page.getByRole('button', { name: 'Save patterns' }).isDisabled()).toBe(true)
    await patterns.fill('*.log\n')
    await page.getByRole('button', { name: 'Save patterns' }).click()
    await page.getByText('Saved. The engine uses these patterns now.').waitFor({ timeout: 10_000 })
    expect(readFileSync(path.join(mine, '.syncignore'), 'utf8')).toBe('*.log\n')
    await expectMirrorHolds(mine, peerMirror, ['keep.txt'])
    await page.locator('.ignore-editor').screenshot({ path: path.join(SCREENSHOTS, 'ignore-patterns.png') })

    // The peer deletes a file; History lists it.
    rmSync(path.join(peerDir, 'docs', 'report.bin'))
    await app.cli.waitFor('file-removed', { path: 'docs/report.bin' }, 15_000)
    await page.getByRole('tab', { name: 'History' }).click()
    await expect.poll(() => textOf(page.locator('.summary'))).toContain('kept for 7 days')
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'docs/report.bin', exact: true }) })
    // Its index is written a moment after the deletion: Refresh until it is there.
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click()
        return row.count()
      }, { timeout: 10_000 })
      .toBe(1)
    await expect.poll(() => textOf(row)).toMatch(/deleted.*250 KB/)
    // The mirror is picked by its peer, named as elsewhere; its folder (NAME-SHORTID) is said under it.
    const mirrorName = path.basename(await onlyMirror(`${mine}-mirrors`))
    await expect.poll(() => textOf(page.getByRole('combobox', { name: /^Mirror/ }).locator('option:checked')).then((text) => text?.trim())).toBe(`${peerName} (${peerKey}): 1 kept, 250 KB`)
    expect((await textOf(page.locator('.history-folder')))?.trim()).toBe(`Its mirror folder: ${mirrorName} in ${mine}-mirrors`)

    // Into the mirror: the screen says why not, before and after.
    const restoreButton = page.getByRole('button', { name: /^Restore docs\/report\.bin \(/ })
    await restoreButton.click()
    const panel = page.getByRole('region', { name: /^Restore docs\/report\.bin/ })
    await expect.poll(() => textOf(panel.locator('#restore-where'))).toMatch(/removed again by the next sync/)
    const mirrorOfPeer = path.join(`${mine}-mirrors`, readdirSync(`${mine}-mirrors`).find((n) => n !== '.dropbox-sync')!)
    await panel.getByLabel('Restore into', { exact: true }).fill(mirrorOfPeer)
    await panel.getByRole('button', { name: 'Restore', exact: true }).click()
    await expect.poll(() => textOf(panel.getByRole('alert'))).toMatch(/inside the mirror folder/)
    expect(existsSync(path.join(mirrorOfPeer, 'report.bin'))).toBe(false)

    // A folder browsed on the engine's machine (the page has no native dialog).
    const target = tempDir('e2e-hist-restored-')
    await panel.getByLabel('Restore into', { exact: true }).fill(path.dirname(target))
    await panel.getByRole('button', { name: 'Browse for the folder to restore into' }).click()
    const browse = page.getByRole('dialog', { name: 'Browse for the folder to restore into' })
    await browse.getByRole('button', { name: path.basename(target), exact: true }).click()
    await expect.poll(() => textOf(browse.locator('.browser-path'))).toBe(target)
    await browse.getByRole('button', { name: 'Choose this folder' }).click()
    expect(await panel.getByLabel('Restore into', { exact: true }).inputValue()).toBe(target)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'history.png') })
    await panel.getByRole('button', { name: 'Restore', exact: true }).click()
    await expect.poll(() => textOf(page.locator('.history-view [role="status"].ok'))).toBe(`Restored docs/report.bin to ${path.join(target, 'report.bin')}.`)
    expect(readFileSync(path.join(target, 'report.bin')).equals(report)).toBe(true)
    expect(readdirSync(target)).toEqual(['report.bin'])
    // The keyboard is back on that version's Restore… button.
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toMatch(/^Restore docs\/report\.bin \(/)

    // In a 500 px window the path keeps a line of its own, why, when and the size under it: the
    // columns beside it left the path a few pixels, one letter a line.
    await page.setViewportSize({ width: 500, height: 900 })
    const pathCell = page.locator('th.history-path').filter({ hasText: 'docs/report.bin' })
    expect(await pathCell.locator('.mono').evaluate((span) => span.getClientRects().length)).toBe(1)
    await expect.poll(() => textOf(pathCell.locator('.history-meta'))).toMatch(/^deleted · .+ · 250 KB$/)
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'history-500.png') })
    expect(problems).toEqual([])
    await context.close()
  }, 120_000)
})
