// The blocks bench's rows on a pair already in sync (issue 20): a change is made in the sender's
// folder and timed until the receiver's copy holds it, checked byte for byte where it changed.
// dropbox-sync: its clients, running (the sender's watcher sees the change). rsync: the same
// change pulled by rsync into its copy synced before (`--delete`, so a rename removes the old
// name). Syncthing: a running pair, asked to scan right after the change (its watcher, off as in
// syncthing-pair.sh, would wait 10 s first).
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import path from 'node:path'
import { endWithBench } from './at-exit'
import { defaultWorkers } from '../src/main/engine/defaults'
import { DEADLINE_MS, mirrorOf, tempDir, type Sample } from './blocks-common'
import { RsyncDaemon } from './rsync-daemon'
import { cpuOf } from './proc-cpu'
import { floorCertificate, Pair, settleDisk, type Proc } from './sync'
import { SyncthingNode } from './syncthing-node'
import { WireMeter } from './wire-meter'

export interface Applied {
  /** performance.now() when the clock starts. */
  t0: number
  /** Paths that must reach the copy as they are now, or `count` new files under `prefix`. */
  synced: string[] | { prefix: string; count: number }
  removed: string[]
  /** Files in the folder now. */
  files: number
}

export interface Change {
  /** Makes round `round`'s change in `dir`. */
  apply(dir: string, round: number): Applied
  /** Untimed, after the round: what the next round expects (and the paths it removes). */
  tidy?(dir: string, round: number): Applied
}

/** A tool with a receiver in sync with its sender, ready to time changes. */
export interface Running {
  setup(): Promise<void>
  measure(change: Change, round: number): Promise<Sample>
  close(): Promise<void>
}

/** Where `mirror` does not hold what `applied` says it must (null: it does). */
export function differs(src: string, mirror: string, applied: Applied): string | null {
  if (Array.isArray(applied.synced)) {
    for (const rel of applied.synced) {
      const why = fileDiffers(path.join(src, rel), path.join(mirror, rel))
      if (why) return `${rel}: ${why}`
    }
  } else {
    const dir = path.join(mirror, applied.synced.prefix)
    const have = existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0
    if (have !== applied.synced.count) return `${applied.synced.prefix}: ${have} of ${applied.synced.count} files`
  }
  for (const rel of applied.removed) if (existsSync(path.join(mirror, rel))) return `${rel}: still there`
  return null
}

/** Size, and 8 KiB at the start, around the middle (where the edits are) and at the end. */
function fileDiffers(want: string, have: string): string | null {
  if (!existsSync(have)) return 'missing'
  const size = statSync(want).size
  if (statSync(have).size !== size) return `${statSync(have).size} bytes, not ${size}`
  const window = Math.min(8192, size)
  for (const at of [0, Math.max(0, Math.floor(size / 2) - window / 2), size - window]) {
    if (!read(want, at, window).equals(read(have, at, window))) return `differs at ${at}`
  }
  return null
}

function read(file: string, at: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, buffer, 0, length, at)
  } finally {
    closeSync(fd)
  }
  return buffer
}

function check(src: string, mirror: string, applied: Applied): void {
  const why = differs(src, mirror, applied)
  if (why) throw new Error(`the copy is not the folder after the change: ${why}`)
}

export class OursRunning implements Running {
  private readonly pair: Pair
  private receiver: Proc | null = null
  private meter: WireMeter | null = null
  private mirror = ''

  constructor(private readonly src: string) {
    this.pair = new Pair(tempDir('ours-running'))
  }

  async setup(): Promise<void> {
    await this.pair.start(this.src, ['receiver'])
    this.receiver = this.pair.receiver('receiver')
    await this.pair.synced(this.receiver)
    this.mirror = mirrorOf(path.join(this.pair.work, 'receiver-mirrors'), 'sender')
    this.meter = await WireMeter.start([this.pair.senderPort])
  }

