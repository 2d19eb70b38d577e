// The desktop app as a person uses it, in Debian's Chromium against the real headless app
// (`dropbox-sync app`) and real CLI servers and clients on 127.0.0.1: pick a role in Settings,
// Save, and watch peers come and go on the graph and in the list; a transfer in flight; settings
// that survive a restart. Screenshots of each screen: `SCREENSHOTS=docs npm test` refreshes docs/screenshots/.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../src/main/engine/identity/device-identity'
import { decodeInvite } from '../../src/main/engine/identity/invite'
import { Membership } from '../../src/main/engine/identity/membership'
import { browserSuite, expectPeersListFits, graphNodeOf, openPage, peerRowOf, saveSettings, SCREENSHOTS, startCliServer as startServer, textOf } from '../helpers/browser-suite'
import { inviteFor, runCli, type CliProcess } from '../helpers/cli'
import { startApp, stopApp, type RunningApp } from '../helpers/headless-app'
import { freePort } from '../helpers/ports'
import { FakePeer } from '../helpers/fake-peer'
import { tempDir } from '../helpers/temp'
import { knowServer } from '../helpers/test-identity'

/** The promise: a peer is on screen, or gone from it, within 2 s. */
const WITHIN = 2000

const suite = browserSuite()

/** `promise`, or a failure naming what did not happen within `ms` (a generous deadline, not a measurement). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

async function open(app: RunningApp): Promise<Page> {
  const { page, problems } = await openPage(suite.browser, app.url)
  await page.getByRole('tab', { name: 'Peers' }).waitFor()
  expect(problems).toEqual([])
  return page
}

async function startClient(serverPort: number): Promise<{ cli: CliProcess; key: string }> {
  const dir = tempDir('e2e-share-')
  writeFileSync(path.join(dir, 'hello.txt'), `hello from ${dir}\n`)
  const cli = runCli(['client', '-d', dir, '-p', '0', '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '2', '-b', '8'])
  const registered = await cli.waitFor('registered', {}, 15_000).catch((error: Error) => {
    throw new Error(`${error.message}; stderr: ${cli.stderr}`)
  })
  return { cli, key: `${registered.ip}:${registered.port}` }
}


function peerRow(page: Page, key: string) {
  return peerRowOf(page, key).getByRole('rowheader')
}

/** A peer's label on the graph: its name once known, so found by the address its node carries. */
function graphLabel(page: Page, key: string) {
  return graphNodeOf(page, key).locator('text')
}

async function expectPeerShown(page: Page, key: string): Promise<void> {
  await peerRow(page, key).waitFor({ state: 'visible', timeout: WITHIN })
  await graphLabel(page, key).first().waitFor({ state: 'visible', timeout: WITHIN })
}

/** A peer that left stays a few seconds, greyed, so it is seen to go: within 2 s it is offline. */
async function expectPeerGone(page: Page, key: string): Promise<void> {
  await peerRowOf(page, key, 'offline').waitFor({ state: 'visible', timeout: WITHIN })
  await graphNodeOf(page, key, 'offline').first().waitFor({ state: 'visible', timeout: WITHIN })
}

async function fillSettings(page: Page, values: Partial<Record<'Port' | 'Server address' | 'Server port' | 'Folder' | 'Workers' | 'Buffer slots' | 'Bandwidth limit (KiB/s)', string>>): Promise<void> {
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label, { exact: true }).fill(value)
}

async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  // Let the graph's fade-in finish.
  await page.waitForTimeout(600)
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage })
}

