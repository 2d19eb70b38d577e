// Sync benchmark (issue 4): the same data moved on loopback by dropbox-sync (server + two
// clients, timed from the receiver's start until `peer-synced`), by an rsync daemon
// (../shared/bench/rsync-pair.sh) and by cp (the disk's limit), in interleaved rounds of one run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { defaultWorkers } from '../src/main/engine/defaults'

// This file runs bundled from out/bench/.
const BIN = new URL('../../bin/dropbox-sync.mjs', import.meta.url).pathname
const SHARED_BENCH = new URL('../../../shared/bench/', import.meta.url).pathname
const GiB = 1024 * 1024 * 1024
const SCALE = Number(process.env['BENCH_SCALE'] ?? 1)

interface Proc {
  child: ChildProcess
  events: Array<Record<string, unknown>>
  /** The first event from index `from` on that matches. */
  waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, unknown>>
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const events: Array<Record<string, unknown>> = []
  const waiters: Array<() => void> = []
  let pending = ''
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    pending += text
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) events.push(JSON.parse(line) as Record<string, unknown>)
    for (const w of waiters.splice(0)) w()
  })
  return {
    child,
    events,
    async waitFor(match, timeoutMs = 600_000, from = 0) {
      const deadline = Date.now() + timeoutMs
      // Each event is looked at once: rescanning 10,000 file events per chunk of output would
      // spend CPU the timed processes compete for on these 2-core machines.
      let checked = from
      for (;;) {
        for (; checked < events.length; checked++) if (match(events[checked]!)) return events[checked]!
        if (Date.now() > deadline) throw new Error(`benchmark timed out waiting; events ${JSON.stringify(events.filter((e) => e["type"] !== "buffer" && e["type"] !== "workers"))}`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200)
          waiters.push(() => {
            clearTimeout(t)
            resolve()
          })
        })
      }
    },
  }
}

function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

function writeRandom(file: string, bytes: number): void {
  mkdirSync(path.dirname(file), { recursive: true })
  const fd = openSync(file, 'w')
  const chunk = 8 * 1024 * 1024
  for (let done = 0; done < bytes; done += chunk) writeSync(fd, randomBytes(Math.min(chunk, bytes - done)))
  closeSync(fd)
}

interface SyncRun {
  seconds: number
  peakRssMb: number
}

/** A server, a sender sharing `src` (indexed and registered), and a way to start receivers. */
class Pair {
  readonly procs: Proc[] = []
  serverPort = 0
  senderPort = 0

  constructor(private readonly work: string) {}

  async start(src: string): Promise<void> {
    const server = this.spawn(['server', '-p', '0', '--host', '127.0.0.1'])
    this.serverPort = (await server.waitFor((e) => e['type'] === 'ready'))['port'] as number
    const sender = this.client(src, 'sender')
    this.senderPort = (await sender.waitFor((e) => e['type'] === 'ready'))['port'] as number
    await sender.waitFor((e) => e['type'] === 'registered')
  }

  /** Starts a client sharing a new empty folder named `name`. */
  receiver(name: string): Proc {
    const dst = path.join(this.work, name)
    mkdirSync(dst)
    return this.client(dst, name)
  }

  synced(receiver: Proc): Promise<unknown> {
    return receiver.waitFor((e) => e['type'] === 'peer-synced' && e['peer'] === `127.0.0.1:${this.senderPort}`)
  }

  stop(): void {
    for (const p of this.procs) p.child.kill('SIGKILL')
  }

  private client(dir: string, name: string): Proc {
    const mirror = path.join(this.work, `${name}-mirrors`)
    return this.spawn(['client', '-d', dir, '--mirror', mirror, '-sp', String(this.serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
  }

  private spawn(args: string[]): Proc {
    const proc = run(args)
    this.procs.push(proc)
    return proc
  }
}

/** Times a fresh receiver from its spawn until it holds the sender's folder; samples its RSS. */
async function timeReceiver(pair: Pair, name: string): Promise<SyncRun> {
  settleDisk()
  const t0 = performance.now()
  const receiver = pair.receiver(name)
  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(receiver.child.pid!))), 50)
  try {
    await pair.synced(receiver)
    return { seconds: (performance.now() - t0) / 1000, peakRssMb: peak }
  } finally {
    clearInterval(sampler)
    receiver.child.kill('SIGKILL')
  }
}

/**
 * A client starting to share `src`: from its spawn until it is registered (its folder indexed,
 * listening), the first time (every file hashed) and again (hashes reused). Beside it, sha256sum
 * of every file: what hashing alone costs.
 */
