// The frame of a browser test file: the window built and Debian's Chromium launched once, each
// test's CLI processes, fake peers and temp folders gone after it, and the app opened in a page.
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { killAll, runCli, type CliProcess } from './cli'
import type { FakePeer } from './fake-peer'
import { buildWindow, launchChromium } from './headless-app'
import { fileTempDir, removeTempDirs } from './temp'

// The README's pictures are refreshed on request (SCREENSHOTS=docs), so a test run leaves the
// checkout clean; otherwise they go to a temp folder, still taken (a screen that cannot render fails).
export const SCREENSHOTS =
  process.env['SCREENSHOTS'] === 'docs' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : fileTempDir('dbs-screens-')

export interface BrowserSuite {
  /** Chromium, launched before the file's first test. */
  readonly browser: Browser
  /** Fake peers a test started: stopped after it, before its CLI processes. */
  readonly peers: FakePeer[]
}

/** Registers the file's hooks; call it once at the top of a browser test file. */
export function browserSuite(): BrowserSuite {
  let browser: Browser | undefined
  const peers: FakePeer[] = []
  beforeAll(async () => {
    await buildWindow()
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.stop()
    killAll()
    removeTempDirs()
  })
  return {
    get browser(): Browser {
      if (!browser) throw new Error('Chromium is not launched: use the suite inside a test')
      return browser
    },
    peers,
  }
}

export interface OpenedPage {
  context: BrowserContext
  page: Page
  /** The page's uncaught errors, as they happen: a test ends expecting none. */
  problems: string[]
}

/** The app's page in a fresh browser context, loaded. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 800 }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  await page.goto(url)
  return { context, page, problems }
}

/** The text of an element, or null while it is not there (for polling). */
/**
 * A peer's row in the Peers list (in `state` if given), by its address: its header reads
 * "NAME (ADDRESS)", or the address alone.
 */
export function peerRowOf(page: Page, key: string, state?: string): Locator {
  const address = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const table = page.getByRole('table', { name: 'Peers' })
  const rows = state ? table.locator(`tr.peer-${state}`) : table.getByRole('row')
  return rows.filter({ has: page.getByRole('rowheader', { name: new RegExp(`(^|\\()${address}\\)?$`) }) })
}

/** A peer's node on the graph (in `state` if given), by the address it carries: its label is the device's name. */
export function graphNodeOf(page: Page, key: string, state?: string): Locator {
  return page.getByTestId('peer-graph').locator(`g.node${state ? `.node-${state}` : ''}[data-peer="${key}"]`)
}

export function textOf(locator: Locator): Promise<string | null> {
  return locator.first().textContent({ timeout: 250 }).catch(() => null)
}

/** Presses Settings' Save and waits until the page says the engine runs with them; else fails with what the page says. */
export async function saveSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await page
    .getByText('Saved. The engine runs with these settings.')
    .waitFor({ timeout: 15_000 })
    .catch(async (error: Error) => {
      throw new Error(`${error.message}\nthe page says: ${await page.locator('main').innerText({ timeout: 1000 }).catch(() => '?')}`)
    })
}

/** Fails unless every cell of the Peers list (`cells` of them) shows all it holds at each width, and the page does not scroll sideways. */
export async function expectPeersListFits(page: Page, widths: number[], cells: number): Promise<void> {
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 })
    const found = await page.getByRole('table', { name: 'Peers' }).locator('th, td').evaluateAll((nodes) =>
      nodes.map((node) => ({ text: node.textContent?.trim() ?? '', scroll: node.scrollWidth, client: node.clientWidth })),
    )
    expect(found.length).toBe(cells)
    expect({ width, clipped: found.filter((cell) => cell.scroll > cell.client) }).toEqual({ width, clipped: [] })
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true)
  }
}

/** A CLI server on 127.0.0.1 (a free port unless one is given), once it is ready. */
export async function startCliServer(port = 0): Promise<{ cli: CliProcess; port: number }> {
  const cli = runCli(['server', '-p', String(port), '--host', '127.0.0.1'])
  return { cli, port: (await cli.waitFor('ready')).port }
}
