// Registry benchmark: N protocol-level clients join a real `dropbox-sync server` process, each a
// device of its own over mutual TLS (protocol 4), a member of the server (added to its store
// before it starts), saying HELLO, JOIN, LOG_ON and GET_CLIENTS. Prints the time until every
// client's list is complete, the CPU each side used meanwhile, the time for one USER_ON to reach
// all N, and the server's memory. Goals (issues 3 and 19): < 5 s, < 200 ms, < 150 MB RSS. The
// devices' certificates are made before the clock starts; how long that took is printed too.
// Each of BENCH_ROUNDS rounds (default 3) starts a fresh server, and also times bare Node
// accepting the same N mutual-TLS connections with no protocol (node-floor/tls-accept.mjs): the
// floor TLS alone costs, on the same cores, in the same run.
import { spawn, type ChildProcess } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import { loadOrCreateIdentity } from '../src/main/engine/identity/device-identity'
import { certificateDeviceId } from '../src/main/engine/identity/fingerprint'
import { makeSelfSigned } from '../src/main/engine/identity/self-signed'
import { ALPN_PROTOCOL, TLS13_SUITES } from '../src/main/engine/net/tls'
import { encodeMessage, decodeBody } from '../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../src/main/engine/protocol/constants'
import { FrameDecoder } from '../src/main/engine/protocol/frame-decoder'
import { endpointKey, type Endpoint } from '../src/shared/endpoint'
import { addMembers, dial, makeDevices, type BenchDevice } from './devices'

const N = Number(process.env['BENCH_CLIENTS'] ?? 1000)
const FANOUT_ROUNDS = 5
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3)
/** How long after the last list the server's memory is read again, once V8 has settled (seconds). */
const SETTLE_S = Number(process.env['BENCH_SETTLE_S'] ?? 30)
// This file runs bundled from out/bench/.
const BIN = new URL('../../bin/dropbox-sync.mjs', import.meta.url).pathname
const TLS_ACCEPT = new URL('../../bench/node-floor/tls-accept.mjs', import.meta.url).pathname
/** Reads ('data' events: decrypted TLS records, or a few together) all bench clients got: how finely the server's writes came. */
let reads = 0

interface BenchClient {
  socket: TLSSocket
  endpoint: Endpoint
  /** The ports of the clients it knows: every bench client is at 127.0.0.1, each at its own port. */
  known: Set<number>
  /** JOIN_OK came. */
  member: boolean
  onUserOn?: (port: number) => void
}

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => Number(/(\d+)\s*kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0)
  return { rss: kb('VmRSS:') / 1024, peak: kb('VmHWM:') / 1024 }
}

/**
 * One client: TLS as `device`, then HELLO and JOIN, and (unless `logOn` is false) LOG_ON and
 * GET_CLIENTS in the same write: the server answers JOIN before it reads what follows.
 */
function join(port: number, serverId: Buffer, device: BenchDevice, endpoint: Endpoint, logOn = true): BenchClient {
  const decoder = new FrameDecoder()
  const client: BenchClient = { socket: null as unknown as TLSSocket, endpoint, known: new Set(), member: false }
  client.socket = dial(port, serverId, device, (socket) => {
    const frames = [
      encodeMessage({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: device.name }),
      encodeMessage({ type: 'JOIN', token: Buffer.alloc(0) }),
    ]
    if (logOn) frames.push(encodeMessage({ type: 'LOG_ON', endpoint }), encodeMessage({ type: 'GET_CLIENTS' }))
    socket.write(Buffer.concat(frames))
  })
  client.socket.on('data', (chunk: Buffer) => {
    reads++
    for (const body of decoder.push(chunk)) {
      const m = decodeBody(body)
      if (m.type === 'CLIENT_LIST') for (const c of m.clients) client.known.add(portOf(c.endpoint))
      else if (m.type === 'USER_ON') {
        const port = portOf(m.endpoint)
        client.known.add(port)
        client.onUserOn?.(port)
      } else if (m.type === 'USER_OFF') client.known.delete(portOf(m.endpoint))
      else if (m.type === 'JOIN_OK') client.member = true
      else if (m.type === 'JOIN_PENDING') throw new Error(`the server holds ${device.name} for approval: not in its member store`)
      else if (m.type === 'ERROR') throw new Error(`server refused ${endpointKey(endpoint)}: ${m.text}`)
    }
  })
  client.socket.on('error', (error) => {
    throw error
  })
  return client
}

/** A bench client's port: a client announced at any other address is a failure, not a count. */
function portOf(endpoint: Endpoint): number {
  if (endpoint.ip !== '127.0.0.1') throw new Error(`the server announced ${endpointKey(endpoint)}; every bench client is at 127.0.0.1`)
  return endpoint.port
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The first line a child prints that starts with `prefix`, parsed. */
function firstLine<T>(child: ChildProcess, prefix: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = ''
    const onData = (text: string): void => {
      pending += text
      const line = pending.split('\n').find((l) => l.startsWith(prefix))
      if (!line) return
      child.stdout!.off('data', onData)
      resolve(JSON.parse(line) as T)
    }
    child.stdout!.setEncoding('utf8').on('data', onData)
    child.once('exit', () => reject(new Error(`${String(child.spawnfile)} exited before printing ${prefix}`)))
  })
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    await exited
  }
}