async function startUp(src: string, work: string): Promise<{ first: number; again: number; sha256sum: number }> {
  const server = run(['server', '-p', '0', '--host', '127.0.0.1'])
  const port = (await server.waitFor((e) => e['type'] === 'ready'))['port'] as number
  const mirror = path.join(work, 'startup-mirrors')
  const once = async (): Promise<number> => {
    settleDisk()
    const t0 = performance.now()
    const client = run(['client', '-d', src, '--mirror', mirror, '-sp', String(port), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    try {
      await client.waitFor((e) => e['type'] === 'registered')
      return (performance.now() - t0) / 1000
    } finally {
      client.child.kill('SIGINT')
      await new Promise((resolve) => client.child.once('exit', resolve))
    }
  }
  try {
    const first = await once()
    const again = await once()
    settleDisk()
    const t0 = performance.now()
    execFileSync('bash', ['-c', 'find "$1" -type f -print0 | xargs -0 sha256sum > /dev/null', 'sha', src])
    return { first, again, sha256sum: (performance.now() - t0) / 1000 }
  } finally {
    server.child.kill('SIGKILL')
  }
}

/** One receiver syncing `src` from a fresh server and sender. */
async function dropboxSync(src: string, work: string): Promise<SyncRun> {
  const pair = new Pair(work)
  try {
    await pair.start(src)
    return await timeReceiver(pair, 'receiver')
  } finally {
    pair.stop()
  }
}

const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
/**
 * The order of `tools` tools in `round`: rotated by one each round and reversed every other
 * one, so none always goes first, or always right after another.
 */
function orderOf(round: number, tools: number): number[] {
  const order = Array.from({ length: tools }, (_, i) => (i + round) % tools)
  return round % 2 ? order.reverse() : order
}

/**
 * How long creating files stays slow after many were deleted. rsync-pair.sh deletes its copy on
 * exit, and ext4 (these machines run it without a journal) skips inodes freed in the last 60 s
 * (up to 360 s while their table block is unwritten) when it makes a file, checking each one it
 * passes: the next tool to create thousands of files pays for every file rsync just removed.
 */
const QUIET_AFTER_DELETE_MS = Number(process.env['BENCH_QUIET_MS'] ?? 65_000)

/**
 * dropbox-sync, rsync and cp on the same data, ROUNDS times each, interleaved. This machine's
 * disk and CPU drift two- to three-fold within minutes, so one run of each says little; the
 * median of interleaved runs compares the tools under the same conditions. With `manyFiles`,
 * every run after rsync's waits (after a sync) until the files it deleted no longer slow anyone,
 * and the rounds also time the bare-Node floor (node-floor/receiver.mjs).
 */
async function compare(src: string, work: string, manyFiles = false): Promise<{ ours: number[]; rsync: number[]; cp: number[]; floor: number[] }> {
  const pair = new Pair(work)
  const times = { ours: [] as number[], rsync: [] as number[], cp: [] as number[], floor: [] as number[] }
  const floor = manyFiles ? await FloorSender.start(src) : null
  try {
    await pair.start(src)
    for (let round = 0; round < ROUNDS; round++) {
      const tools = [
        async () => times.ours.push((await timeReceiver(pair, `receiver${round}`)).seconds),
        async () => {
          times.rsync.push(rsync(src))
          if (!manyFiles) return
          settleDisk()
          await new Promise((resolve) => setTimeout(resolve, QUIET_AFTER_DELETE_MS))
        },
        async () => times.cp.push(cp(src, path.join(work, `cp-copy${round}`))),
      ]
      if (floor) tools.push(async () => times.floor.push(await floor.timeReceiver(path.join(work, `floor${round}`))))
      for (const tool of orderOf(round, tools.length)) await tools[tool]!()
      // Per round, on stderr: which tool was slow when, for whoever reads a surprising median.
      const last = (list: number[]): string => `${list[list.length - 1]!.toFixed(2)} s`
      const floorTime = floor ? `, bare-Node floor ${last(times.floor)}` : ''
      console.error(`  ${path.basename(src)} round ${round + 1}: dropbox-sync ${last(times.ours)}, rsync ${last(times.rsync)}, cp ${last(times.cp)}${floorTime}`)
    }
  } finally {
    pair.stop()
    floor?.stop()
  }
  return times
}

const FLOOR = new URL('../../bench/node-floor/', import.meta.url).pathname

/**
 * The sender of the bare-Node floor (node-floor/): the least a Node program shaped like ours (a
 * receiver process started on the clock, worker threads that each fetch their share over their
 * own connection, check SHA-256, write a temp file and rename it) takes, without any of the
 * checks, bookkeeping and events that make dropbox-sync safe to use.
 */
class FloorSender {
  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
  ) {}

  static async start(src: string): Promise<FloorSender> {
    const child = spawn(process.execPath, [path.join(FLOOR, 'sender.mjs'), src], { stdio: ['ignore', 'pipe', 'inherit'] })
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())))
      child.once('exit', (code) => reject(new Error(`the floor's sender exited with ${code}`)))
    })
    return new FloorSender(child, port)
  }

  /** Seconds from the floor receiver's spawn to its exit, every file in `dst`. */
  async timeReceiver(dst: string): Promise<number> {
    settleDisk()
    const t0 = performance.now()
    const child = spawn(process.execPath, [path.join(FLOOR, 'receiver.mjs'), String(this.port), dst, String(defaultWorkers())], { stdio: 'inherit' })
    const code = await new Promise((resolve) => child.once('exit', resolve))
    if (code !== 0) throw new Error(`the floor's receiver exited with ${code}`)
    return (performance.now() - t0) / 1000
  }

  stop(): void {
    this.child.kill('SIGKILL')
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** "2.61 s (2.50–2.93)": the median, and the range when there are several runs. */
function seconds(values: number[]): string {
  const range = values.length > 1 ? ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})` : ''
  return `${median(values).toFixed(2)} s${range}`
}

/** Median against median, and the range of the rounds' own ratios. */
function versus(ours: number[], theirs: number[]): string {
  const perRound = ours.map((t, i) => t / theirs[i]!)
  const range = perRound.length > 1 ? ` (${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})` : ''
  return `${(median(ours) / median(theirs)).toFixed(2)}×${range}`
}

/**
 * Flushes dirty pages before each timed run: data written just before (the test set, the
 * previous tool's copy) must not be written back on the next tool's time.
 */
function settleDisk(): void {
  execFileSync('sync')
}

function rsync(src: string): number {
  settleDisk()
  const out = execFileSync('bash', [path.join(SHARED_BENCH, 'rsync-pair.sh'), src], { encoding: 'utf8' })
  return Number(/rsync ([\d.]+) s/.exec(out)?.[1])
}

function cp(src: string, target: string): number {
  settleDisk()
  const t0 = performance.now()
  execFileSync('cp', ['-r', src, target])
  return (performance.now() - t0) / 1000
}

/**
 * What a receiver that checks every byte cannot go below, measured in the same run: the file's
 * SHA-256 (the issue asks for it before the file is renamed into place), computed the way our
 * receiver does (Node's crypto: OpenSSL, with the CPU's SHA instructions), from the page cache;
 * and writing the file with dd oflag=direct, as our receiver writes large files. The goal is a
 * ratio to rsync, whose time here swings two- to three-fold with the page cache's state.
 */
function bigFileFloor(file: string, work: string): { sha256: number; direct: number } {
  settleDisk()
  let t0 = performance.now()
  const hasher = createHash('sha256')
  const chunk = Buffer.allocUnsafe(4 * 1024 * 1024)
  const fd = openSync(file, 'r')
  try {
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hasher.update(chunk.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  hasher.digest()
  const sha256 = (performance.now() - t0) / 1000
  settleDisk()
  t0 = performance.now()
  execFileSync('dd', [`if=${file}`, `of=${path.join(work, 'direct.bin')}`, 'bs=4M', 'oflag=direct', 'status=none'])
  return { sha256, direct: (performance.now() - t0) / 1000 }
}

function syncthing(src: string): string {
  try {
    execFileSync('bash', ['-c', 'command -v syncthing'], { stdio: 'ignore' })
  } catch {
    return 'not installed'
  }
  const out = execFileSync('bash', [path.join(SHARED_BENCH, 'syncthing-pair.sh'), src], { encoding: 'utf8', env: { ...process.env, MAXT: '1200' } })
  return `${/syncthing ([\d.]+) s/.exec(out)?.[1]} s`
}

/** Edit-to-mirror times over `count` edits of one file, sorted. */
async function editLatency(work: string, count: number): Promise<number[]> {
  const src = path.join(work, 'edits')
  mkdirSync(src)
  writeFileSync(path.join(src, 'doc.txt'), 'start')
  const pair = new Pair(work)
  try {
    await pair.start(src)
    const receiver = pair.receiver('receiver')
    await pair.synced(receiver)
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const content = `edit ${i} ${randomBytes(8).toString('hex')}`
      const seen = receiver.events.length
      const t0 = performance.now()
      writeFileSync(path.join(src, 'doc.txt'), content)
      await receiver.waitFor((e) => e['type'] === 'file-synced' && e['path'] === 'doc.txt', 10_000, seen)
      times.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, 20))
    }
    return times.sort((a, b) => a - b)
  } finally {
    pair.stop()
  }
}

/**
 * Every folder the benchmark makes, all removed at its very end: a deletion mid-run would slow
 * the next tool's file creation (see QUIET_AFTER_DELETE_MS). Disk use peaks at about 12 GiB.
 */
const made: string[] = []

function fresh(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export async function benchSync(): Promise<{ columns: string[]; rows: string[][] }> {
  const rows: string[][] = []

  // One 1 GiB file.
  if (!process.env['BENCH_ONLY'] || process.env['BENCH_ONLY'] === 'big') {
    const data = fresh('bench-big-')
    writeRandom(path.join(data, 'src', 'big.bin'), GiB * SCALE)
    const t = await compare(path.join(data, 'src'), fresh('bench-big-ds-'))
    rows.push([`one ${SCALE} GiB file`, seconds(t.ours), seconds(t.rsync), seconds(t.cp), '—', versus(t.ours, t.rsync), '≤ 0.5× rsync'])
    const floor = bigFileFloor(path.join(data, 'src', 'big.bin'), fresh('bench-floor-'))
    rows.push([
      `  its floor: SHA-256 of it; written past the cache`,
      `${floor.sha256.toFixed(2)} s; ${floor.direct.toFixed(2)} s`,
      '—',
      '—',
      '—',
      `0.5× rsync = ${(median(t.rsync) / 2).toFixed(2)} s`,
      '—',
    ])
  }

  // 10,000 files of 4 KiB in 100 folders.
  if (!process.env['BENCH_ONLY'] || process.env['BENCH_ONLY'] === 'small') {
    const data = fresh('bench-small-')
    const src = path.join(data, 'src')
    const files = Math.round(10_000 * SCALE)
    for (let i = 0; i < files; i++) {
      const file = path.join(src, `dir${String(i % 100).padStart(3, '0')}`, `file${i}.bin`)
      if (i < 100) mkdirSync(path.dirname(file), { recursive: true })
      writeFileSync(file, randomBytes(4096))
    }
    const t = await compare(src, fresh('bench-small-ds-'), true)
    const st = process.env['BENCH_SYNCTHING'] === '0' ? 'skipped' : syncthing(src)
    rows.push([`${files} files of 4 KiB in 100 folders`, seconds(t.ours), seconds(t.rsync), seconds(t.cp), st, versus(t.ours, t.rsync), '≤ 1.0× rsync'])
    rows.push([`  its floor: the same pipeline in bare Node, no checks`, seconds(t.floor), '—', '—', '—', versus(t.floor, t.rsync), '—'])
    const up = await startUp(src, fresh('bench-startup-'))
    rows.push([`a client sharing them: start → registered (first; restart)`, `${up.first.toFixed(2)} s; ${up.again.toFixed(2)} s`, '—', '—', '—', `sha256sum of all: ${up.sha256sum.toFixed(2)} s`, '—'])
  }

  // One edited file, 50 times.
  if (!process.env['BENCH_ONLY'] || process.env['BENCH_ONLY'] === 'edit') {
    const work = fresh('bench-edit-')
    const times = await editLatency(work, 50)
    const median = times[Math.floor(times.length / 2)]!
    rows.push(['one edited file → peer mirror (median; p90 of 50)', `${median.toFixed(0)} ms; ${times[Math.floor(times.length * 0.9)]!.toFixed(0)} ms`, '—', '—', '—', '—', 'median < 300 ms'])
  }

  // 2 GiB: the receiving client's memory throughout.
  if (!process.env['BENCH_ONLY'] || process.env['BENCH_ONLY'] === 'rss') {
    const data = fresh('bench-rss-')
    const src = path.join(data, 'src')
    for (let i = 0; i < 8; i++) writeRandom(path.join(src, `part${i}.bin`), (GiB * 2 * SCALE) / 8)
    const ours = await dropboxSync(src, fresh('bench-rss-ds-'))
    rows.push([`${2 * SCALE} GiB synced: receiving client peak RSS`, `${ours.peakRssMb.toFixed(0)} MB (${ours.seconds.toFixed(2)} s)`, '—', '—', '—', '—', '< 250 MB'])
  }
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
  const note = ROUNDS > 1 ? `median (min–max) of ${ROUNDS} interleaved runs` : 'one run'
  return { columns: ['work', `dropbox-sync: ${note}`, 'rsync', 'cp', 'syncthing', 'vs rsync (per-round range)', 'goal'], rows }
}
