// What the security tests build on: real `dropbox-sync` servers and clients (each with its own
// config folder), invites made by the real `invite` command, and two men in the middle: a TCP
// proxy that records every byte it passes, and a TLS-terminating proxy with its own certificate.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import path from 'node:path'
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls'
import { loadOrCreateIdentity } from '../../src/main/engine/identity/device-identity'
import { ALPN_PROTOCOL } from '../../src/main/engine/net/tls'
import { BIN, runCli, type CliProcess } from '../helpers/cli'
import { tlsTo } from '../helpers/raw-peer'
import { tempDir } from '../helpers/temp'
import type { TestIdentity } from '../helpers/test-identity'

export interface RunningServer {
  proc: CliProcess
  port: number
  /** Device ID as people read it. */
  id: string
  config: string
}

export async function startServer(): Promise<RunningServer> {
  const config = tempDir('dbs-sec-server-')
  const proc = runCli(['server', '-p', '0', '--host', '127.0.0.1', '--config', config, '--name', 'sec-server'])
  const ready = await proc.waitFor('ready', { role: 'server' })
  return { proc, port: ready.port, id: ready.id, config }
}

/** `dropbox-sync invite --config DIR --address HOST:PORT`, as an operator runs it. */
export function invite(server: RunningServer, address = `127.0.0.1:${server.port}`): string {
  const run = spawnSync(process.execPath, [BIN, 'invite', '--config', server.config, '--address', address], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`dropbox-sync invite failed (${run.status}): ${run.stderr}`)
  return run.stdout.trim()
}

export interface RunningClient {
  proc: CliProcess
  port: number
  id: string
  config: string
  dir: string
}

export interface ClientOptions {
  /** Where it is told the server is (default: the server itself). */
  serverHost?: string
  serverPort: number
  config?: string
  dir?: string
  name?: string
  extra?: string[]
}

/** A real client process with its own config folder; resolves once it is listening. */
export async function startClient(options: ClientOptions): Promise<RunningClient> {
  const config = options.config ?? tempDir('dbs-sec-client-')
  const dir = options.dir ?? tempDir('dbs-sec-share-')
  const proc = runCli([
    'client',
    '-d',
    dir,
    '-p',
    '0',
    '-w',
    '2',
    '-b',
    '8',
    '-sp',
    String(options.serverPort),
    '-sip',
    options.serverHost ?? '127.0.0.1',
    '--config',
    config,
    '--name',
    options.name ?? 'sec-client',
    ...(options.extra ?? []),
  ])
  const ready = await Promise.race([
    proc.waitFor('ready', { role: 'client' }, 10_000),
    proc.exited.then(({ code }) => {
      throw new Error(`the client exited (${code}) before it was ready: ${proc.stderr}${proc.stdoutLines.join('\n')}`)
    }),
  ])
  return { proc, port: ready.port, id: ready.id, config, dir }
}

/** The identity a client keeps in its config folder, usable by a hand-driven peer. */
export async function identityIn(config: string, name: string): Promise<TestIdentity> {
  const identity = await loadOrCreateIdentity(config)
  return { certPem: identity.certPem, keyPem: identity.keyPem, id: identity.id, idText: identity.idText, name }
}

/** Every file under `dir`, relative, recursively (an absent folder has none). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) out.push(...filesUnder(full).map((f) => path.join(name, f)))
    else out.push(name)
  }
  return out
}

/** One connection through a proxy: what each side sent, in order. */
export interface Recording {
  /** From the side that connected. */
  up: Buffer[]
  /** From the side connected to. */
  down: Buffer[]
}

/** A plain TCP proxy that records every byte both ways. */
export class RecordingProxy {
  readonly connections: Recording[] = []
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }, listen: { host: string; port: number }): Promise<RecordingProxy> {
    const proxy: { value?: RecordingProxy } = {}
    const server = createServer((client) => proxy.value!.relay(client, target))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(listen.port, listen.host, resolve)
    })
    const { port } = server.address() as { port: number }
    proxy.value = new RecordingProxy(server, listen.host, port)
    return proxy.value
  }

  private relay(client: Socket, target: { host: string; port: number }): void {
    const recording: Recording = { up: [], down: [] }
    this.connections.push(recording)
    const upstream = netConnect(target.port, target.host)
    for (const s of [client, upstream]) {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
      s.on('error', () => {})
    }
    client.on('data', (chunk: Buffer) => {
      recording.up.push(Buffer.from(chunk))
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      recording.down.push(Buffer.from(chunk))
      client.write(chunk)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  }

  /** Everything recorded, both ways, all connections. */
  all(): Buffer {
    return Buffer.concat(this.connections.flatMap((c) => [...c.up, ...c.down]))
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * A TLS-terminating man in the middle: it accepts TLS with its own certificate (asking for the
 * client's), records the plaintext the client sends, and, given a target, relays it over its own
 * TLS connection (its own certificate again: it has no other device's key).
 */
export class TlsMitm {
  /** Plaintext the clients sent, per connection. */
  readonly fromClients: Buffer[][] = []
  /** Plaintext the target sent back, per connection. */
  readonly fromTarget: Buffer[][] = []
  /** TCP connections accepted, and TLS handshakes completed on them. */
  connections = 0
  handshakes = 0
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: TlsServer,
    readonly port: number,
  ) {}

  static async start(identity: TestIdentity, target?: { host: string; port: number }): Promise<TlsMitm> {
    const mitm: { value?: TlsMitm } = {}
    const server = createTlsServer(
      {
        cert: identity.certPem,
        key: identity.keyPem,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: [ALPN_PROTOCOL],
      },
      (socket) => mitm.value!.relay(socket, identity, target),
    )
    server.on('tlsClientError', () => {})
    server.on('connection', () => mitm.value!.connections++)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    mitm.value = new TlsMitm(server, (server.address() as { port: number }).port)
    return mitm.value
  }

  private relay(client: TLSSocket, identity: TestIdentity, target?: { host: string; port: number }): void {
    this.handshakes++
    const up: Buffer[] = []
    const down: Buffer[] = []
    this.fromClients.push(up)
    this.fromTarget.push(down)
    this.sockets.add(client)
    client.on('close', () => this.sockets.delete(client))
    client.on('error', () => {})
    const early: Buffer[] = []
    let upstream: TLSSocket | null = null
    client.on('data', (chunk: Buffer) => {
      up.push(Buffer.from(chunk))
      if (upstream) upstream.write(chunk)
      else early.push(chunk)
    })
    if (!target) return
    tlsTo(target.port, target.host, identity).then(
      (socket) => {
        upstream = socket
        this.sockets.add(socket)
        socket.on('error', () => {})
        for (const chunk of early) socket.write(chunk)
        socket.on('data', (chunk: Buffer) => {
          down.push(Buffer.from(chunk))
          client.write(chunk)
        })
        socket.on('close', () => client.destroy())
        client.on('close', () => socket.destroy())
      },
      () => client.destroy(),
    )
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
