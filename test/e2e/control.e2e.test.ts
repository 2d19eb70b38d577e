// Pause, Resume, Rescan now, Open folder and Confirm as a person uses them: Debian's Chromium on
// the real headless app (`dropbox-sync app`) running a client, beside real CLI clients on
// 127.0.0.1. A witness client mirrors the same sender, so "held" is seen against a file that did
// arrive elsewhere, not against a wait.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, type CliProcess } from '../helpers/cli'
import { browserSuite, openPage, peerRowOf, SCREENSHOTS, startCliServer } from '../helpers/browser-suite'
import { startHeadlessClientApp } from '../helpers/headless-app'
import { expectMirrored } from '../helpers/mirror-clients'
import { writeThroughMmap } from '../helpers/mmap'
import { tempDir } from '../helpers/temp'
import { peerFolderName } from '../helpers/tree'

/** Files the sender deletes at once: the engine's default hold starts at 1,000 (and over half). */
const BULK = 1000
const suite = browserSuite()

interface Peer {
  cli: CliProcess
  dir: string
  key: string
  port: number
  /** As its row names it: its device name, its address beside it. */
  label: string
}

async function startPeer(serverPort: number, dir: string): Promise<Peer> {
  const cli = runCli(['client', '-d', dir, '-p', '0', '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '2'])
  const registered = await cli.waitFor('registered', {}, 15_000)
  const { name } = await cli.waitFor('ready')
  const key = `${registered.ip}:${registered.port}`
  return { cli, dir, key, port: registered.port, label: `${String(name)} (${key})` }
}

function fileSyncs(cli: CliProcess, peer: string, rel: string): number {
  return cli.events.filter((e) => e.type === 'file-synced' && e.peer === peer && e.path === rel).length
}

describe('controlling the client from the app', () => {
  it('pause holds transfers until resume (the whole client, then one peer), rescan finds a hidden change, open folder shows the path, confirm applies a held mass delete', async () => {
    const { port: serverPort } = await startCliServer()
    const senderDir = tempDir('e2e-ctl-sender-')
    mkdirSync(path.join(senderDir, 'bulk'))
    for (let i = 0; i < BULK; i++) writeFileSync(path.join(senderDir, 'bulk', `${String(i).padStart(4, '0')}.txt`), `file ${i}\n`)
    writeFileSync(path.join(senderDir, 'hello.txt'), 'hello\n')
    const sender = await startPeer(serverPort, senderDir)
    const witnessDir = tempDir('e2e-ctl-witness-')
    writeFileSync(path.join(witnessDir, 'witness.txt'), 'witness\n')
    const witness = await startPeer(serverPort, witnessDir)

    // The app, set up as a client by its settings file (the Settings screen has its own tests).
    const folder = tempDir('e2e-ctl-mine-')
    writeFileSync(path.join(folder, 'db.bin'), 'a'.repeat(64))
    const { app, key: appKey } = await startHeadlessClientApp(serverPort, folder, { workers: 2 })
    await app.cli.waitFor('peer-synced', { peer: sender.key }, 30_000)
    await app.cli.waitFor('peer-synced', { peer: witness.key }, 15_000)
    const senderMirror = path.join(`${folder}-mirrors`, peerFolderName(sender.port))

    const { page } = await openPage(suite.browser, app.url)
    const status = page.getByRole('status').filter({ hasText: 'Client' }).first()
    const row = (key: string) => peerRowOf(page, key)
    await row(sender.key).waitFor()

    // The whole client: paused, it says so everywhere, also in a window opened afterwards.
    await page.getByRole('button', { name: 'Pause syncing' }).click()
    await app.cli.waitFor('paused')
    await page.reload()
    await expect.poll(() => status.textContent()).toContain('Client paused')
    await expect.poll(() => row(sender.key).textContent()).toContain('paused (all)')
    writeFileSync(path.join(senderDir, 'while-paused.txt'), 'made while paused\n')
    await witness.cli.waitFor('file-synced', { peer: sender.key, path: 'while-paused.txt' }, 15_000)
    expect(existsSync(path.join(senderMirror, 'while-paused.txt'))).toBe(false)
    await page.getByRole('button', { name: 'Resume syncing' }).click()
    await app.cli.waitFor('file-synced', { peer: sender.key, path: 'while-paused.txt' }, 15_000)
    await expect.poll(() => status.textContent()).not.toContain('paused')

    // One peer, from its row: the other peer's files keep coming.
    await row(sender.key).getByRole('button', { name: `Pause mirroring ${sender.label}` }).click()
    await expect.poll(() => row(sender.key).locator('.peer-paused').textContent()).toBe('paused')
    writeFileSync(path.join(senderDir, 'peer-paused.txt'), 'made while its mirror is paused\n')
    writeFileSync(path.join(witnessDir, 'from-witness.txt'), 'still mirrored\n')
    await app.cli.waitFor('file-synced', { peer: witness.key, path: 'from-witness.txt' }, 15_000)
    await witness.cli.waitFor('file-synced', { peer: sender.key, path: 'peer-paused.txt' }, 15_000)
    expect(existsSync(path.join(senderMirror, 'peer-paused.txt'))).toBe(false)
    await row(sender.key).getByRole('button', { name: `Resume mirroring ${sender.label}` }).click()
    await app.cli.waitFor('file-synced', { peer: sender.key, path: 'peer-paused.txt' }, 15_000)
    await expect.poll(() => row(sender.key).locator('.peer-paused').count()).toBe(0)

    // Open folder: a browser cannot open one on the engine's machine, so the path is shown, with Copy.
    await row(sender.key).getByRole('button', { name: `Open the mirror of ${sender.label}` }).click()
    await expect.poll(() => row(sender.key).locator('.folder-path').textContent()).toBe(senderMirror)
    await row(sender.key).getByRole('button', { name: `Copy the path of the mirror of ${sender.label}` }).waitFor()
    await page.getByRole('button', { name: 'Open the shared folder' }).click()
    await expect.poll(() => page.locator('.client-controls .folder-path').textContent()).toBe(folder)

    // Rescan now: a write no watch reports (through a memory mapping) reaches the peers.
    writeThroughMmap(path.join(folder, 'db.bin'), 'MAPPED')
    await page.getByRole('button', { name: 'Rescan now' }).click()
    await sender.cli.until(() => fileSyncs(sender.cli, appKey, 'db.bin') === 2, 15_000, 'the mapped write mirrored at the sender')

    // A mass delete at the sender is held in the app's mirror until confirmed in the page.
    rmSync(path.join(senderDir, 'bulk'), { recursive: true })
    const confirm = page.getByRole('button', { name: new RegExp(`^Confirm the deletions of .*\\(${sender.key.replace(/\./g, '\\.')}\\)$`) })
    await confirm.waitFor({ timeout: 15_000 })
    // Counts read with the page's own thousands separators.
    const count = (n: number) => page.evaluate(`new Intl.NumberFormat().format(${n})`) as Promise<string>
    const [bulk, total] = [await count(BULK), await count(BULK + 3)]
    await expect.poll(() => page.getByRole('list', { name: 'Deletions held' }).textContent()).toContain(`deleted ${bulk} of its ${total} files at once`)
    // The whole burst is held, however many batches it came in: the mirror still has every file.
    const held = [...app.cli.events].reverse().find((e) => e.type === 'mass-delete')
    expect(held).toMatchObject({ peer: sender.key, files: BULK, held: BULK, total: BULK + 3 })
    expect(readdirSync(path.join(senderMirror, 'bulk'))).toHaveLength(BULK)
    await expect.poll(() => row(sender.key).textContent()).toContain(`${bulk} deletions held`)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'control.png') })
    await confirm.click()
    await expectMirrored(senderDir, senderMirror, 15_000)
    await page.getByRole('list', { name: 'Deletions held' }).waitFor({ state: 'detached' })
    expect(app.cli.find('mass-delete-cleared', { peer: sender.key })).toMatchObject({ confirmed: true })
  }, 120_000)
})
