// Registry benchmark: N protocol-level clients join a real `dropbox-sync server` process.
// Prints the time until every client's list is complete, the time for one USER_ON to reach all
// N, and the server's memory. Goals (issue 3): < 5 s, < 200 ms, < 150 MB RSS.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { encodeMessage, decodeBody } from '../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../src/main/engine/protocol/constants'
import { FrameDecoder } from '../src/main/engine/protocol/frame-decoder'
import { endpointKey, type Endpoint } from '../src/shared/endpoint'

const N = Number(process.env['BENCH_CLIENTS'] ?? 1000)
const FANOUT_ROUNDS = 5
// This file runs bundled from out/bench/.
const BIN = new URL('../../bin/dropbox-sync.mjs', import.meta.url).pathname

interface BenchClient {
  socket: Socket
  endpoint: Endpoint
  known: Set<string>
  onUserOn?: (key: string) => void
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => Number(/(\d+)\s*kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0)
  return { rss: kb('VmRSS:') / 1024, peak: kb('VmHWM:') / 1024 }
}

function join(port: number, endpoint: Endpoint): BenchClient {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true })
  const client: BenchClient = { socket, endpoint, known: new Set() }
  const decoder = new FrameDecoder()
  socket.on('connect', () => {
    socket.write(
      Buffer.concat([
        encodeMessage({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', nodeId: randomBytes(16), heartbeatMs: 0, auth: Buffer.alloc(0) }),
        encodeMessage({ type: 'LOG_ON', endpoint }),
        encodeMessage({ type: 'GET_CLIENTS' }),
      ]),
    )
  })
  socket.on('data', (chunk) => {
    for (const body of decoder.push(chunk)) {
      const m = decodeBody(body)
      if (m.type === 'CLIENT_LIST') for (const c of m.clients) client.known.add(endpointKey(c))
      else if (m.type === 'USER_ON') {
        const key = endpointKey(m.endpoint)
        client.known.add(key)
        client.onUserOn?.(key)
      } else if (m.type === 'USER_OFF') client.known.delete(endpointKey(m.endpoint))
      else if (m.type === 'ERROR') throw new Error(`server refused ${endpointKey(endpoint)}: ${m.text}`)
    }
  })
  socket.on('error', (error) => {
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
  const server = spawn(process.execPath, [...(process.env['BENCH_NODE_ARGS']?.split(' ') ?? []), BIN, 'server', '-p', '0', '--host', '127.0.0.1', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.setEncoding('utf8').once('data', (line: string) => resolve(JSON.parse(line.split('\n')[0]!).port))
      server.once('exit', () => reject(new Error('server exited')))
    })
    const idleRss = rssMb(server.pid!).rss

    const t0 = performance.now()
    const clients = Array.from({ length: N }, (_, i) => join(port, { ip: '127.0.0.1', port: 10000 + i }))
    await until(() => clients.every((c) => c.known.size === N - 1), 60_000, 'every list to be complete')
    const completeMs = performance.now() - t0
    if (process.env['BENCH_DEBUG']) {
      const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      process.stderr.write(`server cpu ${(Number(stat[11]) + Number(stat[12])) * 10} ms, bench cpu ${JSON.stringify(process.cpuUsage())}\n`)
    }
    const afterJoin = rssMb(server.pid!)

    const fanouts: number[] = []
    for (let round = 0; round < FANOUT_ROUNDS; round++) {
      const endpoint = { ip: '127.0.0.1', port: 9000 + round }
      const key = endpointKey(endpoint)
      let reached = 0
      let tDone = 0
      for (const c of clients) c.onUserOn = (k) => k === key && ++reached === N && (tDone = performance.now())
      const tSend = performance.now()
      const newcomer = join(port, endpoint)
      await until(() => reached === N, 10_000, 'the USER_ON fan-out')
      fanouts.push(tDone - tSend)
      newcomer.socket.destroy()
      await until(() => clients.every((c) => !c.known.has(key)), 10_000, 'the USER_OFF fan-out')
    }
    fanouts.sort((a, b) => a - b)
    for (const c of clients) c.socket.destroy()

    return [
      [`${N} clients: every list complete`, `${(completeMs / 1000).toFixed(2)} s`, '< 5 s'],
      [`one USER_ON reaches all ${N} (median of ${FANOUT_ROUNDS}; max)`, `${fanouts[2]!.toFixed(1)} ms; ${fanouts[4]!.toFixed(1)} ms`, '< 200 ms'],
      ['server RSS idle / with clients / peak', `${idleRss.toFixed(0)} / ${afterJoin.rss.toFixed(0)} / ${afterJoin.peak.toFixed(0)} MB`, '< 150 MB'],
    ]
  } finally {
    server.kill(process.env['BENCH_NODE_ARGS'] ? 'SIGINT' : 'SIGKILL')
  }
}
