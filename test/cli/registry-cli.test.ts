// The registry and client registration as a user runs them: real `dropbox-sync` processes.
import { afterEach, describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { BIN, killAll, runCli, runCliOnce, type CliProcess } from '../helpers/cli'
import { freePort } from '../helpers/ports'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => {
  killAll()
  removeTempDirs()
})

async function startServer(port = 0, ...extra: string[]): Promise<{ server: CliProcess; port: number }> {
  const server = runCli(['server', '-p', String(port), '--host', '127.0.0.1', ...extra])
  const ready = await server.waitFor('ready', { role: 'server' })
  return { server, port: ready.port }
}

async function startClient(serverPort: number, serverIp = '127.0.0.1', ...extra: string[]): Promise<{ client: CliProcess; port: number; id: string }> {
  const client = runCli(['client', '-d', tempDir(), '-p', '0', '-w', '2', '-b', '4', '-sp', String(serverPort), '-sip', serverIp, ...extra])
  const ready = await client.waitFor('ready', { role: 'client' })
  await client.waitFor('registered')
  return { client, port: ready.port, id: ready.id! }
}

describe('server and clients as processes', () => {
  it('three clients meet; one logs off, one is killed: the others are told at once', async () => {
    const { server, port } = await startServer()
    const a = await startClient(port)
    const b = await startClient(port)
    const c = await startClient(port)
    expect(await a.client.waitFor('registered')).toEqual({ type: 'registered', server: `127.0.0.1:${port}`, ip: '127.0.0.1', port: a.port })
    for (const [me, others] of [
      [a, [b, c]],
      [b, [a, c]],
      [c, [a, b]],
    ] as const) {
      for (const other of others) await me.client.waitFor('peer-joined', { ip: '127.0.0.1', port: other.port })
      expect(me.client.find('peer-joined', { port: me.port })).toBeUndefined()
    }

    const t0 = Date.now()
    b.client.kill('SIGINT')
    const exit = await b.client.exited
    expect(exit.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(2000 + 1000) // the 2 s promise, plus process start-up slack
    expect(await a.client.waitFor('peer-left', { port: b.port })).toMatchObject({ reason: 'log-off' })
    expect(await c.client.waitFor('peer-left', { port: b.port })).toMatchObject({ reason: 'log-off' })

    c.client.kill('SIGKILL')
    expect(await a.client.waitFor('peer-left', { port: c.port })).toMatchObject({ reason: 'connection-lost' })
    expect(await server.waitFor('peer-left', { port: c.port })).toMatchObject({ reason: 'connection-lost' })
    expect(await server.waitFor('peer-left', { port: b.port })).toMatchObject({ reason: 'log-off' })
    for (const p of [server, a.client]) expect(p.notJson).toEqual([])
  })

  it('a client that goes silent (stopped, socket still open) is dropped by heartbeat as a timeout', async () => {
    const { server, port } = await startServer(0, '--heartbeat', '200')
    const a = await startClient(port)
    const b = await startClient(port)
    await a.client.waitFor('peer-joined', { port: b.port })
    b.client.kill('SIGSTOP')
    try {
      expect(await a.client.waitFor('peer-left', { port: b.port }, 10_000)).toMatchObject({ reason: 'timeout' })
      expect(await server.waitFor('peer-left', { port: b.port })).toMatchObject({ reason: 'timeout' })
      // Named as the others know it (its listening port), once.
      expect((await server.waitFor('error', { code: 'heartbeat-timeout' })).message).toMatch(new RegExp(`^client 127\\.0\\.0\\.1:${b.port}: silent for \\d+ ms$`))
    } finally {
      b.client.kill('SIGCONT')
    }
    // Woken up, it finds its server connection dead, comes back and is announced again.
    await b.client.waitFor('server-lost', {}, 10_000)
    await a.client.until(() => a.client.events.filter((e) => e.type === 'peer-joined' && e.port === b.port).length === 2, 10_000)
  })

  it('the server restarts on the same port: every client is back within 5 s and the lists reconcile', async () => {
    const port = await freePort()
    const first = await startServer(port)
    const a = await startClient(port)
    const b = await startClient(port)
    const doomed = await startClient(port)
    await a.client.waitFor('peer-joined', { port: doomed.port })

    first.server.kill('SIGKILL')
    await a.client.waitFor('server-lost')
    await b.client.waitFor('server-lost')
    // While the server is away one client dies and a new one starts trying.
    doomed.client.kill('SIGKILL')
    const late = runCli(['client', '-d', tempDir(), '-p', '0', '-sp', String(port), '-sip', '127.0.0.1'])
    const lateReady = await late.waitFor('ready')
    await late.waitFor('error', { code: 'server-unreachable' })

    const second = await startServer(port)
    // Back within 5 s, unprompted.
    for (const client of [a.client, b.client, late]) {
      await client.until(() => client.count('registered') >= (client === late ? 1 : 2), 5000, 'registration')
    }
    // The dead one is reported after the grace period that lets live peers re-register.
    expect(await a.client.waitFor('peer-left', { port: doomed.port }, 10_000)).toMatchObject({ reason: 'connection-lost' })
    await a.client.waitFor('peer-joined', { port: lateReady.port })
    await late.waitFor('peer-joined', { port: a.port })
    await late.waitFor('peer-joined', { port: b.port })
    // b was never reported as gone to a: the server went away, not b.
    expect(a.client.find('peer-left', { port: b.port })).toBeUndefined()
    await second.server.until(() => second.server.count('peer-joined') === 3, 5000)
    // The members it finds at start are no news: only the late one, let in by its invite, is added.
    expect(second.server.events.filter((e) => e.type === 'member-added').map((e) => (e as { id: string }).id)).toEqual([lateReady.id])
  })

  it('a server port that is another client, or not dropbox-sync at all, is named as such', async () => {
    const { port } = await startServer()
    const other = await startClient(port)
    // Its invite (the server's, naming that port) pins the server's device ID: the client there proves another one.
    const misled = runCli(['client', '-d', tempDir(), '-sp', String(other.port), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    const error = await misled.waitFor('error', { code: 'peer-id-mismatch' })
    expect(error.message).toContain(`the server at 127.0.0.1:${other.port} is not the server this device joined`)
    expect(error.message).toContain(`is device ${other.id.slice(0, 7)}`)
    expect(await misled.exited).toEqual({ code: 1, signal: null })
    const { createServer } = await import('node:net')
    // An SSH server greets first; an HTTP server is named as such (test/cli/new-user.test.ts).
    const web = createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'))
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
    try {
      const webPort = (web.address() as { port: number }).port
      const lost = runCli(['client', '-d', tempDir(), '-sp', String(webPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
      const notOurs = await lost.waitFor('error', { code: 'server-unreachable' })
      // No TLS answer, and not HTTP either: said once, and the client keeps trying.
      expect(notOurs.message).toContain(`127.0.0.1:${webPort} does not speak TLS 1.3: not a dropbox-sync v${PROTOCOL_VERSION} peer`)
    } finally {
      web.close()
    }
  })

  it('a client started before its server keeps trying and registers once the server is up', async () => {
    const port = await freePort()
    const client = runCli(['client', '-d', tempDir(), '-sp', String(port), '-sip', '127.0.0.1'])
    const error = await client.waitFor('error', { code: 'server-unreachable' })
    expect(error.message).toContain(`127.0.0.1:${port}`)
    // The reason is the socket's own: nothing listens there.
    expect(error.message).toContain('(ECONNREFUSED)')
    await new Promise((r) => setTimeout(r, 1500))
    // Reported once per outage, not once per retry.
    expect(client.count('error')).toBe(1)
    await startServer(port)
    await client.waitFor('registered', {}, 5000)
  })

  it('works over IPv6', async () => {
    const server = runCli(['server', '-p', '0', '--host', '::1'])
    const { port } = await server.waitFor('ready')
    const a = await startClient(port, '::1')
    const b = await startClient(port, '::1')
    expect(await a.client.waitFor('registered')).toMatchObject({ server: `[::1]:${port}`, ip: '::1' })
    await a.client.waitFor('peer-joined', { ip: '::1', port: b.port })
  })

  it('announces --advertise instead of the connection address', async () => {
    const { port } = await startServer()
    const client = runCli(['client', '-d', tempDir(), '-sp', String(port), '-sip', '127.0.0.1', '--advertise', '127.0.0.7'])
    expect(await client.waitFor('registered')).toMatchObject({ ip: '127.0.0.7' })
  })

  it('a client listening on one specific address announces that address', async () => {
    const { port } = await startServer()
    const client = runCli(['client', '-d', tempDir(), '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.3'])
    expect(await client.waitFor('ready')).toMatchObject({ host: '127.0.0.3' })
    expect(await client.waitFor('registered')).toMatchObject({ ip: '127.0.0.3' })
  })

  it('a second client claiming a taken address is refused and changes nothing', async () => {
    const { server, port } = await startServer()
    const first = await startClient(port, '127.0.0.1', '--host', '127.0.0.1')
    // Same port on another loopback address, announcing the first one's address: a misconfiguration.
    const clash = runCli(['client', '-d', tempDir(), '-p', String(first.port), '--host', '127.0.0.2', '-sp', String(port), '-sip', '127.0.0.1', '--advertise', '127.0.0.1'])
    const error = await clash.waitFor('error', { code: 'duplicate' })
    expect(error.message).toContain(`127.0.0.1:${first.port} is already logged on`)
    expect(clash.find('registered')).toBeUndefined()
    expect(server.count('peer-joined')).toBe(1)
    expect(server.find('peer-left')).toBeUndefined()
  })
})

describe('flags', () => {
  it.each([
    [['client', '-d', '/definitely/not/here', '-sp', '1', '-sip', 'h'], /no folder at \/definitely\/not\/here/],
    [['client', '-d', '.', '-sp', '1', '-sip', 'h', '-p', '70000'], /port must be a whole number from 0 to 65535/],
    [['client', '-d', '.', '-sp', '0', '-sip', 'h'], /server port must be a whole number from 1 to 65535/],
    [['client', '-d', '.', '-sp', '1', '-sip', 'h', '-w', '0'], /number of workers must be a whole number from 1/],
    [['client', '-d', '.', '-sp', '1', '-sip', 'h', '-b', 'x'], /buffer slots must be a whole number/],
    [['client', '-d', '.', '-sp', '1', '-sip', 'h', '--rescan', '0'], /rescan interval must be a whole number from 1 to 86400/],
    [['client', '-d', '.', '-sp', '1'], /required option '-sip, --server-ip <host>'/],
    [['client', '-d', '.', '-sip', 'h'], /required option '-sp, --server-port <port>'/],
    [['client', '-d', '.', '-sp', '1', '-sip', '127.0.0.1:4000'], /give only the host here; the port goes in -sp/],
    [['client', '-d', '', '-sp', '1', '-sip', 'h'], /the folder is empty/],
    [['client', '-d', '.', '-sp', '1', '-sip', 'h', '--advertise', '0.0.0.0'], /unspecified address/],
    [['server'], /required option '-p, --port <port>'/],
    [['server', '-p', 'abc'], /port must be a whole number/],
    [['server', '-p', '1', '--bogus'], /unknown option '--bogus'/],
    [['launch'], /unknown command 'launch'/],
  ])('%j: one line on stderr, exit code 2', async (args, message) => {
    const { code, stdout, stderr } = await runCliOnce(args)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(message)
  })

  it('--help lists the original flags', async () => {
    const { code, stdout } = await runCliOnce(['client', '--help'])
    expect(code).toBe(0)
    for (const flag of ['-d, --dir', '-p, --port', '-w, --workers', '-b, --buffer', '-sp, --server-port', '-sip, --server-ip']) {
      expect(stdout).toContain(flag)
    }
  })

  it('a port already in use is one clear line and a failed exit', async () => {
    const { port } = await startServer()
    const { code, stderr } = await runCliOnce(['server', '-p', String(port), '--host', '127.0.0.1'])
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`dropbox-sync: cannot start the server: port ${port} is already in use`)
  })
})

describe('stopping', () => {
  it('Ctrl-C while a client is still starting (indexing a large file) stops it cleanly: exit 0, not 130', async () => {
    const { port } = await startServer()
    const dir = tempDir()
    // 4 GiB of zeros, sparse: hashing it keeps the start busy for a few seconds here.
    const { truncateSync, writeFileSync } = await import('node:fs')
    writeFileSync(`${dir}/big.bin`, '')
    truncateSync(`${dir}/big.bin`, 4 * 1024 ** 3)
    const client = runCli(['client', '-d', dir, '-p', '0', '-w', '2', '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    // The start has begun once the mirror folder's lock is taken; the handlers are set before.
    const { existsSync } = await import('node:fs')
    const lock = `${dir}-mirrors/.dropbox-sync/lock`
    for (let i = 0; i < 400 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25))
    expect(existsSync(lock)).toBe(true)
    expect(client.find('ready')).toBeUndefined()
    client.kill('SIGINT')
    expect(await client.exited).toEqual({ code: 0, signal: null })
  })
})

describe('output', () => {
  it('stops quietly when the reader of its output goes away', async () => {
    const { spawn } = await import('node:child_process')
    const { port } = await startServer()
    const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" client -d "${tempDir()}" -sp ${port} -sip 127.0.0.1 --json | head -n 1`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
    expect(stderr).not.toContain('EPIPE')
  })
})

describe('start-up cost', () => {
  // zod (the app's contract, the server's member store) alone takes ~100 ms to load; @peculiar/x509
  // only makes a new identity. Both are loaded with import() by the commands that need them.
  it('the client command loads no package but commander before it runs: not the app\'s, the server\'s or x509', async () => {
    const { readFileSync } = await import('node:fs')
    const path = await import('node:path')
    const entry = path.join(path.dirname(BIN), '..', 'out', 'cli', 'dropbox-sync.mjs')
    const seen = new Set<string>()
    const packages = new Set<string>()
    // Static imports only: the app command's chunk is loaded with import() when it is run.
    const walk = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import\s[^;]*?from\s+"([^"]+)";?$/gm)) {
        if (spec!.startsWith('.')) walk(path.join(path.dirname(file), spec!))
        else if (!spec!.startsWith('node:')) packages.add(spec!)
      }
    }
    walk(entry)
    expect(seen.size).toBeGreaterThan(1)
    expect([...packages].sort()).toEqual(['commander'])
  })
})