interface RegistryRound {
  completeMs: number
  reads: number
  serverCpuMs: number
  clientsCpuMs: number
  fanouts: number[]
  joins: number[]
  idleRss: number
  rss: number
  peak: number
  settledRss: number
}

interface FloorRound {
  ms: number
  serverCpuMs: number
  clientsCpuMs: number
  idleRss: number
  rss: number
}

/** Bare Node accepting the same N mutual-TLS connections, and holding them: no protocol, no product code on the server. */
async function floorRound(dir: string, devices: BenchDevice[]): Promise<FloorRound> {
  const server = spawn(process.execPath, [TLS_ACCEPT, path.join(dir, 'floor-cert.pem'), path.join(dir, 'floor-key.pem'), ALPN_PROTOCOL, TLS13_SUITES], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const { port } = await firstLine<{ port: number }>(server, '{"port"')
    const serverId = certificateDeviceId(new X509Certificate(readFileSync(path.join(dir, 'floor-cert.pem'))).raw)
    const idleRss = rssMb(server.pid!).rss
    const serverCpu0 = cpuMs(server.pid!)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let secure = 0
    const sockets = devices.slice(0, N).map((device) => dial(port, serverId, device, () => secure++))
    for (const socket of sockets) socket.on('error', (error) => { throw error })
    await until(() => secure === N, 60_000, 'every TLS handshake with the bare-Node floor')
    const ms = performance.now() - t0
    const usage = process.cpuUsage(cpu0)
    // The server's own CPU and memory once it has seen every handshake through.
    await new Promise((r) => setTimeout(r, 200))
    const result = { ms, serverCpuMs: cpuMs(server.pid!) - serverCpu0, clientsCpuMs: (usage.user + usage.system) / 1000, idleRss, rss: rssMb(server.pid!).rss }
    for (const socket of sockets) socket.destroy()
    return result
  } finally {
    await stop(server, 'SIGKILL')
  }
}

