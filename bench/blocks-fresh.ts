// The blocks bench's rows with a fresh receiver each round (issue 20): the receiver starts on the
// clock with nothing and ends holding the sender's folder. `resume`: the sender is killed
// (SIGKILL) once half the file has gone over the wire, then started again; what counts is the
// time and the bytes from that restart on. `rss`: the receiver's peak memory meanwhile.
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { DEADLINE_MS, ROUNDS, tempDir, untilWire, type Sample, type ToolRun } from './blocks-common'
import { RsyncDaemon } from './rsync-daemon'
import { rssPeak } from './rss'
import { FloorSender, Pair, settleDisk, type Proc } from './sync'
import { SyncthingNode } from './syncthing-node'
import { WireMeter, type WireMark } from './wire-meter'

export type FreshMode = 'plain' | 'resume' | 'rss'

export interface FreshData {
  src: string
  files: number
  bytes: number
  /** The single file a resume row pulls. */
  file?: string
  /** Remove each receiver's copy after its round (big files: the disk; never thousands of files, see sync.ts). */
  dropCopies: boolean
}

/** Resolves when `child` has exited. */
function exited(proc: Proc): Promise<unknown> {
  const child = proc.child
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve))
}

export function oursFresh(data: FreshData, mode: FreshMode): ToolRun {
  const work = tempDir('ours')
  const pair = new Pair(work)
  let meter: WireMeter | null = null
  return {
    async setup() {
      await pair.start(data.src, Array.from({ length: ROUNDS }, (_, round) => `r${round}`))
      meter = await WireMeter.start([pair.senderPort])
    },
    async round(round) {
      const m = meter!
      const name = `r${round}`
      settleDisk()
      const mark = await m.mark()
      const t0 = performance.now()
      const receiver = pair.receiver(name)
      const rss = mode === 'rss' ? rssPeak(() => receiver.child.pid) : null
      try {
        if (mode !== 'resume') {
          await pair.synced(receiver)
          const seconds = (performance.now() - t0) / 1000
          return { seconds, wire: await m.since(mark), ...(rss ? { rssMb: rss.stop() } : {}) }
        }
        await untilWire(m, mark, data.bytes / 2, () => receiver.child.exitCode === null)
        const sender = pair.sender!
        sender.child.kill('SIGKILL')
        await exited(sender)
        await m.quiet()
        const before = await m.since(mark)
        const from = receiver.events.length
        const again = await m.mark()
        const t1 = performance.now()
        const restarted = pair.client(data.src, 'sender', undefined, pair.senderFlags)
        const port = (await restarted.waitFor((e) => e['type'] === 'ready', 60_000))['port']
        if (port !== pair.senderPort) throw new Error(`the restarted sender listens on ${String(port)}, not ${pair.senderPort}: the meter would miss it`)
        pair.sender = restarted
        await receiver.waitFor((e) => e['type'] === 'file-synced' && e['path'] === data.file, DEADLINE_MS, from)
        const seconds = (performance.now() - t1) / 1000
        return { seconds, wire: await m.since(again), killedAt: before.bytes / data.bytes }
      } finally {
        rss?.stop()
        receiver.child.kill('SIGKILL')
        await exited(receiver)
        if (data.dropCopies) for (const dir of [name, `${name}-mirrors`]) rmSync(path.join(work, dir), { recursive: true, force: true })
      }
    },
    async close() {
      meter?.stop()
      pair.stop()
    },
  }
}