describe('the app in a browser', () => {
  it('as a client: peers appear on the graph and in the list within 2 s, leave within 2 s, and transfers show', async () => {
    const server = await startServer()
    const alice = await startClient(server.port)
    const app = await startApp(tempDir('e2e-config-'))
    const page = await open(app)
    await expect.poll(() => textOf(page.getByTestId('peers-empty'))).toContain('Settings')

    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Client', exact: true }).check()
    // Invalid values are refused next to their field, before anything is sent.
    await fillSettings(page, { 'Server address': '', Workers: '0' })
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await expect.poll(() => textOf(page.locator('#serverAddress-error'))).toContain("server's IP address")
    await expect.poll(() => textOf(page.locator('#workers-error'))).toContain('1 to 256')
    await expect.poll(() => page.getByLabel('Server address', { exact: true }).getAttribute('aria-invalid', { timeout: 250 })).toBe('true')

    const folder = tempDir('e2e-mine-')
    await fillSettings(page, { Port: '0', 'Server address': '127.0.0.1', 'Server port': String(server.port), Workers: '2', 'Buffer slots': '4' })
    // A limit far above what the test moves: set in KiB/s, said as Transfers will show it.
    await fillSettings(page, { 'Bandwidth limit (KiB/s)': '20480' })
    await expect.poll(async () => (await textOf(page.locator('#limitRateKiB-shown')))?.trim()).toBe('That is 21 MB/s as Transfers shows speeds.')
    // The page cannot open a folder dialog on the engine's machine: its own browser lists the folders there.
    await fillSettings(page, { Folder: path.dirname(folder) })
    await page.getByRole('button', { name: 'Browse for Folder' }).click()
    const browser = page.getByRole('dialog', { name: 'Browse for Folder' })
    await browser.getByRole('button', { name: path.basename(folder), exact: true }).click()
    await expect.poll(() => textOf(browser.locator('.browser-path'))).toBe(folder)
    await browser.getByRole('button', { name: 'Choose this folder' }).click()
    expect(await page.getByLabel('Folder', { exact: true }).inputValue()).toBe(folder)
    // Joined as a user does: the CLI server's invite (`dropbox-sync invite`) pasted in Settings.
    await page.getByLabel('Join with invite', { exact: true }).fill(inviteFor('127.0.0.1', server.port))
    await saveSettings(page)
    await app.cli.waitFor('registered', {}, 10_000)
    const ready = await app.cli.waitFor('ready', { role: 'client' })
    const appId = ready.id!
    expect(await server.cli.waitFor('member-added', { id: appId })).toMatchObject({ type: 'member-added' })
    // Settings no longer offers the invite as a pending one: it says this device used it.
    await expect.poll(() => textOf(page.locator('#invite-details'))).toContain('by this device to join this server')
    // The whole form, from the role to Save: it is taller than the window.
    await screenshot(page, 'settings', true)

    await page.getByRole('tab', { name: 'Peers' }).click()
    await expectPeerShown(page, alice.key)
    // This machine is named on the graph as the peers are: by its device name, where it is under it.
    const self = page.getByTestId('peer-graph').locator('g.node-self text')
    await expect.poll(() => self.allTextContents()).toEqual([ready.name, expect.stringMatching(/^this machine, 127\.0\.0\.1:\d+$/)])
    const bob = await startClient(server.port)
    await expectPeerShown(page, bob.key)

    // A peer whose file trickles in keeps a transfer in flight long enough to see it.
    const slow = new FakePeer([{ path: 'photos/big picture.jpg', content: randomBytes(1_500_000) }], {
      trickle: { chunkBytes: 25_000, everyMs: 100 },
    })
    suite.peers.push(slow)
    await slow.start()
    const slowKey = await slow.register(server.port)
    await expectPeerShown(page, slowKey)
    await page.getByRole('tab', { name: 'Transfers' }).click()
    // Named as the peer list names it: the device's name, its address beside it.
    const progress = page.getByRole('progressbar', { name: `photos/big picture.jpg from ${slow.identity!.name} (${slowKey})` })
    await progress.waitFor({ timeout: 10_000 })
    await expect.poll(async () => Number(await progress.getAttribute('value', { timeout: 250 }).catch(() => 0)), { timeout: 5000 }).toBeGreaterThan(0)
    await expect.poll(() => textOf(page.locator('.transfer-meta').first()), { timeout: 5000 }).toMatch(/B\/s.*left/)
    // The limit beside the count, in the units of the speeds.
    expect(await textOf(page.getByTestId('limit-rate'))).toBe('Bandwidth limit: 21 MB/s each way, over all peers (Settings)')
    // The ring and the workers are behind the Engine toggle, closed until opened.
    const engine = page.getByRole('button', { name: 'Engine' })
    expect(await engine.getAttribute('aria-expanded')).toBe('false')
    await engine.click()
    expect(await engine.getAttribute('aria-expanded')).toBe('true')
    await expect.poll(() => textOf(page.getByRole('list', { name: 'Workers' }))).toContain('big picture.jpg')
    await screenshot(page, 'transfers')
    // When it is done, the totals say so.
    await expect
      .poll(() => textOf(page.getByRole('table', { name: 'Totals per peer' }).getByRole('row', { name: new RegExp(slowKey.replace(/\./g, '\\.')) })), { timeout: 20_000 })
      .toMatch(/1.5 MB/)
    // Readable at 700 px too: the totals stay inside their card, not under the Engine panel beside it.
    await page.setViewportSize({ width: 700, height: 900 })
    const overflow = await page.getByRole('table', { name: 'Totals per peer' }).evaluate((table) => table.getBoundingClientRect().right - table.closest('.card')!.getBoundingClientRect().right)
    expect(overflow).toBeLessThanOrEqual(0)
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true)
    await page.setViewportSize({ width: 1280, height: 800 })

    // A peer whose shared folder goes away is drawn as waiting for it, and synced once it is back.
    await page.getByRole('tab', { name: 'Peers' }).click()
    slow.away = true
    slow.folderState(false)
    const slowIn = (state: string) => peerRowOf(page, slowKey, state)
    await slowIn('waiting').waitFor({ state: 'visible', timeout: WITHIN })
    await expect.poll(() => textOf(slowIn('waiting'))).toContain('folder away')
    await graphNodeOf(page, slowKey, 'waiting').first().waitFor({ timeout: WITHIN })
    await screenshot(page, 'peers')
    slow.away = false
    slow.folderState(true)
    await slowIn('synced').waitFor({ state: 'visible', timeout: WITHIN })
    bob.cli.kill('SIGTERM')
    await expectPeerGone(page, bob.key)
    alice.cli.kill('SIGKILL')
    await expectPeerGone(page, alice.key)
    await expectPeerShown(page, slowKey)

    await page.getByRole('tab', { name: 'Activity' }).click()
    const events = page.getByRole('list', { name: 'Events, newest first' })
    // Peers go by their device name, the address beside it: `NAME (IP:PORT) left`.
    await expect.poll(() => textOf(events.locator('li').first())).toContain(`(${alice.key}) left`)
    await screenshot(page, 'activity')
    await page.getByRole('combobox', { name: 'Show' }).selectOption({ label: 'Peers' })
    await page.getByRole('searchbox', { name: 'Filter' }).fill(bob.key)
    await expect.poll(() => events.locator('li').allTextContents()).toEqual([expect.stringContaining(`(${bob.key}) left (logged off)`), expect.stringContaining(`(${bob.key}) joined`)])
  }, 60_000)

  it('as the server: clients appear within 2 s and leave within 2 s; the settings survive a restart', async () => {
    const config = tempDir('e2e-config-')
    const port = await freePort()
    let app = await startApp(config)
    let page = await open(app)
    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Server', exact: true }).check()
    // Fields a server does not use are disabled, not left to confuse.
    for (const label of ['Server address', 'Server port', 'Folder', 'Mirror folder', 'Workers', 'Buffer slots', 'Rescan every (s)', 'Bandwidth limit (KiB/s)']) {
      expect(await page.getByLabel(label, { exact: true }).isDisabled()).toBe(true)
    }
    await fillSettings(page, { Port: String(port) })
    await saveSettings(page)
    // The CLI clients join with invites made in the app's config folder, where its members live.
    knowServer(port, config)

    await page.getByRole('tab', { name: 'Peers' }).click()
    await expect.poll(() => textOf(page.getByTestId('peers-empty'))).toContain(String(port))
    const alice = await startClient(port)
    await expectPeerShown(page, alice.key)
    const bob = await startClient(port)
    await expectPeerShown(page, bob.key)
    bob.cli.kill('SIGTERM')
    await expectPeerGone(page, bob.key)

    // Restart the app on the same settings folder: same role and port, running, alice back on screen.
    expect(await stopApp(app)).toBe(0)
    await page.context().close()
    app = await startApp(config)
    page = await open(app)
    await expect.poll(() => textOf(page.getByRole('status').first()), { timeout: 5000 }).toContain('Server running')
    await page.getByRole('tab', { name: 'Settings' }).click()
    expect(await page.getByRole('radio', { name: 'Server', exact: true }).isChecked()).toBe(true)
    expect(await page.getByLabel('Port', { exact: true }).inputValue()).toBe(String(port))
    await page.getByRole('tab', { name: 'Peers' }).click()
    // The client reconnects by itself to the restarted server (backoff capped at 2 s).
    await peerRow(page, alice.key).waitFor({ timeout: 10_000 })
  })

  it("as the server: shows this device's ID, invites a device, and a join request is accepted in the page", async () => {
    const config = tempDir('e2e-config-')
    const port = await freePort()
    const app = await startApp(config)
    const page = await open(app)
    await page.getByRole('tab', { name: 'Settings' }).click()
    // The ID is made at the app's start in its config folder: the same one `dropbox-sync id` prints.
    const identity = await loadOrCreateIdentity(config)
    await expect.poll(() => page.getByLabel("This device's ID", { exact: true }).inputValue({ timeout: 250 }).catch(() => '')).toBe(identity.idText)
    await page.getByRole('button', { name: "Copy this device's ID" }).waitFor()
    await page.getByRole('radio', { name: 'Server', exact: true }).check()
    await page.getByLabel('Device name', { exact: true }).fill('office server')
    await fillSettings(page, { Port: String(port) })
    await saveSettings(page)

    await page.getByRole('tab', { name: 'Members' }).click()
    await page.getByRole('button', { name: 'Invite a device' }).click()
    const inviteText = page.getByLabel('Invite', { exact: true })
    await expect.poll(() => inviteText.inputValue({ timeout: 250 }).catch(() => '')).toMatch(/^dbs1-/)
    const invite = await inviteText.inputValue()
    const decoded = decodeInvite(invite, Math.floor(Date.now() / 1000))
    if (!decoded.ok) throw new Error(decoded.message)
    expect(Buffer.from(decoded.invite.serverId).equals(identity.id)).toBe(true)
    expect(decoded.invite.addresses.at(-1)).toEqual({ host: '127.0.0.1', port })
    await page.getByRole('button', { name: 'Copy the invite' }).waitFor()
    await expect.poll(() => textOf(page.locator('#invite-valid'))).toContain(`127.0.0.1:${port}`)

    // A device asks to join (the registry records it so): it shows up without a reload, and is accepted here.
    const members = await Membership.open(config)
    const device = randomBytes(32)
    await members.request(device, 'bob laptop', '127.0.0.1:50123')
    const accept = page.getByRole('button', { name: 'Accept bob laptop' })
    await accept.waitFor({ timeout: WITHIN })
    await page.getByRole('button', { name: 'Refuse bob laptop' }).waitFor()
    await screenshot(page, 'members')
    await accept.click()
    await expect.poll(() => members.get(device)?.state, { timeout: WITHIN }).toBe('member')
    await page.getByRole('button', { name: 'Remove bob laptop' }).waitFor({ timeout: WITHIN })
    // A change made from a terminal shows up too.
    await members.remove(device)
    await page.getByRole('table', { name: 'Members' }).locator('tr.member-removed', { hasText: 'bob laptop' }).waitFor({ timeout: WITHIN })
    await page.getByRole('tab', { name: 'Activity' }).click()
    await expect.poll(() => page.getByRole('list', { name: 'Events, newest first' }).locator('li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('bob laptop'), expect.stringContaining('asks to join from 127.0.0.1:50123')]),
    )

    // On a client, the pasted invite says where it leads before anything is saved.
    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Client', exact: true }).check()
    await page.getByLabel('Join with invite', { exact: true }).fill(invite)
    await expect.poll(() => textOf(page.locator('#invite-details'))).toContain(identity.idText.slice(0, 7))
    await expect.poll(() => textOf(page.locator('#invite-details'))).toContain(`127.0.0.1:${port}`)
    await page.getByLabel('Join with invite', { exact: true }).fill(`${invite.slice(0, -1)}${invite.endsWith('a') ? 'b' : 'a'}`)
    await expect.poll(() => textOf(page.locator('#invite-details'))).toContain('mistyped')
  }, 60_000)

  it('the peer list stays readable at 700 px: no cell clipped, "offline (logged off)" whole', async () => {
    const port = await freePort()
    const config = tempDir('e2e-config-')
    const app = await startApp(config)
    const page = await open(app)
    await page.setViewportSize({ width: 700, height: 900 })
    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Server', exact: true }).check()
    await fillSettings(page, { Port: String(port) })
    await saveSettings(page)
    knowServer(port, config)
    await page.getByRole('tab', { name: 'Peers' }).click()
    const alice = await startClient(port)
    const bob = await startClient(port)
    await expectPeerShown(page, alice.key)
    await expectPeerShown(page, bob.key)
    bob.cli.kill('SIGTERM')
    await expectPeerGone(page, bob.key)
    const gone = peerRowOf(page, bob.key)
    await expect.poll(() => textOf(gone)).toContain('offline (logged off)')

    // Every cell of the list shows all it holds, from 1280 px down to 700: nothing wider than its box.
    await expectPeersListFits(page, [1280, 1000, 860, 700], 3 * 3)
    await screenshot(page, 'peers-700', true)
  }, 60_000)

  it('as the server: a CLI client asks to join, is accepted in the page and registers, then removed in the page: it stops and is refused after', async () => {
    const config = tempDir('e2e-config-')
    const port = await freePort()
    const app = await startApp(config)
    const page = await open(app)
    await page.getByRole('tab', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'Server', exact: true }).check()
    await fillSettings(page, { Port: String(port) })
    await saveSettings(page)
    const serverId = (await app.cli.waitFor('ready', { role: 'server' })).id!
    // `app --config DIR`: the server engine's identity and members are in DIR, not the default folder.
    expect(serverId).toBe((await loadOrCreateIdentity(config)).idText)

    // No invite: the device names the server it expects and waits for the operator.
    const share = tempDir('e2e-asking-')
    const deviceConfig = tempDir('e2e-asking-config-')
    const clientArgs = ['client', '-d', share, '-p', '0', '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '1', '--config', deviceConfig, '--name', 'cli laptop']
    const asking = runCli([...clientArgs, '--server-id', serverId])
    const deviceId = (await asking.waitFor('ready')).id!
    await asking.waitFor('error', { code: 'join-pending' }, 10_000)
    await page.getByRole('tab', { name: 'Members' }).click()
    const accept = page.getByRole('button', { name: 'Accept cli laptop' })
    await accept.waitFor({ timeout: 10_000 })
    expect(asking.find('registered')).toBeUndefined()
    await accept.click()
    const registered = await asking.waitFor('registered', {}, 10_000)
    expect(registered.server).toBe(`127.0.0.1:${port}`)
    expect(await app.cli.waitFor('member-added', { id: deviceId })).toMatchObject({ name: 'cli laptop' })
    await app.cli.waitFor('peer-joined', { id: deviceId })

    await page.getByRole('button', { name: 'Remove cli laptop' }).click()
    await page.getByRole('table', { name: 'Members' }).locator('tr.member-removed', { hasText: 'cli laptop' }).waitFor({ timeout: 10_000 })
    // Told why, and it stops instead of retrying: exit 1.
    expect(await asking.waitFor('removed', {}, 10_000)).toMatchObject({ message: expect.stringContaining('removed') })
    expect(await within(asking.exited, 10_000, 'the removed client to exit')).toEqual({ code: 1, signal: null })
    expect(await app.cli.waitFor('peer-left', { id: deviceId })).toMatchObject({ reason: 'removed' })
    const members = await Membership.open(config)
    expect(members.list()).toEqual([expect.objectContaining({ name: 'cli laptop', state: 'removed' })])
    members.close()

    // Started again on its saved membership, it is turned away at once.
    const again = runCli(clientArgs)
    await again.waitFor('removed', {}, 10_000)
    expect(again.find('registered')).toBeUndefined()
    expect(await within(again.exited, 10_000, 'the refused client to exit')).toEqual({ code: 1, signal: null })
    // Activity shows each step once.
    await page.getByRole('tab', { name: 'Activity' }).click()
    await expect.poll(() => page.getByRole('list', { name: 'Events, newest first' }).locator('li', { hasText: 'cli laptop' }).count()).toBeGreaterThanOrEqual(3)
  }, 90_000)

  it('refuses the page and the socket without the token', async () => {
    const app = await startApp(tempDir('e2e-config-'))
    const base = new URL(app.url)
    const withoutToken = `${base.origin}/`
    expect((await fetch(withoutToken)).status).toBe(401)
    expect((await fetch(`${base.origin}/?token=wrong`)).status).toBe(401)
    expect((await fetch(app.url)).status).toBe(200)
    const context = await suite.browser.newContext()
    const page = await context.newPage()
    const response = await page.goto(withoutToken)
    expect(response?.status()).toBe(401)
    expect(await page.textContent('body')).toContain('401')
    await context.close()
  })
})
