// Where a fresh receiver of many small files spends its time (issue 20): for each round, the
// receiver's events as they come (ready, registered, mirror phases, first file, peer-synced), its
// CPU seconds per thread at the end (/proc: the main thread, the workers, V8's helper threads),
// its CPU when the first file landed, and the sender's CPU meanwhile; beside it the bare-Node
// floor, plain and over TLS, by CPU seconds. CPU seconds compare on a busy machine; wall time
// does not. BENCH_PROFILE=DIR adds --cpu-prof to each receiver (profiles per thread in DIR/rN).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { cleanUp, ROUNDS, SMALL_FILES, tempDir } from './blocks-common'
import { smallTree } from './blocks'
import { cpuTimes } from './proc-cpu'
import { FloorSender, median, Pair, settleDisk } from './sync'

const BIN = new URL('../../bin/dropbox-sync.mjs', import.meta.url).pathname
const FLOOR = new URL('../../bench/node-floor/', import.meta.url).pathname
const PROFILE = process.env['BENCH_PROFILE']

function cpuOf(statFile: string): number {
  const { user, system } = cpuTimes(statFile)
  return user + system
}

/** Each thread's CPU seconds by its offset from the process ID (+0 is the main thread). */
function threadsOf(pid: number): string {
  const out: string[] = []
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const seconds = cpuOf(`/proc/${pid}/task/${tid}/stat`)
    if (seconds > 0) out.push(`+${Number(tid) - pid} ${seconds.toFixed(2)}`)
  }
  return out.join(', ')
}

/** The CLI flags of a fresh receiver named `name`, sharing the empty folder `dst`, beside `pair`'s sender. */
export function freshReceiverFlags(pair: Pair, dst: string, work: string, name: string): string[] {
  return ['-d', dst, '--mirror', `${dst}-mirrors`, '-sp', String(pair.serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', '--config', path.join(work, `${name}-config`), '--name', name, '--json']
}

interface Round {
  seconds: number
  cpu: number
  // Apart, since creating files right after many were deleted costs system time alone (ARCHITECTURE.md).
  user: number
  system: number
  senderCpu: number
  line: string
}

/** Hands a receiver's event lines to `each` as they come; resolves at its `peer-synced`, rejects if it exits first. */
export function untilPeerSynced(child: ChildProcess, each: (lines: string[]) => void): Promise<void> {
  let pending = ''
  return new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)))
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop()!
      each(lines)
      if (lines.some((line) => line.includes('"peer-synced"'))) resolve()
    })
  })
}

/** Stops a receiver the way a user does (Ctrl-C), and waits for it to exit. */
export async function stopReceiver(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit')
  child.kill('SIGINT')
  await new Promise((resolve) => child.once('exit', resolve))
}

async function oursRound(pair: Pair, name: string, work: string): Promise<Round> {
  const dst = path.join(work, name)
  mkdirSync(dst)
  const profile = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(PROFILE, name)] : []
  const flags = freshReceiverFlags(pair, dst, work, name)
  settleDisk()
  const senderPid = pair.sender!.child.pid!
  const sender0 = cpuOf(`/proc/${senderPid}/stat`)
  const t0 = performance.now()
  const child = spawn(process.execPath, [...profile, BIN, 'client', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] })
  const marks: string[] = []
  let firstCpu: number | null = null
  await untilPeerSynced(child, (lines) => {
    for (const line of lines) {
      const event = JSON.parse(line) as Record<string, unknown>
      const at = `${((performance.now() - t0) / 1000).toFixed(2)} s`
      const type = String(event['type'])
      if (type === 'file-synced' && firstCpu === null) {
        firstCpu = cpuOf(`/proc/${child.pid}/stat`)
        marks.push(`${at} first file`)
      } else if (type === 'mirror-state') {
        const phase = `mirror ${String(event['phase'])}`
        if (!marks.at(-1)?.endsWith(phase)) marks.push(`${at} ${phase}`)
      } else if (['ready', 'registered', 'peer-joined', 'peer-synced'].includes(type)) {
        marks.push(`${at} ${type}`)
      }
    }
  })
  const seconds = (performance.now() - t0) / 1000
  const { user, system } = cpuTimes(`/proc/${child.pid}/stat`)
  const cpu = user + system
  const threads = threadsOf(child.pid!)
  const senderCpu = cpuOf(`/proc/${senderPid}/stat`) - sender0
  await stopReceiver(child)
  const line = `${seconds.toFixed(2)} s; CPU ${cpu.toFixed(2)} s, system ${system.toFixed(2)} s (${(firstCpu ?? 0).toFixed(2)} s by the first file; threads ${threads}); sender CPU ${senderCpu.toFixed(2)} s; ${marks.join(' → ')}`
  return { seconds, cpu, user, system, senderCpu, line }
}

