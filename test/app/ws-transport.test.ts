// The headless transport for real: the UI server with its token, Host and Origin checks, serving
// files, and the window's own WebSocket Api (src/renderer/src/bridge/ws-api.ts, here on the `ws`
// package) driving a real AppCore whose engine real peers join.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { UiServer } from '../../src/main/app/headless/ui-server'
import { BridgeRequestError, bridgeUrl, createWebSocketApi, type SocketLike } from '../../src/renderer/src/bridge/ws-api'
import { contract, type AppEvent } from '../../src/shared/contract'
import { machineDefaults } from '../../src/main/app/settings-store'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { makeCore } from '../helpers/app-core'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { knowServer } from '../helpers/test-identity'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  removeTempDirs()
})

function rendererFolder(): string {
  const dir = tempDir('renderer-')
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>dropbox-sync</title>')
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)')
  const secret = path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`)
  writeFileSync(secret, 'not for the browser')
  cleanups.push(() => rmSync(secret, { force: true }))
  return dir
}

async function startUi() {
  const { core, log, configDir } = makeCore()
  cleanups.push(() => core.stop())
  const ui = new UiServer({ backend: core, rendererDir: rendererFolder(), port: 0 })
  cleanups.push(() => ui.stop())
  const { url, port } = await ui.start()
  return { core, log, ui, url, port, configDir }
}

function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathAndQuery, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

function getBytes(port: number, pathAndQuery: string): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathAndQuery }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

function socketFactory(headers: Record<string, string> = {}) {
  return (url: string): SocketLike => new WebSocket(url, { headers }) as unknown as SocketLike
}

function openApi(url: string, headers?: Record<string, string>) {
  const api = createWebSocketApi(bridgeUrl(url), socketFactory(headers))
  cleanups.push(() => api.close())
  return api
}

async function until<T>(get: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = get()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('the headless UI server', () => {
  it('serves the window only with the token, then by cookie; 401 otherwise', async () => {
    const { url, port, ui } = await startUi()
    expect(url).toBe(`http://127.0.0.1:${port}/?token=${ui.token}`)
    expect((await get(port, '/')).status).toBe(401)
    expect((await get(port, '/?token=nope')).status).toBe(401)
    expect((await get(port, '/assets/app.js')).status).toBe(401)
    const page = await get(port, `/?token=${ui.token}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>dropbox-sync</title>')
    expect(page.headers['content-security-policy']).toContain("default-src 'self'")
    const cookie = String(page.headers['set-cookie']).split(';')[0]!
    expect(cookie).toBe(`dbs_token_${port}=${ui.token}`)
    const script = await get(port, '/assets/app.js', { cookie })
    expect(script).toMatchObject({ status: 200, body: 'console.log(1)' })
    expect(script.headers['content-type']).toMatch(/javascript/)
  })

  it('two apps on one machine keep a cookie each: a browser keeps cookies by host, not by port', async () => {
    const first = await startUi()
    const second = await startUi()
    const cookieOf = async (app: { port: number; ui: UiServer }) => String((await get(app.port, `/?token=${app.ui.token}`)).headers['set-cookie']).split(';')[0]!
    const firstCookie = await cookieOf(first)
    const secondCookie = await cookieOf(second)
    expect(firstCookie.split('=')[0]).not.toBe(secondCookie.split('=')[0])
    // The jar for 127.0.0.1 holds both and sends both to either port: each app finds its own.
    const both = `${secondCookie}; ${firstCookie}`
    expect((await get(first.port, '/assets/app.js', { cookie: both })).status).toBe(200)
    expect((await get(second.port, '/assets/app.js', { cookie: both })).status).toBe(200)
    expect((await get(first.port, '/assets/app.js', { cookie: secondCookie })).status).toBe(401)
  })

  it('answers /favicon.ico with the app icon, token or not (a favicon is no secret); nothing else without it', async () => {
    const { core } = makeCore()
    cleanups.push(() => core.stop())
    const iconFile = fileURLToPath(new URL('../../resources/icon.png', import.meta.url))
    const ui = new UiServer({ backend: core, rendererDir: rendererFolder(), port: 0, iconFile })
    cleanups.push(() => ui.stop())
    const { port } = await ui.start()
    const icon = await getBytes(port, '/favicon.ico')
    expect(icon.status).toBe(200)
    expect(icon.headers['content-type']).toBe('image/png')
    expect(icon.body.equals(readFileSync(iconFile))).toBe(true)
    expect(icon.body.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect((await getBytes(port, `/favicon.ico?token=${ui.token}`)).status).toBe(200)
    expect((await get(port, '/favicon.ico/../index.html')).status).toBe(401)
    expect((await get(port, '/assets/app.js')).status).toBe(401)
  })

  it('refuses a foreign Host header (DNS rebinding) and paths outside the window', async () => {
    const { port, ui } = await startUi()
    expect((await get(port, `/?token=${ui.token}`, { host: `evil.example:${port}` })).status).toBe(401)
    expect((await get(port, `/?token=${ui.token}`, { host: `localhost:${port}` })).status).toBe(200)
    const outside = await get(port, `/..%2f${'x'}-secret.txt?token=${ui.token}`)
    expect(outside.status).toBe(404)
    expect(outside.body).not.toContain('not for the browser')
  })

  it('refuses the socket without the token, or from another origin', async () => {
    const { url, port } = await startUi()
    const refused = (target: string, headers?: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(target, { headers })
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!))
        ws.on('open', () => resolve(101))
        ws.on('error', () => {})
      })
    expect(await refused(`ws://127.0.0.1:${port}/bridge`)).toBe(401)
    expect(await refused(`ws://127.0.0.1:${port}/bridge?token=wrong`)).toBe(401)
    expect(await refused(bridgeUrl(url), { origin: 'http://evil.example' })).toBe(401)
    expect(await refused(bridgeUrl(url), { origin: `http://127.0.0.1:${port}` })).toBe(101)
  })

  it('carries the bridge: settings, the engine restarting as a server, joins and leaves, the snapshot', async () => {
    const { url, configDir } = await startUi()
    const api = openApi(url)
    const events: AppEvent[] = []
    api.onEvents((batch) => events.push(...batch))

    const state = contract['settings:get'].reply.parse(await api.getSettings())
    expect(state.settings).toEqual(machineDefaults())
    const saved = await api.saveSettings({ ...DEFAULT_SETTINGS, role: 'server', port: 0 })
    expect(saved.ok).toBe(true)
    const running = await until(() => events.find((e) => e.type === 'status' && e.status.state === 'running'), 'running')
    const port = running.type === 'status' ? running.status.listening!.port : 0

    // A member of the app's server: made so in the app's config folder, where its members live.
    knowServer(port, configDir)
    const peer = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 46001 })
    await until(() => events.find((e) => e.type === 'peer-joined' && e.port === 46001), 'peer-joined')
    const snapshot = contract['snapshot:get'].reply.parse(await api.getSnapshot())
    expect(snapshot.peers.map((p) => p.key)).toEqual(['127.0.0.1:46001'])
    expect(snapshot.seq).toBeGreaterThanOrEqual(Math.max(...events.map((e) => e.seq)))
    peer.close()
    await until(() => events.find((e) => e.type === 'peer-left'), 'peer-left')

    const refused = await api.saveSettings({ ...DEFAULT_SETTINGS, role: 'server', port: -5 })
    expect(refused).toEqual({ ok: false, errors: { port: 'The port must be a whole number from 0 to 65535.' } })
    expect(await api.chooseFolder('folder')).toBeNull()
  })

  it('answers broken frames and schema-breaking payloads with an error, and keeps the socket', async () => {
    const { url } = await startUi()
    const ws = new WebSocket(bridgeUrl(url))
    cleanups.push(() => ws.close())
    const replies: unknown[] = []
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data))
      if (frame.kind === 'reply') replies.push(frame)
    })
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send('not json')
    ws.send(JSON.stringify({ kind: 'request', id: 2, channel: 'settings:save', payload: { role: 'server' } }))
    ws.send(JSON.stringify({ kind: 'request', id: 3, channel: 'shell:exec', payload: 'rm -rf /' }))
    ws.send(JSON.stringify({ kind: 'request', id: 4, channel: 'settings:get', extra: 1 }))
    ws.send(JSON.stringify({ kind: 'request', id: 5, channel: 'settings:get' }))
    await until(() => (replies.length >= 5 ? true : undefined), 'five replies')
    // Replies come as each request is done, not necessarily in order.
    const byId = (frame: unknown) => (frame as { id: number | null }).id ?? -1
    expect(replies.sort((a, b) => byId(a) - byId(b))).toEqual([
      { kind: 'reply', id: null, ok: false, error: { code: 'bad-frame', message: expect.any(String) } },
      { kind: 'reply', id: 2, ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('settings:save') } },
      { kind: 'reply', id: 3, ok: false, error: { code: 'unknown-channel', message: expect.any(String) } },
      { kind: 'reply', id: 4, ok: false, error: { code: 'bad-frame', message: expect.any(String) } },
      { kind: 'reply', id: 5, ok: true, reply: expect.objectContaining({ settings: machineDefaults() }) },
    ])
  })

  it('tells the window when the app goes away, and fails its requests', async () => {
    const { url, ui } = await startUi()
    const api = openApi(url)
    await api.getSettings()
    let lost = false
    api.onDisconnect(() => (lost = true))
    await ui.stop()
    await until(() => (lost ? true : undefined), 'the disconnect')
    const error = await api.getSnapshot().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BridgeRequestError)
    expect((error as BridgeRequestError).code).toBe('disconnected')
  })
})