  async measure(change: Change, round: number): Promise<Sample> {
    settleDisk()
    const from = this.receiver!.events.length
    const mark = await this.meter!.mark()
    const pids = [this.pair.sender!.child.pid!, this.receiver!.child.pid!]
    const cpu0 = cpuOf(pids[0]!) + cpuOf(pids[1]!)
    const applied = change.apply(this.src, round)
    await this.arrived(applied, from)
    const seconds = (performance.now() - applied.t0) / 1000
    const cpu = cpuOf(pids[0]!) + cpuOf(pids[1]!) - cpu0
    const wire = await this.meter!.since(mark)
    const tidyFrom = this.receiver!.events.length
    const tidied = change.tidy?.(this.src, round)
    if (tidied) await this.arrived(tidied, tidyFrom)
    return { seconds, wire, cpu }
  }

  /** Waits for the receiver's events about the paths and checks its copy after each: a version caught mid-write is followed by the next. */
  private async arrived(applied: Applied, from: number): Promise<void> {
    const receiver = this.receiver!
    const synced = applied.synced
    if (!Array.isArray(synced)) {
      const seen = new Set<string>()
      await receiver.waitFor(
        (e) => {
          if (e['type'] === 'file-synced' && String(e['path']).startsWith(synced.prefix)) seen.add(String(e['path']))
          return seen.size >= synced.count
        },
        DEADLINE_MS,
        from,
      )
      return check(this.src, this.mirror, applied)
    }
    const paths = new Set([...synced, ...applied.removed])
    let index = from
    while (differs(this.src, this.mirror, applied)) {
      const event = await receiver.waitFor((e) => (e['type'] === 'file-synced' || e['type'] === 'file-removed') && paths.has(String(e['path'])), DEADLINE_MS, index)
      index = receiver.events.indexOf(event, index) + 1
    }
  }

  async close(): Promise<void> {
    this.meter?.stop()
    this.pair.stop()
  }
}

export class RsyncRunning implements Running {
  private readonly work = tempDir('rsync-running')
  private readonly dst = path.join(this.work, 'dst')
  private daemon: RsyncDaemon | null = null
  private meter: WireMeter | null = null

  constructor(private readonly src: string) {}

  async setup(): Promise<void> {
    this.daemon = await RsyncDaemon.start(this.src, path.join(this.work, 'daemon'))
    await this.daemon.pullOk(this.dst)
    this.meter = await WireMeter.start([this.daemon.port])
  }

  async measure(change: Change, round: number): Promise<Sample> {
    settleDisk()
    const mark = await this.meter!.mark()
    const applied = change.apply(this.src, round)
    await this.daemon!.pullOk(this.dst, ['--delete'])
    const seconds = (performance.now() - applied.t0) / 1000
    const wire = await this.meter!.since(mark)
    check(this.src, this.dst, applied)
    if (change.tidy) {
      change.tidy(this.src, round)
      await this.daemon!.pullOk(this.dst, ['--delete'])
    }
    return { seconds, wire }
  }

  async close(): Promise<void> {
    this.meter?.stop()
    await this.daemon?.kill()
  }
}

export class SyncthingRunning implements Running {
  private readonly work = tempDir('syncthing-running')
  private readonly dst = path.join(this.work, 'dst')
  private sender: SyncthingNode | null = null
  private receiver: SyncthingNode | null = null
  private meter: WireMeter | null = null

  constructor(
    private readonly src: string,
    private readonly files: number,
  ) {}

  async setup(): Promise<void> {
    const a = (this.sender = await SyncthingNode.create(path.join(this.work, 'a')))
    const b = (this.receiver = await SyncthingNode.create(path.join(this.work, 'b')))
    a.configure(this.src, 'sendonly', [b])
    b.configure(this.dst, 'receiveonly', [a])
    await a.start()
    await b.start()
    await a.idleWith(this.files)
    await b.idleWith(this.files)
    this.meter = await WireMeter.start([a.listenPort, b.listenPort])
  }

  async measure(change: Change, round: number): Promise<Sample> {
    settleDisk()
    const mark = await this.meter!.mark()
    const applied = change.apply(this.src, round)
    await this.arrived(applied)
    const seconds = (performance.now() - applied.t0) / 1000
    const wire = await this.meter!.since(mark)
    check(this.src, this.dst, applied)
    const tidied = change.tidy?.(this.src, round)
    if (tidied) await this.arrived(tidied)
    return { seconds, wire }
  }

