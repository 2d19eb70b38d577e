// Registry benchmark: N protocol-level clients join a real `dropbox-sync server` process, each a
// device of its own over mutual TLS (protocol 4), a member of the server (added to its store
// before it starts), saying HELLO, JOIN, LOG_ON and GET_CLIENTS. Prints the time until every
// client's list is complete, the time for one USER_ON to reach all N, and the server's memory.
// Goals (issues 3 and 19): < 5 s, < 200 ms, < 150 MB RSS. The devices' certificates are made
// before the clock starts; how long that took is printed too.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import { loadOrCreateIdentity } from '../src/main/engine/identity/device-identity'
import { encodeMessage, decodeBody } from '../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../src/main/engine/protocol/constants'
import { FrameDecoder } from '../src/main/engine/protocol/frame-decoder'
import { endpointKey, type Endpoint } from '../src/shared/endpoint'
import { addMembers, dial, makeDevices, type BenchDevice } from './devices'

const N = Number(process.env['BENCH_CLIENTS'] ?? 1000)
const FANOUT_ROUNDS = 5
// This file runs bundled from out/bench/.
const BIN = new URL('../../bin/dropbox-sync.mjs', import.meta.url).pathname

interface BenchClient {
  socket: TLSSocket
  endpoint: Endpoint
  known: Set<string>
  /** JOIN_OK came. */
  member: boolean
  onUserOn?: (key: string) => void
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
    for (const body of decoder.push(chunk)) {
      const m = decodeBody(body)
      if (m.type === 'CLIENT_LIST') for (const c of m.clients) client.known.add(endpointKey(c.endpoint))
      else if (m.type === 'USER_ON') {
        const key = endpointKey(m.endpoint)
        client.known.add(key)
        client.onUserOn?.(key)
      } else if (m.type === 'USER_OFF') client.known.delete(endpointKey(m.endpoint))
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

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export async function benchRegistry(): Promise<Array<[string, string, string]>> {
  // The server's config folder: its identity (made now, so the clients can pin it) and its
  // member store, holding every device of the bench before the server starts.
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-registry-'))
  const serverId = (await loadOrCreateIdentity(configDir)).id
  const { devices, ms: makeMs } = await makeDevices(N + FANOUT_ROUNDS, 'bench')
  await addMembers(configDir, devices)
  // The clients never PING: a heartbeat longer than the bench, so none is dropped for that.
  const args = [BIN, 'server', '-p', '0', '--host', '127.0.0.1', '--json', '--config', configDir, '--name', 'bench-registry', '--heartbeat', '60000']
  const server = spawn(process.execPath, [...(process.env['BENCH_NODE_ARGS']?.split(' ') ?? []), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let pending = ''
      const onData = (text: string): void => {
        pending += text
        const line = pending.split('\n').find((l) => l.startsWith('{"type":"ready"'))
        if (!line) return
        server.stdout.off('data', onData)
        resolve((JSON.parse(line) as { port: number }).port)
      }
      server.stdout.setEncoding('utf8').on('data', onData)
      server.once('exit', () => reject(new Error('server exited')))
    })
    const idleRss = rssMb(server.pid!).rss

    const serverCpu0 = cpuMs(server.pid!)
    const benchCpu0 = process.cpuUsage()
    const t0 = performance.now()
    const clients = Array.from({ length: N }, (_, i) => join(port, serverId, devices[i]!, { ip: '127.0.0.1', port: 10000 + i }))
    await until(() => clients.every((c) => c.known.size === N - 1), 60_000, 'every list to be complete')
    const completeMs = performance.now() - t0
    // Where the time goes: the server's work, and the bench's own (a thousand TLS clients in one process).
    const serverCpu = cpuMs(server.pid!) - serverCpu0
    const benchUsage = process.cpuUsage(benchCpu0)
    const benchCpu = (benchUsage.user + benchUsage.system) / 1000
    const afterJoin = rssMb(server.pid!)

    // A newcomer does TLS, HELLO and JOIN first; the clock runs from its LOG_ON to the last USER_ON.
    const fanouts: number[] = []
    const joins: number[] = []
    for (let round = 0; round < FANOUT_ROUNDS; round++) {
      const endpoint = { ip: '127.0.0.1', port: 9000 + round }
      const key = endpointKey(endpoint)
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
    fanouts.sort((a, b) => a - b)
    joins.sort((a, b) => a - b)
    for (const c of clients) c.socket.destroy()

    return [
      [`${N + FANOUT_ROUNDS} device certificates made before the clock starts`, `${(makeMs / 1000).toFixed(2)} s`, '—'],
      [`${N} clients (TLS, HELLO, JOIN, LOG_ON, GET_CLIENTS): every list complete`, `${(completeMs / 1000).toFixed(2)} s`, '< 5 s'],
      ['  CPU meanwhile: the server; the bench\'s clients (one process, same 2 cores)', `${(serverCpu / 1000).toFixed(2)} s; ${(benchCpu / 1000).toFixed(2)} s`, '—'],
      [`one USER_ON reaches all ${N}, from LOG_ON (median of ${FANOUT_ROUNDS}; max)`, `${fanouts[2]!.toFixed(1)} ms; ${fanouts[4]!.toFixed(1)} ms`, '< 200 ms'],
      [`a newcomer's TLS + HELLO + JOIN_OK (median of ${FANOUT_ROUNDS}; max)`, `${joins[2]!.toFixed(1)} ms; ${joins[4]!.toFixed(1)} ms`, '—'],
      ['server RSS idle / with clients / peak', `${idleRss.toFixed(0)} / ${afterJoin.rss.toFixed(0)} / ${afterJoin.peak.toFixed(0)} MB`, '< 150 MB'],
    ]
  } finally {
    server.kill(process.env['BENCH_NODE_ARGS'] ? 'SIGINT' : 'SIGKILL')
    await new Promise((resolve) => (server.exitCode !== null || server.signalCode !== null ? resolve(null) : server.once('exit', resolve)))
    rmSync(configDir, { recursive: true, force: true })
  }
}
