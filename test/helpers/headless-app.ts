// The headless desktop app as a user starts it (`dropbox-sync app --ui 127.0.0.1:0 --config DIR
// --json`), and Debian's Chromium to look at it.
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { ensureRendererBuild, projectRoot } from '../../src/main/app/headless/renderer-build'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'
import { inviteFor, runCli, type CliProcess } from './cli'
import { tempDir } from './temp'

export const CHROMIUM = '/usr/bin/chromium'

export interface RunningApp {
  cli: CliProcess
  url: string
}

/** Builds the window once up front, so no app start in a test pays for it. */
export async function buildWindow(): Promise<void> {
  await ensureRendererBuild(projectRoot(), (text) => process.stderr.write(text))
}

export async function startApp(configDir: string, timeoutMs = 20_000, extraArgs: string[] = []): Promise<RunningApp> {
  const cli = runCli(['app', '--ui', '127.0.0.1:0', '--config', configDir, ...extraArgs])
  const line = () => cli.stdoutLines.find((l) => l.startsWith('{"type":"ui"'))
  await cli.until(() => line() !== undefined || cli.child.exitCode !== null, timeoutMs, 'the app to print its URL')
  const found = line()
  if (!found) throw new Error(`the app exited without a URL: ${cli.stderr}`)
  return { cli, url: (JSON.parse(found) as { url: string }).url }
}

/**
 * The app as a client of the CLI server at `serverPort`, sharing `folder`, set up by its settings
 * file as Settings would save it (the Settings screen has its own tests); once it has registered.
 */
export async function startHeadlessClientApp(serverPort: number, folder: string, fields: Partial<Settings> = {}): Promise<{ app: RunningApp; key: string }> {
  const config = tempDir('e2e-config-')
  const settings = { ...DEFAULT_SETTINGS, role: 'client', listenAddress: '127.0.0.1', serverAddress: '127.0.0.1', serverPort, folder, invite: inviteFor('127.0.0.1', serverPort), ...fields }
  writeFileSync(path.join(config, 'config.json'), JSON.stringify(settings))
  const app = await startApp(config)
  const registered = await app.cli.waitFor('registered', {}, 15_000)
  return { app, key: `${registered.ip}:${registered.port}` }
}

export async function stopApp(app: RunningApp): Promise<number | null> {
  app.cli.kill('SIGTERM')
  return (await app.cli.exited).code
}

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}
