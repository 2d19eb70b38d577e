// Two builds of the CLI as fresh receivers of 10,000 × 4 KiB from one sender, in interleaved
// rounds (the order swaps each round), compared by USER CPU seconds: on these shared machines
// system time swings with what other processes delete (ext4's recently_deleted) and wall time
// with their load. Per round: the receiver's user CPU, its main thread's, its two busiest other
// threads' (the transfer workers) and the rest (V8's compiler and collector helpers), and the
// sender's. BENCH_AB_BASE: the other build's bundle (required, e.g. main's `out/cli` copied to
// `out/base-cli` before building this tree); this tree's `out/cli` is the second. Copies whose
// path has no node_modules above it cannot load their packages. BENCH_AB_FLAGS: Node flags for
// this tree's receivers only (`--trace-deopt`...), BENCH_AB_OUT: a file their output is added to.
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { ROUNDS, SMALL_FILES, tempDir } from './blocks-common'
import { smallTree } from './blocks'
import { freshReceiverFlags, stopReceiver, untilPeerSynced } from './small-phases'
import { cpuTimes } from './proc-cpu'
import { median, Pair, settleDisk } from './sync'

// This file runs bundled from out/bench/.
const OURS = new URL('../cli/dropbox-sync.mjs', import.meta.url).pathname
const FLAGS = (process.env['BENCH_AB_FLAGS'] ?? '').split(' ').filter(Boolean)
const OUT = process.env['BENCH_AB_OUT']

/** User and system seconds of a process or a thread (/proc/…/stat fields 14 and 15). */
interface Round {
  wall: number
  user: number
  system: number
  main: number
  workers: number
  rest: number
  sender: number
}

/** User seconds of the main thread, of the two busiest others (every thread is named "node"), and of the rest. */
function byThread(pid: number): Pick<Round, 'main' | 'workers' | 'rest'> {
  let main = 0
  const others: number[] = []
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const { user } = cpuTimes(`/proc/${pid}/task/${tid}/stat`)
    if (Number(tid) === pid) main = user
    else others.push(user)
  }
  others.sort((a, b) => b - a)
  const workers = others.slice(0, 2).reduce((a, b) => a + b, 0)
  return { main, workers, rest: others.slice(2).reduce((a, b) => a + b, 0) }
}

async function round(pair: Pair, bundle: string, name: string, work: string): Promise<Round> {
  const dst = path.join(work, name)
  mkdirSync(dst)
  const ours = bundle === OURS
  const flags = freshReceiverFlags(pair, dst, work, name)
  settleDisk()
  const senderPid = pair.sender!.child.pid!
  const sender0 = cpuTimes(`/proc/${senderPid}/stat`).user
  const t0 = performance.now()
  const child = spawn(process.execPath, [...(ours ? FLAGS : []), bundle, 'client', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] })
  let files = 0
  await untilPeerSynced(child, (lines) => {
    if (OUT && ours) appendFileSync(OUT, `${lines.join('\n')}\n`)
    for (const line of lines) if (line.includes('"file-synced"')) files++
  })
  const wall = (performance.now() - t0) / 1000
  const { user, system } = cpuTimes(`/proc/${child.pid}/stat`)
  const threads = byThread(child.pid!)
  const sender = cpuTimes(`/proc/${senderPid}/stat`).user - sender0
  await stopReceiver(child)
  // Flags that print (traces) may split the event lines: the count is checked only without them.
  if (files !== SMALL_FILES && FLAGS.length === 0) throw new Error(`${name}: ${files} file-synced lines of ${SMALL_FILES}`)
  return { wall, user, system, ...threads, sender }
}

export async function benchSmallAb(): Promise<{ columns: string[]; rows: string[][] }> {
  const base = process.env['BENCH_AB_BASE']
  if (!base || !existsSync(base)) throw new Error('BENCH_AB_BASE must name the other build\'s dropbox-sync.mjs (see bench/small-ab.ts)')
  const work = tempDir('ab')
  const src = path.join(work, 'src')
  smallTree(src, SMALL_FILES)
  const pair = new Pair(work)
  const names = Array.from({ length: ROUNDS * 2 }, (_, i) => `r${i}`)
  const builds = { base, ours: OURS }
  const results: Record<keyof typeof builds, Round[]> = { base: [], ours: [] }
  try {
    await pair.start(src, names)
    for (let r = 0; r < ROUNDS; r++) {
      const order: Array<keyof typeof builds> = r % 2 === 0 ? ['base', 'ours'] : ['ours', 'base']
      for (const [i, which] of order.entries()) {
        const result = await round(pair, builds[which], names[r * 2 + i]!, work)
        results[which].push(result)
        const shown = Object.entries(result).map(([key, value]) => `${key} ${value.toFixed(2)}`).join(', ')
        console.error(`  ${which}, round ${r + 1}: ${shown}`)
      }
    }
  } finally {
    pair.stop()
  }
  const keys: Array<keyof Round> = ['wall', 'user', 'system', 'main', 'workers', 'rest', 'sender']
  const cell = (rounds: Round[], key: keyof Round): string => {
    const values = rounds.map((x) => x[key])
    return `${median(values).toFixed(2)} s (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
  }
  const lower = results.ours.filter((ours, i) => ours.user < results.base[i]!.user).length
  return {
    columns: [`${SMALL_FILES.toLocaleString('en')} × 4 KiB, fresh receiver, ${ROUNDS} interleaved pairs (this tree's user CPU lower in ${lower})`, ...keys],
    rows: (['base', 'ours'] as const).map((which) => [which === 'base' ? `base (${base})` : 'this tree', ...keys.map((key) => cell(results[which], key))]),
  }
}
