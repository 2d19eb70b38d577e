// What a new user meets first, with real `dropbox-sync` processes: --version, every missing flag
// named at once, a goodbye line on Ctrl-C (exit 0), and a server address that answers HTTP.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, runCli, runCliOnce, runCliReadable } from '../helpers/cli'
import { startApp, startHeadlessClientApp } from '../helpers/headless-app'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

describe('--version', () => {
  it.each([[['--version']], [['-V']], [['server', '--version']], [['client', '--version']], [['client', '-V']], [['app', '--version']], [['client', '-sp', '1', '--version']]])(
    '%j prints the version of package.json and exits 0, whatever flags are missing',
    async (args) => {
      const { code, stdout, stderr } = await runCliOnce(args)
      expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' })
    },
  )
})

describe('missing flags', () => {
  it.each([
    [['client'], "error: required options '-d, --dir <dir>', '-sp, --server-port <port>' and '-sip, --server-ip <host>' not specified"],
    [['client', '-sp', '4000'], "error: required options '-d, --dir <dir>' and '-sip, --server-ip <host>' not specified"],
    [['client', '-d', '.', '-sip', 'h'], "error: required option '-sp, --server-port <port>' not specified"],
    [['server'], "error: required option '-p, --port <port>' not specified"],
    [['app'], "error: required option '--ui <[host:]port>' not specified"],
  ])('%j: every one named in one line, exit code 2', async (args, line) => {
    const { code, stdout, stderr } = await runCliOnce(args)
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `${line}\n` })
  })
})

describe('--config naming a file', () => {
  const commands: [string, (config: string) => string[]][] = [
    ['server', (config) => ['server', '-p', '0', '--config', config]],
    ['client', (config) => ['client', '-d', tempDir(), '-sp', '4000', '-sip', '127.0.0.1', '--config', config]],
    ['app', (config) => ['app', '--ui', '0', '--config', config]],
    ['id', (config) => ['id', '--config', config]],
    ['invite', (config) => ['invite', '--address', '127.0.0.1:4000', '--config', config]],
    ['members list', (config) => ['members', 'list', '--config', config]],
    ['ctl pause', (config) => ['ctl', 'pause', '--config', config]],
  ]
  it.each(commands)('%s: one line naming --config, exit 2, the file untouched', async (_name, args) => {
    const file = path.join(tempDir(), 'settings.txt')
    writeFileSync(file, 'not a folder\n')
    const { code, stdout, stderr } = await runCliOnce(args(file))
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `error: option '--config <dir>' argument '${file}' is invalid. ${file} is a file, not a folder.\n` })
    expect(readFileSync(file, 'utf8')).toBe('not a folder\n')
  })

  it('a path under a file: one line naming --config, exit 2', async () => {
    const file = path.join(tempDir(), 'settings.txt')
    writeFileSync(file, '')
    const config = path.join(file, 'dbs')
    const { code, stderr } = await runCliOnce(['client', '-d', tempDir(), '-sp', '4000', '-sip', '127.0.0.1', '--config', config])
    expect({ code, stderr }).toEqual({ code: 2, stderr: `error: option '--config <dir>' argument '${config}' is invalid. ${config} cannot be a folder: a file stands on its path.\n` })
  })
})

