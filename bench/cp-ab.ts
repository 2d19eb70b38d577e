// Two builds of the CLI on the `cp -r` row (issue 20), in interleaved rounds (the order swaps each
// round): each build runs its own sender and running receiver; each round copies 10,000
// (BENCH_SCALE) files of 4 KiB into the sender's folder and waits until the receiver has placed
// them all. Compared by USER CPU seconds of both clients (see small-ab.ts for why), with the time
// from cp's return to the last file beside them. BENCH_AB_BASE: the other build's bundle
// (required, e.g. main's `out/cli` copied to `out/base-cli`); this tree's `out/cli` is the second.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { cleanUp, ROUNDS, SMALL_FILES, tempDir } from './blocks-common'
import { smallTree } from './blocks'
import { cpuTimes } from './proc-cpu'
import { median, Pair, settleDisk, type Proc } from './sync'

// This file runs bundled from out/bench/.
const OURS = new URL('../cli/dropbox-sync.mjs', import.meta.url).pathname

interface Round {
  cp: number
  after: number
  sender: number
  receiver: number
  both: number
  /** The receiver's system CPU, and its main thread's user + system CPU (beside the user CPU compared). */
  recvSys: number
  recvMain: number
}

interface Setup {
  pair: Pair
  src: string
  receiver: Proc
}

async function setUp(work: string, name: string, bin: string): Promise<Setup> {
  const dir = path.join(work, name)
  mkdirSync(dir)
  const src = path.join(dir, 'src')
  mkdirSync(src)
  writeFileSync(path.join(src, 'seed.txt'), 'a folder in sync before the copy')
  const pair = new Pair(dir, 'tls', bin)
  await pair.start(src, ['receiver'])
  const receiver = pair.receiver('receiver')
  await pair.synced(receiver)
  return { pair, src, receiver }
}

const userOf = (pid: number): number => cpuTimes(`/proc/${pid}/stat`).user
const systemOf = (pid: number): number => cpuTimes(`/proc/${pid}/stat`).system
const mainThreadOf = (pid: number): number => {
  const { user, system } = cpuTimes(`/proc/${pid}/task/${pid}/stat`)
  return user + system
}

async function round(setup: Setup, tree: string, copy: string): Promise<Round> {
  const { pair, src, receiver } = setup
  const [senderPid, receiverPid] = [pair.sender!.child.pid!, receiver.child.pid!]
  const from = receiver.events.length
  const cpu0 = [userOf(senderPid), userOf(receiverPid), systemOf(receiverPid), mainThreadOf(receiverPid)]
  const t0 = performance.now()
  const cp = spawn('cp', ['-r', tree, path.join(src, copy)], { stdio: 'ignore' })
  await new Promise((resolve) => cp.once('exit', resolve))
  const tCp = performance.now()
  let synced = 0
  await receiver.waitFor((e) => e['type'] === 'file-synced' && String(e['path']).startsWith(`${copy}/`) && ++synced >= SMALL_FILES, 600_000, from)
  const after = (performance.now() - tCp) / 1000
  const [sender, recv] = [userOf(senderPid) - cpu0[0]!, userOf(receiverPid) - cpu0[1]!]
  // Anything but the usual lines (errors, retries) is shown: a slow round says why.
  const unusual = new Map<string, number>()
  for (const e of receiver.events.slice(from)) {
    const kind = e['type'] === 'error' ? `error ${String(e['code'])}` : String(e['type'])
    if (!['file-synced', 'mirror-state', 'buffer', 'workers', 'transfer', 'file-syncing'].includes(kind)) unusual.set(kind, (unusual.get(kind) ?? 0) + 1)
  }
  if (unusual.size) console.error(`    receiver said: ${[...unusual].map(([kind, n]) => `${kind} ×${n}`).join(', ')}`)
  const [recvSys, recvMain] = [systemOf(receiverPid) - cpu0[2]!, mainThreadOf(receiverPid) - cpu0[3]!]
  return { cp: (tCp - t0) / 1000, after, sender, receiver: recv, both: sender + recv, recvSys, recvMain }
}

export async function benchCpAb(): Promise<{ columns: string[]; rows: string[][] }> {
  const base = process.env['BENCH_AB_BASE']
  if (!base || !existsSync(base)) throw new Error('BENCH_AB_BASE must name the other build\'s dropbox-sync.mjs (see bench/cp-ab.ts)')
  const work = tempDir('cp-ab')
  // A tree per round, copied by both builds: new content each round, or a receiver would copy the
  // files from its mirror of the last round instead of fetching them.
  const trees = Array.from({ length: ROUNDS }, (_, r) => path.join(work, `tree${r}`))
  for (const tree of trees) smallTree(tree, SMALL_FILES)
  const builds = { base, ours: OURS }
  const setups: Partial<Record<keyof typeof builds, Setup>> = {}
  const results: Record<keyof typeof builds, Round[]> = { base: [], ours: [] }
  try {
    for (const which of ['base', 'ours'] as const) setups[which] = await setUp(work, which, builds[which])
    for (let r = 0; r < ROUNDS; r++) {
      const order: Array<keyof typeof builds> = r % 2 === 0 ? ['base', 'ours'] : ['ours', 'base']
      for (const which of order) {
        settleDisk()
        // Past the last round's burst rescan (path-batches.ts), which would otherwise run in this one.
        await new Promise((resolve) => setTimeout(resolve, 3000))
        const result = await round(setups[which]!, trees[r]!, `copy${r}`)
        results[which].push(result)
        const shown = Object.entries(result).map(([key, value]) => `${key} ${value.toFixed(2)}`).join(', ')
        console.error(`  ${which}, round ${r + 1}: ${shown}`)
      }
    }
  } finally {
    for (const setup of Object.values(setups)) setup.pair.stop()
    cleanUp()
  }
  const keys: Array<keyof Round> = ['cp', 'after', 'sender', 'receiver', 'both', 'recvSys', 'recvMain']
  const cell = (rounds: Round[], key: keyof Round): string => {
    const values = rounds.map((x) => x[key])
    return `${median(values).toFixed(2)} s (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
  }
  const lower = (key: keyof Round): number => results.ours.filter((ours, i) => ours[key] < results.base[i]![key]).length
  return {
    columns: [
      `${SMALL_FILES.toLocaleString('en')} × 4 KiB cp -r into a running sender, ${ROUNDS} interleaved pairs (this tree lower: user CPU of both in ${lower('both')}, sender ${lower('sender')}, receiver ${lower('receiver')}, time after cp ${lower('after')}, receiver system CPU ${lower('recvSys')}, its main thread ${lower('recvMain')})`,
      'cp', 'after cp returns', 'sender user CPU', 'receiver user CPU', 'both', 'receiver system CPU', 'receiver main thread (user + system)',
    ],
    rows: (['base', 'ours'] as const).map((which) => [which === 'base' ? `base (${base})` : 'this tree', ...keys.map((key) => cell(results[which], key))]),
  }
}
