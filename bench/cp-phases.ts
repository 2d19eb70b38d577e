// Where the `cp -r` row's time goes (issue 20): 10,000 (BENCH_SCALE) new files of 4 KiB copied
// into a running sender's folder while a running receiver mirrors it. Per round, from the start
// of cp: when cp returned, when the receiver heard of the first and the last new file (its
// mirror-state's peerFiles, at most twice a second), when its first, middle and last file landed;
// and the CPU seconds of the sender and the receiver (every thread) up to cp's return and after.
// cp runs beside the bench's event loop, so the receiver's events are read as they come.
// BENCH_PROFILE=DIR adds --cpu-prof to the CLI processes (a profile per thread, written at exit).
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { cleanUp, ROUNDS, SMALL_FILES, tempDir } from './blocks-common'
import { smallTree } from './blocks'
import { cpuOf } from './proc-cpu'
import { cliNodeFlags, median, Pair, settleDisk } from './sync'

const PROFILE = process.env['BENCH_PROFILE']

interface Round {
  cp: number
  after: number
  senderCpu: [number, number]
  receiverCpu: [number, number]
  line: string
}

export async function benchCpPhases(): Promise<{ columns: string[]; rows: string[][] }> {
  const work = tempDir('cp-phases')
  const src = path.join(work, 'src')
  const trees = Array.from({ length: ROUNDS }, (_, round) => path.join(work, `tree${round}`))
  for (const tree of trees) smallTree(tree, SMALL_FILES)
  mkdirSync(src)
  writeFileSync(path.join(src, 'seed.txt'), 'a folder in sync before the copy')
  const pair = new Pair(work)
  const rounds: Round[] = []
  if (PROFILE) cliNodeFlags.push('--cpu-prof', `--cpu-prof-dir=${PROFILE}`)
  cliNodeFlags.push(...(process.env['BENCH_CLI_FLAGS'] ?? '').split(' ').filter(Boolean))
  let receiverPid = 0
  try {
    await pair.start(src, ['receiver'])
    const receiver = pair.receiver('receiver')
    await pair.synced(receiver)
    const senderPid = pair.sender!.child.pid!
    receiverPid = receiver.child.pid!
    for (let round = 0; round < ROUNDS; round++) {
      settleDisk()
      // Past the last round's burst rescan (path-batches.ts), which would otherwise run in this one.
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const prefix = `copy${round}/`
      const from = receiver.events.length
      const cpu0 = [cpuOf(senderPid), cpuOf(receiverPid)]
      const t0 = performance.now()
      const cp = spawn('cp', ['-r', trees[round]!, path.join(src, `copy${round}`)], { stdio: 'ignore' })
      await new Promise((resolve) => cp.once('exit', resolve))
      const tCp = performance.now()
      const cpu1 = [cpuOf(senderPid), cpuOf(receiverPid)]
      const marks: Array<[string, number]> = []
      let synced = 0
      let heard = 0
      const at = (): number => (performance.now() - tCp) / 1000
      await receiver.waitFor(
        (e) => {
          if (e['type'] === 'mirror-state' && typeof e['peerFiles'] === 'number') {
            const known = (e['peerFiles'] as number) - 1 - round * SMALL_FILES
            if (known > 0 && heard === 0) marks.push(['heard of the first', at()])
            if (known >= SMALL_FILES && heard < SMALL_FILES) marks.push(['heard of all', at()])
            heard = known
          }
          if (e['type'] === 'file-synced' && String(e['path']).startsWith(prefix)) {
            synced++
            if (synced === 1) marks.push(['first landed', at()])
            if (synced === SMALL_FILES >> 1) marks.push(['half landed', at()])
          }
          return synced >= SMALL_FILES
        },
        600_000,
        from,
      )
      const after = at()
      const cpu2 = [cpuOf(senderPid), cpuOf(receiverPid)]
      const cpSeconds = (tCp - t0) / 1000
      const text = marks.map(([name, s]) => `${name} ${s >= 0 ? '+' : ''}${s.toFixed(2)}`).join(', ')
      const line = `cp ${cpSeconds.toFixed(2)} s; then ${text}, all +${after.toFixed(2)} s; sender CPU ${(cpu1[0]! - cpu0[0]!).toFixed(2)} + ${(cpu2[0]! - cpu1[0]!).toFixed(2)} s, receiver ${(cpu1[1]! - cpu0[1]!).toFixed(2)} + ${(cpu2[1]! - cpu1[1]!).toFixed(2)} s (during cp + after)`
      console.error(`  round ${round + 1}: ${line}`)
      rounds.push({ cp: cpSeconds, after, senderCpu: [cpu1[0]! - cpu0[0]!, cpu2[0]! - cpu1[0]!], receiverCpu: [cpu1[1]! - cpu0[1]!, cpu2[1]! - cpu1[1]!], line })
    }
  } finally {
    if (PROFILE || process.env['BENCH_CLI_FLAGS']) {
      // Profiles are written at a graceful exit only.
      for (const proc of pair.procs) proc.child.kill('SIGINT')
      await Promise.all(pair.procs.map((proc) => new Promise((resolve) => (proc.child.exitCode === null ? proc.child.once('exit', resolve) : resolve(null)))))
      console.error(`  profiles in ${PROFILE}: sender ${pair.sender?.child.pid}, receiver ${receiverPid}`)
    }
    pair.stop()
    cleanUp()
  }
  const cell = (values: number[]): string => `${median(values).toFixed(2)} s (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
  return {
    columns: [`${SMALL_FILES.toLocaleString('en')} × 4 KiB, cp -r into a running sender (${ROUNDS} rounds; each round's marks on stderr)`, 'during cp', 'after cp returns'],
    rows: [
      ['wall', cell(rounds.map((r) => r.cp)), cell(rounds.map((r) => r.after))],
      ['sender CPU', cell(rounds.map((r) => r.senderCpu[0])), cell(rounds.map((r) => r.senderCpu[1]))],
      ['receiver CPU', cell(rounds.map((r) => r.receiverCpu[0])), cell(rounds.map((r) => r.receiverCpu[1]))],
    ],
  }
}
