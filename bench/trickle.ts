// A trickle of single-file changes into a big folder already in sync (issue 20): what each change
// costs the running sender and receiver in USER CPU (see small-ab.ts for why user CPU), at two
// folder sizes, so that a cost growing with the folder shows. Per size, one folder of small files
// is shared by one sender per build (each with its own server and running receiver, all synced
// first); each round rewrites BENCH_TRICKLE_CHANGES files, one every 20–50 ms, waits until every
// receiver has placed them all and then past the saves' longest wait, and divides each client's
// user CPU over that span by the changes. BENCH_TRICKLE_SIZES: the sizes (default 10000,100000);
// BENCH_AB_BASE: another build's bundle run beside this tree's on the same changes (optional).
// BENCH_PROFILE=DIR: --cpu-prof for every client (a profile per thread, written at exit).
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { cleanUp, ROUNDS, sleep, tempDir } from './blocks-common'
import { smallTree } from './blocks'
import { cpuTimes } from './proc-cpu'
import { cliNodeFlags, median, Pair, settleDisk, type Proc } from './sync'

// This file runs bundled from out/bench/.
const OURS = new URL('../cli/dropbox-sync.mjs', import.meta.url).pathname
const SIZES = (process.env['BENCH_TRICKLE_SIZES'] ?? '10000,100000').split(',').map(Number)
const CHANGES = Number(process.env['BENCH_TRICKLE_CHANGES'] ?? 200)
const PROFILE = process.env['BENCH_PROFILE']
/** Past the manifest's and the index's longest wait before a save (5 s), so each round pays its own. */
const SETTLE_MS = 7000

interface Build {
  name: string
  pair: Pair
  receiver: Proc
}

const userOf = (pid: number): number => cpuTimes(`/proc/${pid}/stat`).user

/** The path (inside the folder) of file `i` of smallTree's layout. */
const fileAt = (i: number): string => `dir${String(i % 100).padStart(3, '0')}/file${i}.bin`

async function setUp(work: string, src: string, name: string, bin: string | undefined): Promise<Build> {
  const dir = path.join(work, name)
  mkdirSync(dir)
  const pair = new Pair(dir, 'tls', bin)
  await pair.start(src, ['receiver'])
  const receiver = pair.receiver('receiver')
  await pair.synced(receiver)
  // Past the receiver's first look at its whole mirror (the guard, once synced) and the saves after the sync.
  await sleep(SETTLE_MS)
  return { name, pair, receiver }
}

/** One round: user CPU seconds per change of each build's sender and receiver. */
async function round(builds: Build[], src: string, size: number, r: number): Promise<Array<{ sender: number; receiver: number }>> {
  const pids = builds.map((b) => [b.pair.sender!.child.pid!, b.receiver.child.pid!] as const)
  const from = builds.map((b) => b.receiver.events.length)
  const cpu0 = pids.map(([s, rc]) => [userOf(s), userOf(rc)])
  const changed = new Set<string>()
  for (let i = 0; i < CHANGES; i++) {
    const rel = fileAt((r * CHANGES + i) % size)
    changed.add(rel)
    writeFileSync(path.join(src, ...rel.split('/')), randomBytes(4096))
    await sleep(20 + Math.random() * 30)
  }
  await Promise.all(
    builds.map((b, i) => {
      const left = new Set(changed)
      return b.receiver.waitFor((e) => e['type'] === 'file-synced' && left.delete(String(e['path'])) && left.size === 0, 600_000, from[i])
    }),
  )
  await sleep(SETTLE_MS)
  return pids.map(([s, rc], i) => ({ sender: (userOf(s) - cpu0[i]![0]!) / CHANGES, receiver: (userOf(rc) - cpu0[i]![1]!) / CHANGES }))
}

export async function benchTrickle(): Promise<{ columns: string[]; rows: string[][] }> {
  const base = process.env['BENCH_AB_BASE']
  if (base && !existsSync(base)) throw new Error(`BENCH_AB_BASE names no file: ${base}`)
  if (PROFILE) cliNodeFlags.push('--cpu-prof', `--cpu-prof-dir=${PROFILE}`)
  const kinds: Array<[string, string | undefined]> = [...(base ? [['base', base] as [string, string]] : []), ['ours', OURS]]
  const rows: string[][] = []
  const all: Build[] = []
  try {
    for (const size of SIZES) {
      const work = tempDir(`trickle-${size}`)
      const src = path.join(work, 'src')
      smallTree(src, size)
      settleDisk()
      const t0 = performance.now()
      const builds: Build[] = []
      for (const [name, bin] of kinds) builds.push(await setUp(work, src, name, bin))
      all.push(...builds)
      console.error(`  ${size} files: in sync in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      const per: Record<string, { sender: number[]; receiver: number[] }> = {}
      for (const b of builds) per[b.name] = { sender: [], receiver: [] }
      const tTrickle = performance.now()
      for (let r = 0; r < ROUNDS; r++) {
        settleDisk()
        const result = await round(builds, src, size, r)
        result.forEach((x, i) => {
          per[builds[i]!.name]!.sender.push(x.sender)
          per[builds[i]!.name]!.receiver.push(x.receiver)
        })
        console.error(`  ${size} files, round ${r + 1}: ${builds.map((b, i) => `${b.name} sender ${(result[i]!.sender * 1000).toFixed(2)} ms, receiver ${(result[i]!.receiver * 1000).toFixed(2)} ms`).join('; ')} (user CPU per change)`)
      }
      console.error(`  ${size} files: the trickle's rounds took ${((performance.now() - tTrickle) / 1000).toFixed(1)} s`)
      const cell = (values: number[]): string => `${(median(values) * 1000).toFixed(2)} ms (${(Math.min(...values) * 1000).toFixed(2)}–${(Math.max(...values) * 1000).toFixed(2)})`
      for (const b of builds) rows.push([`${size.toLocaleString('en')} files, ${b.name === 'base' ? `base (${base})` : 'this tree'}`, cell(per[b.name]!.sender), cell(per[b.name]!.receiver)])
      if (PROFILE) {
        // Profiles are written at a graceful exit only; one size per run gives one clean profile.
        for (const b of builds) for (const proc of b.pair.procs) proc.child.kill('SIGINT')
        await Promise.all(builds.flatMap((b) => b.pair.procs).map((proc) => new Promise((resolve) => (proc.child.exitCode === null ? proc.child.once('exit', resolve) : resolve(null)))))
        console.error(`  profiles in ${PROFILE}: ${builds.map((b) => `${b.name} sender ${b.pair.sender!.child.pid}, receiver ${b.receiver.child.pid}`).join('; ')}`)
      }
    }
  } finally {
    for (const b of all) b.pair.stop()
    cleanUp()
  }
  return {
    columns: [`${CHANGES} single-file changes (4 KiB, one every 20–50 ms) into a folder in sync, ${ROUNDS} rounds`, 'sender user CPU per change', 'receiver user CPU per change'],
    rows,
  }
}