  private async arrived(applied: Applied): Promise<void> {
    const a = this.sender!
    const b = this.receiver!
    await a.scan()
    if (Array.isArray(applied.synced)) await b.sameAs(a, [...applied.synced, ...applied.removed], DEADLINE_MS)
    else {
      await a.idleWith(applied.files, DEADLINE_MS)
      await b.idleWith(applied.files, DEADLINE_MS)
    }
  }

  async close(): Promise<void> {
    this.meter?.stop()
    await this.sender?.stop()
    await this.receiver?.stop()
  }
}

const FLOOR = new URL('../../bench/node-floor/', import.meta.url).pathname

/**
 * The running floor (bench/node-floor/watch-sender.mjs and watch-receiver.mjs): bare Node that
 * watches the folder and pushes each new file to a waiting receiver, over a connection per
 * receiving thread (as many as dropbox-sync's default workers), plain or mutual TLS 1.3. Changes that only add files: it counts the paths the receiver has placed.
 */
export class FloorRunning implements Running {
  private readonly dst = path.join(tempDir('floor-running'), 'dst')
  private sender: ChildProcess | null = null
  private receiver: ChildProcess | null = null
  private meter: WireMeter | null = null
  private placed = 0
  private readonly waiters = new Set<() => void>()

  constructor(
    private readonly src: string,
    private readonly tls: boolean,
  ) {}

  async setup(): Promise<void> {
    const tlsArgs = this.tls ? await floorCertificate() : []
    const sender = (this.sender = spawn(process.execPath, [path.join(FLOOR, 'watch-sender.mjs'), this.src, ...tlsArgs], { stdio: ['ignore', 'pipe', 'inherit'] }))
    endWithBench(sender.pid)
    const port = await new Promise<number>((resolve, reject) => {
      sender.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())))
      sender.once('exit', (code) => reject(new Error(`the floor's watching sender exited with ${code}`)))
    })
    const receiver = (this.receiver = spawn(process.execPath, [path.join(FLOOR, 'watch-receiver.mjs'), String(port), this.dst, String(defaultWorkers()), ...tlsArgs], { stdio: ['ignore', 'pipe', 'inherit'] }))
    endWithBench(receiver.pid)
    let pending = ''
    receiver.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop()!
      if (lines.length) this.placed = Number(lines.at(-1))
      for (const wake of this.waiters) wake()
    })
    this.meter = await WireMeter.start([port])
    await this.until(readdirSync(this.src, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length)
  }

  async measure(change: Change, round: number): Promise<Sample> {
    settleDisk()
    const mark = await this.meter!.mark()
    const pids = [this.sender!.pid!, this.receiver!.pid!]
    const cpu0 = cpuOf(pids[0]!) + cpuOf(pids[1]!)
    const applied = change.apply(this.src, round)
    if (applied.removed.length || Array.isArray(applied.synced)) throw new Error('the running floor only times new files')
    await this.until(applied.files)
    const seconds = (performance.now() - applied.t0) / 1000
    const cpu = cpuOf(pids[0]!) + cpuOf(pids[1]!) - cpu0
    const wire = await this.meter!.since(mark)
    check(this.src, this.dst, applied)
    return { seconds, wire, cpu }
  }

  /** Until the receiver has placed `files` paths. */
  private async until(files: number): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS
    while (this.placed < files) {
      if (this.receiver!.exitCode !== null) throw new Error(`the floor's receiver exited with ${this.receiver!.exitCode}`)
      if (Date.now() > deadline) throw new Error(`the floor's receiver placed ${this.placed} of ${files} files within ${DEADLINE_MS} ms`)
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer)
          this.waiters.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, 200)
        this.waiters.add(wake)
      })
    }
  }

  async close(): Promise<void> {
    this.meter?.stop()
    this.receiver?.kill('SIGKILL')
    this.sender?.kill('SIGKILL')
  }
}