async function registryRound(configDir: string, serverId: Buffer, devices: BenchDevice[]): Promise<RegistryRound> {
  // The clients never PING: a heartbeat longer than the bench, so none is dropped for that.
  const args = [BIN, 'server', '-p', '0', '--host', '127.0.0.1', '--json', '--config', configDir, '--name', 'bench-registry', '--heartbeat', '60000']
  const server = spawn(process.execPath, [...(process.env['BENCH_NODE_ARGS']?.split(' ') ?? []), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const { port } = await firstLine<{ port: number }>(server, '{"type":"ready"')
    const idleRss = rssMb(server.pid!).rss

    const serverCpu0 = cpuMs(server.pid!)
    const benchCpu0 = process.cpuUsage()
    const reads0 = reads
    const t0 = performance.now()
    const clients = Array.from({ length: N }, (_, i) => join(port, serverId, devices[i]!, { ip: '127.0.0.1', port: 10000 + i }))
    await until(() => clients.every((c) => c.known.size === N - 1), 60_000, 'every list to be complete')
    const completeMs = performance.now() - t0
    // Where the time goes: the server's work, and the bench's own (a thousand TLS clients in one process).
    const serverCpuMs = cpuMs(server.pid!) - serverCpu0
    const benchUsage = process.cpuUsage(benchCpu0)
    const clientsCpuMs = (benchUsage.user + benchUsage.system) / 1000
    const afterJoin = rssMb(server.pid!)
    const listReads = reads - reads0
    const settleAt = performance.now() + SETTLE_S * 1000

    // A newcomer does TLS, HELLO and JOIN first; the clock runs from its LOG_ON to the last USER_ON.
    const fanouts: number[] = []
    const joins: number[] = []
    for (let round = 0; round < FANOUT_ROUNDS; round++) {
      const endpoint = { ip: '127.0.0.1', port: 9000 + round }
      const key = endpoint.port
      let reached = 0
      let tDone = 0
      for (const c of clients) c.onUserOn = (k) => k === key && ++reached === N && (tDone = performance.now())
      const tJoin = performance.now()
      const newcomer = join(port, serverId, devices[N + round]!, endpoint, false)
      await until(() => newcomer.member, 10_000, 'the newcomer to be let in')
      joins.push(performance.now() - tJoin)
      const tSend = performance.now()
      newcomer.socket.write(encodeMessage({ type: 'LOG_ON', endpoint }))
      await until(() => reached === N, 10_000, 'the USER_ON fan-out')
      fanouts.push(tDone - tSend)
      newcomer.socket.destroy()
      await until(() => clients.every((c) => !c.known.has(key)), 10_000, 'the USER_OFF fan-out')
    }
    // The same 1,000 devices still connected and idle, once V8 has given back what the burst took.
    await new Promise((r) => setTimeout(r, Math.max(0, settleAt - performance.now())))
    const settled = rssMb(server.pid!)
    for (const c of clients) c.socket.destroy()
    return { completeMs, reads: listReads, serverCpuMs, clientsCpuMs, fanouts, joins, idleRss, rss: afterJoin.rss, peak: settled.peak, settledRss: settled.rss }
  } finally {
    await stop(server, process.env['BENCH_NODE_ARGS'] ? 'SIGINT' : 'SIGKILL')
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}
/** Median (min–max) of the rounds, in the unit `scale` turns ms into. */
function spread(values: number[], scale: (v: number) => string): string {
  return values.length === 1 ? scale(values[0]!) : `${scale(median(values))} (${scale(Math.min(...values))}–${scale(Math.max(...values))})`
}
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
const mb = (v: number): string => v.toFixed(0)

export async function benchRegistry(): Promise<Array<[string, string, string]>> {
  // The server's config folder: its identity (made now, so the clients can pin it) and its
  // member store, holding every device of the bench before the server starts.
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-registry-'))
  const serverId = (await loadOrCreateIdentity(configDir)).id
  const { devices, ms: makeMs } = await makeDevices(N + FANOUT_ROUNDS, 'bench')
  await addMembers(configDir, devices)
  const floorCert = await makeSelfSigned('bench-floor')
  writeFileSync(path.join(configDir, 'floor-cert.pem'), floorCert.certPem)
  writeFileSync(path.join(configDir, 'floor-key.pem'), floorCert.keyPem, { mode: 0o600 })
  try {
    const rounds: RegistryRound[] = []
    const floors: FloorRound[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, the order swapped each round, so neither always runs on a machine the other warmed.
      const order = round % 2 === 0 ? ['floor', 'registry'] : ['registry', 'floor']
      for (const what of order) {
        if (what === 'floor') floors.push(await floorRound(configDir, devices))
        else rounds.push(await registryRound(configDir, serverId, devices))
      }
      const r = rounds.at(-1)!
      const f = floors.at(-1)!
      process.stderr.write(
        `registry round ${round + 1}: lists ${seconds(r.completeMs)} (${r.reads} reads), CPU server ${seconds(r.serverCpuMs)} clients ${seconds(r.clientsCpuMs)}, RSS ${mb(r.rss)} / ${mb(r.settledRss)} settled / ${mb(r.peak)} peak MB; ` +
          `floor ${seconds(f.ms)}, CPU server ${seconds(f.serverCpuMs)} clients ${seconds(f.clientsCpuMs)}, RSS ${mb(f.rss)} MB\n`,
      )
    }
    const fanouts = rounds.flatMap((r) => r.fanouts)
    const joins = rounds.flatMap((r) => r.joins)
    const ms = (v: number): string => `${v.toFixed(1)} ms`
    return [
      [`${N + FANOUT_ROUNDS} device certificates made before the clock starts`, seconds(makeMs), '—'],
      [`${N} clients (TLS, HELLO, JOIN, LOG_ON, GET_CLIENTS): every list complete (${ROUNDS} rounds)`, spread(rounds.map((r) => r.completeMs), seconds), '< 5 s'],
      ['  CPU meanwhile: the server; the bench\'s clients (one process, same 2 cores)', `${spread(rounds.map((r) => r.serverCpuMs), seconds)}; ${spread(rounds.map((r) => r.clientsCpuMs), seconds)}`, '—'],
      ['  reads the clients made meanwhile (decrypted TLS records): fewer is larger writes', spread(rounds.map((r) => r.reads), (v) => v.toFixed(0)), '—'],
      [`  bare Node, the same ${N} mutual-TLS handshakes and nothing else: wall`, spread(floors.map((f) => f.ms), seconds), '—'],
      ['  bare Node: CPU of its server; of the same clients', `${spread(floors.map((f) => f.serverCpuMs), seconds)}; ${spread(floors.map((f) => f.clientsCpuMs), seconds)}`, '—'],
      [`one USER_ON reaches all ${N}, from LOG_ON (median of ${fanouts.length}; max)`, `${ms(median(fanouts))}; ${ms(Math.max(...fanouts))}`, '< 200 ms'],
      [`a newcomer's TLS + HELLO + JOIN_OK (median of ${joins.length}; max)`, `${ms(median(joins))}; ${ms(Math.max(...joins))}`, '—'],
      ['server RSS idle / at the last list / peak (MB)', `${spread(rounds.map((r) => r.idleRss), mb)} / ${spread(rounds.map((r) => r.rss), mb)} / ${spread(rounds.map((r) => r.peak), mb)}`, '< 150 MB'],
      [`server RSS with the ${N} devices still online, ${SETTLE_S} s after the last list (MB)`, spread(rounds.map((r) => r.settledRss), mb), '< 150 MB'],
      [`bare Node holding the same ${N} mutual-TLS connections: RSS idle / with them (MB)`, `${spread(floors.map((f) => f.idleRss), mb)} / ${spread(floors.map((f) => f.rss), mb)}`, '—'],
    ]
  } finally {
    rmSync(configDir, { recursive: true, force: true })
  }
}
