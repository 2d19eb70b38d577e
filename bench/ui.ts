// UI benchmark (issue 5): 200 protocol-level clients join, in one burst, the registry run by the
// headless app (`dropbox-sync app`, server role); the page in Debian's Chromium shows them. Measures
// the time from the burst until all 200 are in the Peers list and on the graph, and the page's
// longest frame (requestAnimationFrame gaps) and longest task while it happens. Protocol 4: each
// client is a device of its own (certificate made before the clock starts), a member of the
// app's server (its store written before the app starts), over mutual TLS: HELLO, JOIN, LOG_ON.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { TLSSocket } from 'node:tls'
import { loadOrCreateIdentity } from '../src/main/engine/identity/device-identity'
import { encodeMessage } from '../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../src/main/engine/protocol/constants'
import { addMembers, dial, makeDevices, type BenchDevice } from './devices'

const PEERS = Number(process.env['BENCH_UI_PEERS'] ?? 200)
const ROUNDS = 3
// This file runs bundled from out/bench/.
const BIN = new URL('../../bin/dropbox-sync.mjs', import.meta.url).pathname

/** What the page code below uses of the browser (this file compiles without DOM typings). */
interface PageGlobals {
  benchFrames: number[]
  benchTasks: number[]
  document: { querySelectorAll(selector: string): { length: number } }
  requestAnimationFrame(callback: (now: number) => void): void
  PerformanceObserver: new (callback: (list: { getEntries(): Array<{ duration: number }> }) => void) => { observe(options: { type: string }): void }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function startApp(configDir: string): Promise<{ app: ChildProcess; url: string }> {
  const app = spawn(process.execPath, [BIN, 'app', '--ui', '127.0.0.1:0', '--config', configDir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let pending = ''
    app.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text
      const line = pending.split('\n').find((l) => l.startsWith('{"type":"ui"'))
      if (line) resolve({ app, url: (JSON.parse(line) as { url: string }).url })
    })
    app.once('exit', () => reject(new Error('the app exited before printing its URL')))
  })
}

function join(port: number, serverId: Buffer, device: BenchDevice, peerPort: number): TLSSocket {
  const socket = dial(port, serverId, device, () => {
    socket.write(
      Buffer.concat([
        encodeMessage({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: device.name }),
        encodeMessage({ type: 'JOIN', token: Buffer.alloc(0) }),
        encodeMessage({ type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: peerPort } }),
      ]),
    )
  })
  socket.on('data', () => {})
  socket.on('error', () => {})
  return socket
}

export async function benchUi(): Promise<Array<[string, string, string]>> {
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-ui-'))
  const registryPort = await freePort()
  // Set up as a server before the start, as a user would have saved it.
  writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ role: 'server', port: registryPort }))
  // The app's identity (the server's, pinned by the clients) and its members, before it starts.
  const serverId = (await loadOrCreateIdentity(configDir)).id
  const { devices } = await makeDevices(PEERS * ROUNDS, 'bench-ui')
  await addMembers(configDir, devices)
  const { app, url } = await startApp(configDir)
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const sockets: TLSSocket[] = []
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(url)
    await page.getByTestId('peers-empty').waitFor()
    // Frame gaps and long tasks from here on. (These functions run in the page.)
    await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals
      g.benchFrames = []
      g.benchTasks = []
      new g.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) g.benchTasks.push(entry.duration)
      }).observe({ type: 'longtask' })
      let last = performance.now()
      const tick = (now: number): void => {
        g.benchFrames.push(now - last)
        last = now
        g.requestAnimationFrame(tick)
      }
      g.requestAnimationFrame(tick)
    })
    const rounds: Array<{ onScreenMs: number; longestFrame: number; longestTask: number }> = []
    for (let round = 0; round < ROUNDS; round++) {
      await page.waitForTimeout(300)
      await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals
        g.benchFrames.length = 0
        g.benchTasks.length = 0
      })
      const t0 = performance.now()
      for (let i = 0; i < PEERS; i++) sockets.push(join(registryPort, serverId, devices[round * PEERS + i]!, 20000 + round * PEERS + i))
      await page.waitForFunction(
        (n) => {
          const { document } = globalThis as unknown as PageGlobals
          return (
            document.querySelectorAll('table[aria-label="Peers"] tbody tr').length === n &&
            document.querySelectorAll('[data-testid="peer-graph"] .node:not(.node-self)').length === n
          )
        },
        PEERS,
        { polling: 'raf', timeout: 30_000 },
      )
      const onScreenMs = performance.now() - t0
      // Let the last frames settle inside the measured window.
      await page.waitForTimeout(500)
      const { frames, tasks } = await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals
        return { frames: g.benchFrames, tasks: g.benchTasks }
      })
      rounds.push({ onScreenMs, longestFrame: Math.max(...frames), longestTask: tasks.length ? Math.max(...tasks) : 0 })
      // Everyone leaves; the next round starts from an empty screen.
      for (const socket of sockets.splice(0)) socket.destroy()
      await page.getByTestId('peers-empty').waitFor({ timeout: 30_000 })
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    const cell = (values: number[]): string => `${Math.round(median(values))} ms (max ${Math.round(Math.max(...values))})`
    return [
      [`${PEERS} peers join in a burst: all in the list and on the graph (median of ${ROUNDS})`, cell(rounds.map((r) => r.onScreenMs)), '< 2000 ms'],
      ['longest frame while they do (rAF gap)', cell(rounds.map((r) => r.longestFrame)), '< 100 ms'],
      ['longest task while they do (long tasks over 50 ms)', cell(rounds.map((r) => r.longestTask)), '< 100 ms'],
    ]
  } finally {
    for (const socket of sockets) socket.destroy()
    await browser.close()
    app.kill('SIGTERM')
    await new Promise((resolve) => app.once('exit', resolve))
    rmSync(configDir, { recursive: true, force: true })
  }
}