describe('--config inside the shared folder or the mirror folder', () => {
  it('is refused in one line naming --config, exit 2, before a key is made there: the key would reach every peer', async () => {
    const shared = tempDir()
    const config = path.join(shared, 'dbs-config')
    const { code, stdout, stderr } = await runCliOnce(['client', '-d', shared, '-sp', '4000', '-sip', '127.0.0.1', '--config', config])
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: option '--config <dir>' argument '${config}' is invalid. the config folder ${config} is inside the shared folder ${shared}: its private key would reach every peer.\n`,
    })
    expect(existsSync(config)).toBe(false)
  })

  it('inside the mirror folder: refused the same way', async () => {
    const shared = tempDir()
    const mirror = tempDir()
    const config = path.join(mirror, 'dbs-config')
    const { code, stderr } = await runCliOnce(['client', '-d', shared, '--mirror', mirror, '-sp', '4000', '-sip', '127.0.0.1', '--config', config])
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: `error: option '--config <dir>' argument '${config}' is invalid. the config folder ${config} is inside the mirror folder ${mirror}, which syncs change.\n`,
    })
    expect(existsSync(config)).toBe(false)
  })
})

describe('Ctrl-C', () => {
  it('a registered client logs off, says so in one line and exits 0; the server says it stopped', async () => {
    const server = runCliReadable(['server', '-p', '0', '--host', '127.0.0.1'])
    // The readable `ready` line names the device too: `server listening on HOST:PORT as NAME (device ID …)`.
    const listening = /^server listening on 127\.0\.0\.1:(\d+) as .+ \(device ID [A-Z2-7]{7}(-[A-Z2-7]{7}){7}\)$/
    await server.until(() => server.stdoutLines.some((l) => listening.test(l)), 5000, 'the server')
    const port = Number(listening.exec(server.stdoutLines.find((l) => listening.test(l))!)![1])
    const client = runCliReadable(['client', '-d', tempDir(), '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '1'])
    await client.until(() => client.stdoutLines.some((l) => l.startsWith('registered with the server')), 5000, 'registration')
    client.kill('SIGINT')
    expect(await client.exited).toEqual({ code: 0, signal: null })
    expect(client.stdoutLines.at(-1)).toBe(`logged off from the server 127.0.0.1:${port}; bye`)
    await server.until(() => server.stdoutLines.some((l) => l.endsWith('(log-off)')), 5000, 'the log-off at the server')
    server.kill('SIGINT')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.stdoutLines.at(-1)).toBe('server stopped; bye')
  })

  it('with --json the goodbye goes to stderr: stdout stays events only', async () => {
    const server = runCli(['server', '-p', '0', '--host', '127.0.0.1'])
    const { port } = await server.waitFor('ready')
    const client = runCli(['client', '-d', tempDir(), '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '1'])
    await client.waitFor('registered')
    client.kill('SIGINT')
    expect(await client.exited).toEqual({ code: 0, signal: null })
    expect(client.notJson).toEqual([])
    expect(client.stderr).toBe(`logged off from the server 127.0.0.1:${port}; bye\n`)
  })

  it('the headless app as a registered client says it logged off; one not set up says it stopped', async () => {
    const server = runCli(['server', '-p', '0', '--host', '127.0.0.1'])
    const { port } = await server.waitFor('ready')
    const { app } = await startHeadlessClientApp(port, tempDir())
    await server.waitFor('peer-joined', {}, 15_000)
    app.cli.kill('SIGINT')
    expect(await app.cli.exited).toEqual({ code: 0, signal: null })
    expect(app.cli.notJson).toEqual([])
    expect(app.cli.stderr.trim().split('\n').at(-1)).toBe(`app stopped; logged off from the server 127.0.0.1:${port}; bye`)
    await server.waitFor('peer-left', { reason: 'log-off' }, 5000)

    const idle = await startApp(tempDir())
    await idle.cli.until(() => idle.cli.stdoutLines.some((line) => line.startsWith('{"type":"status"')), 20_000, 'the app to report its engine')
    idle.cli.kill('SIGINT')
    expect(await idle.cli.exited).toEqual({ code: 0, signal: null })
    expect(idle.cli.stderr.trim().split('\n').at(-1)).toBe('app stopped; bye')
  }, 60_000)

  it("the headless app not set up says so in the terminal in the words of the window's Activity", async () => {
    const app = runCliReadable(['app', '--ui', '127.0.0.1:0', '--config', tempDir()])
    const said = () => app.stdoutLines.find((line) => line.startsWith('app: '))
    await app.until(() => said() !== undefined, 20_000, 'the app to report its engine')
    expect(said()).toBe("app: Not set up: Open Settings, choose this machine's role (Server or Client), fill in what it needs and Save.")
    app.kill('SIGINT')
    expect(await app.exited).toEqual({ code: 0, signal: null })
  }, 30_000)

  it('a client that never reached its server says it was not registered', async () => {
    const client = runCliReadable(['client', '-d', tempDir(), '-sp', '1', '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '1'])
    await client.until(() => client.stderr.includes('server-unreachable'), 5000, 'the unreachable server')
    client.kill('SIGINT')
    expect(await client.exited).toEqual({ code: 0, signal: null })
    expect(client.stdoutLines.at(-1)).toBe('client stopped (it was not registered with the server); bye')
  })
})

describe('a server address that answers HTTP', () => {
  it('is named as HTTP in one error, and the client exits 1 after one request, instead of retrying', async () => {
    // A binary HELLO is no HTTP request: node's own server answers it with 400 Bad Request.
    const web = createServer((_req, res) => res.end('a web page\n'))
    let connections = 0
    web.on('connection', () => connections++)
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = web.address() as AddressInfo
      const client = runCli(['client', '-d', tempDir(), '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1', '-w', '1'])
      const error = await client.waitFor('error', { code: 'server-speaks-http' })
      expect(error.message).toBe(`cannot use the server 127.0.0.1:${port}: that address answers HTTP, not dropbox-sync`)
      expect(error.message).not.toContain('frame')
      expect(await client.exited).toEqual({ code: 1, signal: null })
      expect(client.count('error')).toBe(1)
      // The TLS attempt, which gets no TLS answer, then one plain request that finds HTTP: no retry.
      expect(connections).toBe(2)
    } finally {
      web.close()
    }
  })
})
