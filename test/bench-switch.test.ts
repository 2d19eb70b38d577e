// The bench's plain-TCP switch (net/tls.ts, __DBS_BENCH_PLAIN_TCP__) is for bench/build-cli.mjs
// alone: the shipped CLI bundle must keep it off, and its dials must still be TLS.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { makeSelfSigned } from '../src/main/engine/identity/self-signed'
import { DialError, dialTls } from '../src/main/engine/net/tls'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = path.join(ROOT, 'bin/dropbox-sync.mjs')
const dirs: string[] = []
const servers: Server[] = []

afterAll(() => {
  for (const server of servers) server.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dbs-switch-'))
  dirs.push(dir)
  return dir
}

/** A plain TCP service that greets every connection with a line of text: not TLS. */
async function plainServer(): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    socket.end('hello, plain text here\n')
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

function bundleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.mjs'))
    .map((name) => path.join(dir, name))
}

describe('the bench-only plain TCP switch', () => {
  it('is not turned on in the shipped CLI bundle (out/cli)', () => {
    const files = bundleFiles(path.join(ROOT, 'out/cli'))
    expect(files.length).toBeGreaterThan(0)
    const texts = files.map((file) => readFileSync(file, 'utf8'))
    for (const text of texts) {
      expect(text).not.toMatch(/__DBS_BENCH_PLAIN_TCP__\s*[:=]\s*(true|!0)/)
      expect(text).not.toMatch(/\bPLAIN\d*\s*=\s*(true|!0)\s*[;,]/)
    }
    // Compiled to a constant: no global set at run time can turn it on.
    expect(texts.join('\n')).not.toContain('__DBS_BENCH_PLAIN_TCP__')
    expect(texts.filter((text) => /\bPLAIN\d*\s*=\s*false\b/.test(text))).toHaveLength(1)
  })

  it('leaves dialTls doing TLS: a plain TCP service is not-tls', async () => {
    const port = await plainServer()
    const credentials = await makeSelfSigned()
    const dial = dialTls({ host: '127.0.0.1', port, credentials, expectId: Buffer.alloc(32, 7), timeoutMs: 5000 })
    const error = await dial.then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(DialError)
    expect((error as DialError).code).toBe('not-tls')
  })

  it('leaves the built CLI dialing TLS: its client reports a plain TCP server as not TLS', async () => {
    const port = await plainServer()
    const serverId = execFileSync(process.execPath, [BIN, 'id', '--config', temp()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const args = ['client', '-d', temp(), '--mirror', path.join(temp(), 'm'), '--config', temp(), '--server-id', serverId]
    const child = spawn(process.execPath, [BIN, ...args, '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      const message = await new Promise<string>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => reject(new Error(`no unreachable error; stdout: ${out}`)), 20_000)
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          out += text
          for (const line of out.split('\n')) {
            if (!line.includes('"server-unreachable"')) continue
            clearTimeout(timer)
            resolve((JSON.parse(line) as { message: string }).message)
          }
        })
      })
      expect(message).toContain('does not speak TLS 1.3')
    } finally {
      child.kill('SIGKILL')
    }
  })
})