export function rsyncFresh(data: FreshData, mode: FreshMode): ToolRun {
  const work = tempDir('rsync')
  let daemon: RsyncDaemon | null = null
  let meter: WireMeter | null = null
  return {
    async setup() {
      daemon = await RsyncDaemon.start(data.src, path.join(work, 'daemon'))
      meter = await WireMeter.start([daemon.port])
    },
    async round(round) {
      const d = daemon!
      const m = meter!
      const dst = path.join(work, `dst${round}`)
      settleDisk()
      const mark = await m.mark()
      try {
        if (mode !== 'resume') {
          const pull = d.pull(dst)
          const rss = mode === 'rss' ? rssPeak(() => pull.child.pid) : null
          const { seconds, code, errors } = await pull.done
          const rssMb = rss?.stop()
          if (code !== 0) throw new Error(`rsync exited with ${code}: ${errors}`)
          return { seconds, wire: await m.since(mark), ...(rssMb !== undefined ? { rssMb } : {}) }
        }
        // --partial: what a person who wants to resume passes; without it rsync deletes the part.
        const pull = d.pull(dst, ['--partial'])
        await untilWire(m, mark, data.bytes / 2, () => pull.child.exitCode === null)
        await d.kill()
        await pull.done
        await m.quiet()
        const before = await m.since(mark)
        const t1 = performance.now()
        await d.restart()
        const again = await m.mark()
        await d.pullOk(dst, ['--partial'])
        const seconds = (performance.now() - t1) / 1000
        return { seconds, wire: await m.since(again), killedAt: before.bytes / data.bytes }
      } finally {
        if (data.dropCopies) rmSync(dst, { recursive: true, force: true })
      }
    },
    async close() {
      meter?.stop()
      await daemon?.kill()
    },
  }
}

/**
 * Syncthing: the sending node keeps its home (its index) across rounds and is started before
 * each, knowing only that round's receiving node, a new device with an empty folder.
 */
export function syncthingFresh(data: FreshData, mode: FreshMode): ToolRun {
  const work = tempDir('syncthing')
  let sender: SyncthingNode | null = null
  const receivers: SyncthingNode[] = []
  let meter: WireMeter | null = null
  return {
    async setup() {
      sender = await SyncthingNode.create(path.join(work, 'a'))
      for (let round = 0; round < ROUNDS; round++) receivers.push(await SyncthingNode.create(path.join(work, `b${round}`)))
      meter = await WireMeter.start([sender.listenPort, ...receivers.map((r) => r.listenPort)])
    },
    async round(round) {
      const a = sender!
      const b = receivers[round]!
      const m = meter!
      const dst = path.join(work, `dst${round}`)
      mkdirSync(dst)
      a.configure(data.src, 'sendonly', [b])
      b.configure(dst, 'receiveonly', [a])
      await a.start()
      await a.idleWith(data.files)
      try {
        settleDisk()
        const mark: WireMark = await m.mark()
        const t0 = performance.now()
        await b.start()
        if (mode !== 'resume') {
          const rss = mode === 'rss' ? rssPeak(() => b.pid) : null
          await b.idleWith(data.files, DEADLINE_MS)
          const seconds = (performance.now() - t0) / 1000
          const rssMb = rss?.stop()
          return { seconds, wire: await m.since(mark), ...(rssMb !== undefined ? { rssMb } : {}) }
        }
        await untilWire(m, mark, data.bytes / 2, () => true)
        await a.kill()
        await m.quiet()
        const before = await m.since(mark)
        const again = await m.mark()
        const t1 = performance.now()
        await a.start()
        await b.idleWith(data.files, DEADLINE_MS)
        const seconds = (performance.now() - t1) / 1000
        return { seconds, wire: await m.since(again), killedAt: before.bytes / data.bytes }
      } finally {
        await b.kill()
        await a.stop()
        if (data.dropCopies) rmSync(dst, { recursive: true, force: true })
      }
    },
    async close() {
      meter?.stop()
      await sender?.kill()
      for (const r of receivers) await r.kill()
    },
  }
}

/**
 * The bare-Node floor of sync.ts (node-floor/): a receiver with none of the checks, on the same
 * data. `tls`: its connections mutual TLS 1.3 as dropbox-sync's are (what TLS alone costs).
 */
export function floorFresh(data: FreshData, tls = false): ToolRun {
  const work = tempDir('floor')
  let floor: FloorSender | null = null
  let meter: WireMeter | null = null
  return {
    async setup() {
      floor = await FloorSender.start(data.src, tls)
      meter = await WireMeter.start([floor.port])
    },
    async round(round): Promise<Sample> {
      const mark = await meter!.mark()
      const seconds = await floor!.timeReceiver(path.join(work, `dst${round}`))
      return { seconds, wire: await meter!.since(mark) }
    },
    async close() {
      meter?.stop()
      floor?.stop()
    },
  }
}