/** The floor's receiver through /usr/bin/time: its wall and CPU seconds. */
function floorRound(floor: FloorSender, dst: string): Round {
  settleDisk()
  const t0 = performance.now()
  const run = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, path.join(FLOOR, 'receiver.mjs'), String(floor.port), dst, '2', ...floor.tlsArgs], { encoding: 'utf8' })
  const seconds = (performance.now() - t0) / 1000
  if (run.status !== 0) throw new Error(`the floor's receiver failed: ${run.stderr}`)
  const [user, system] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  const cpu = user! + system!
  return { seconds, cpu, user: user!, system: system!, senderCpu: NaN, line: `${seconds.toFixed(2)} s; CPU ${cpu.toFixed(2)} s, system ${system!.toFixed(2)} s` }
}

export async function benchSmallPhases(): Promise<{ columns: string[]; rows: string[][] }> {
  const work = tempDir('phases')
  const src = path.join(work, 'src')
  smallTree(src, SMALL_FILES)
  const pair = new Pair(work)
  const names = Array.from({ length: ROUNDS }, (_, round) => `r${round}`)
  const floor = await FloorSender.start(src)
  const floorTls = await FloorSender.start(src, true)
  const results: Record<string, Round[]> = { ours: [], floor: [], floorTls: [] }
  try {
    await pair.start(src, names)
    for (let round = 0; round < ROUNDS; round++) {
      const tools: Array<[string, () => Promise<Round>]> = [
        ['ours', () => oursRound(pair, names[round]!, work)],
        ['floor', async () => floorRound(floor, path.join(work, `floor${round}`))],
        ['floorTls', async () => floorRound(floorTls, path.join(work, `floorTls${round}`))],
      ]
      // The order rotates each round: none always goes first.
      for (let i = 0; i < tools.length; i++) {
        const [name, run] = tools[(i + round) % tools.length]!
        const result = await run()
        results[name]!.push(result)
        console.error(`  ${name}, round ${round + 1}: ${result.line}`)
      }
    }
  } finally {
    pair.stop()
    floor.stop()
    floorTls.stop()
    cleanUp()
  }
  const cell = (rounds: Round[], key: 'seconds' | 'user' | 'system' | 'senderCpu'): string => {
    const values = rounds.map((r) => r[key]).filter((v) => !Number.isNaN(v))
    return values.length ? `${median(values).toFixed(2)} s (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})` : '—'
  }
  const row = (label: string, rounds: Round[]): string[] => [label, cell(rounds, 'seconds'), cell(rounds, 'user'), cell(rounds, 'system'), cell(rounds, 'senderCpu')]
  return {
    columns: [`${SMALL_FILES.toLocaleString('en')} × 4 KiB, fresh receiver (${ROUNDS} interleaved rounds; each round's threads and events on stderr)`, 'wall', 'receiver user CPU', 'receiver system CPU', 'sender CPU'],
    rows: [row('dropbox-sync', results['ours']!), row('bare-Node floor', results['floor']!), row('bare-Node floor, mutual TLS 1.3', results['floorTls']!)],
  }
}
