// Bandwidth limit benchmark (issue 21): one 1 GiB file (× BENCH_SCALE) moved on loopback under a
// --limit-rate chosen so that it takes about 10 s, once limited at the sender (upload) and once
// at the receiver (download), beside rsync --bwlimit on the same file, in interleaved rounds. The
// goal: the rate achieved lies within 10% of the limit.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { median, Pair, settleDisk, writeRandom } from './sync'

const GiB = 1024 * 1024 * 1024
const MiB = 1024 * 1024
const SCALE = Number(process.env['BENCH_SCALE'] ?? 1)
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
/** How long each limited run should take: long enough that start-up and the burst are noise. */
const TARGET_SECONDS = Number(process.env['BENCH_LIMIT_SECONDS'] ?? 10)
const FILE = 'big.bin'

/**
 * Bytes per second a receiver achieved: the file's size over the time from its transfer-started
 * (the sender's FILE_SIZE, ahead of any content) to its file-synced (hashed, on disk).
 */
async function limitedRun(pair: Pair, name: string, flags: string[], bytes: number): Promise<number> {
  settleDisk()
  const receiver = pair.receiver(name, flags)
  try {
    await receiver.waitFor((e) => e['type'] === 'transfer-started' && e['path'] === FILE)
    const t0 = performance.now()
    await receiver.waitFor((e) => e['type'] === 'file-synced' && e['path'] === FILE)
    return bytes / ((performance.now() - t0) / 1000)
  } finally {
    receiver.child.kill('SIGKILL')
    // 1 GiB a run: not kept for the rest of the bench.
    rmSync(path.join(pair.work, `${name}-mirrors`), { recursive: true, force: true })
  }
}

/** rsync --bwlimit (KiB/s, as ours) copying the same folder through its local pipe: bytes per second. */
function rsyncRun(src: string, target: string, limitKib: number, bytes: number): number {
  settleDisk()
  const t0 = performance.now()
  execFileSync('rsync', [`--bwlimit=${limitKib}`, '-a', `${src}/`, `${target}/`])
  const rate = bytes / ((performance.now() - t0) / 1000)
  rmSync(target, { recursive: true, force: true })
  return rate
}

/** "99.6 MiB/s (98.9–100.2)": the median, and the range when there are several rounds. */
function rates(values: number[]): string {
  const mib = (v: number): string => (v / MiB).toFixed(1)
  const range = values.length > 1 ? ` (${mib(Math.min(...values))}–${mib(Math.max(...values))})` : ''
  return `${mib(median(values))} MiB/s${range}`
}

/** Achieved ÷ limit: the median's, and the range of the rounds'. */
function ofLimit(values: number[], limit: number): string {
  const ratio = (v: number): string => (v / limit).toFixed(3)
  const range = values.length > 1 ? ` (${ratio(Math.min(...values))}–${ratio(Math.max(...values))})` : ''
  return `${ratio(median(values))}×${range}`
}

export async function benchLimitRate(): Promise<{ columns: string[]; rows: string[][] }> {
  const bytes = Math.round(GiB * SCALE)
  const limitKib = Math.max(1, Math.round(bytes / 1024 / TARGET_SECONDS))
  const limit = limitKib * 1024
  const made: string[] = []
  const fresh = (prefix: string): string => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix))
    made.push(dir)
    return dir
  }
  const data = fresh('bench-limit-')
  const src = path.join(data, 'src')
  writeRandom(path.join(src, FILE), bytes)
  const flag = ['--limit-rate', String(limitKib)]
  const work = fresh('bench-limit-ds-')
  // Limited at the sender: every receiver unlimited. Limited at the receiver: the sender unlimited.
  const uploads = new Pair(path.join(work, 'upload'))
  uploads.senderFlags = flag
  const downloads = new Pair(path.join(work, 'download'))
  const upload: number[] = []
  const download: number[] = []
  const rsync: number[] = []
  try {
    mkdirSync(path.join(work, 'upload'))
    mkdirSync(path.join(work, 'download'))
    const receivers = Array.from({ length: ROUNDS }, (_, round) => `receiver${round}`)
    await uploads.start(src, receivers)
    await downloads.start(src, receivers)
    for (let round = 0; round < ROUNDS; round++) {
      const runs = [
        async () => upload.push(await limitedRun(uploads, `receiver${round}`, [], bytes)),
        async () => download.push(await limitedRun(downloads, `receiver${round}`, flag, bytes)),
        async () => rsync.push(rsyncRun(src, path.join(work, `rsync${round}`), limitKib, bytes)),
      ]
      // Rotated each round: none always runs first, or right after another.
      for (let i = 0; i < runs.length; i++) await runs[(i + round) % runs.length]!()
      const last = (list: number[]): string => `${(list[list.length - 1]! / MiB).toFixed(1)} MiB/s`
      console.error(`  limit ${(limit / MiB).toFixed(1)} MiB/s, round ${round + 1}: upload ${last(upload)}, download ${last(download)}, rsync --bwlimit ${last(rsync)}`)
    }
  } finally {
    uploads.stop()
    downloads.stop()
    for (const dir of made) rmSync(dir, { recursive: true, force: true })
  }
  const limitText = `${limitKib} KiB/s (${(limit / MiB).toFixed(1)} MiB/s)`
  const goal = 'within 10% of the limit'
  return {
    columns: ['work', '--limit-rate', `achieved: median (min–max) of ${ROUNDS}`, 'achieved ÷ limit (per-round range)', 'goal'],
    rows: [
      [`one ${SCALE} GiB file, limited at the sender (upload)`, limitText, rates(upload), ofLimit(upload, limit), goal],
      [`  the same, limited at the receiver (download)`, limitText, rates(download), ofLimit(download, limit), goal],
      [`  rsync --bwlimit on the same file (local copy)`, limitText, rates(rsync), ofLimit(rsync, limit), '—'],
    ],
  }
}
