// Bytes on the wire, counted by the kernel rather than by the programs measured: every TCP payload
// byte, both directions, of every connection accepted on the given ports (for dropbox-sync, TLS
// records as they travel), read from tcp_info with ss. The same meter serves every tool, and
// needs nothing from their code. Sockets that close meanwhile are caught by ss's event mode (-E),
// which reports each destroyed socket's last counters; a poll keeps the last seen value of every
// socket in case the kernel drops such a report (the total is then marked as a lower bound).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { endWithBench, forget } from './at-exit'

interface Socket {
  key: string
  bytes: number
}

/**
 * ss's lines: a socket's addresses, then (indented) its tcp_info; sockets without it are left out.
 * A connection is named by its two ends in order, so that its two sockets, when both ends listen
 * on a measured port (Syncthing dials from its listening port), are one connection.
 */
export function parseSs(lines: string[]): Socket[] {
  const sockets: Socket[] = []
  let key: string | null = null
  for (const line of lines) {
    if (line.trim() === '') continue
    if (!/^\s/.test(line)) {
      const fields = line.trim().split(/\s+/)
      key = [fields.at(-2), fields.at(-1)].sort().join(' ')
      continue
    }
    if (key === null) continue
    const sent = Number(/\bbytes_sent:(\d+)/.exec(line)?.[1] ?? 0)
    const received = Number(/\bbytes_received:(\d+)/.exec(line)?.[1] ?? 0)
    sockets.push({ key, bytes: sent + received })
    key = null
  }
  return sockets
}

/** The highest count of each connection (its two sockets differ only by what is in flight). */
function byConnection(sockets: Socket[]): Map<string, number> {
  const map = new Map<string, number>()
  for (const s of sockets) map.set(s.key, Math.max(s.bytes, map.get(s.key) ?? 0))
  return map
}

export interface WireMark {
  base: Map<string, number>
  /** Destroyed-socket reports before this one came before the mark. */
  reports: number
  /** The highest value each socket was seen at since the mark. */
  seen: Map<string, number>
}

export interface WireBytes {
  bytes: number
  /** Some socket closed without a report: `bytes` is at least this. */
  lowerBound: boolean
}

export class WireMeter {
  private readonly reports: Socket[] = []
  private readonly open = new Set<WireMark>()
  private readonly poller: NodeJS.Timeout
  private pending = ''

  private constructor(
    private readonly filter: string,
    private readonly events: ChildProcess,
  ) {
    events.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const lines = (this.pending + text).split('\n')
      this.pending = lines.pop()!
      // ss writes line by line: a socket's first line waits here for its tcp_info line.
      if (lines.length && !/^\s/.test(lines.at(-1)!)) this.pending = `${lines.pop()!}\n${this.pending}`
      this.reports.push(...parseSs(lines))
    })
    this.poller = setInterval(() => void this.poll(), 250)
  }

  /** Counts connections accepted on `ports` (every listener of the tool measured). */
  static async start(ports: number[]): Promise<WireMeter> {
    const filter = `( ${ports.map((p) => `sport = :${p}`).join(' or ')} )`
    const events = spawn('stdbuf', ['-oL', 'ss', '-tinHE', filter], { stdio: ['ignore', 'pipe', 'inherit'] })
    endWithBench(events.pid)
    // ss subscribes within milliseconds; nothing is measured before a mark anyway.
    await new Promise((resolve) => setTimeout(resolve, 200))
    return new WireMeter(filter, events)
  }

  /** The live sockets now. */
  snapshot(): Promise<Map<string, number>> {
    return new Promise((resolve, reject) =>
      execFile('ss', ['-tinH', this.filter], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, out) => {
        if (error) return reject(error)
        resolve(byConnection(parseSs(out.split('\n'))))
      }),
    )
  }

  /** Starts counting; call at a quiet moment (no connection of the tool closing just now). */
  async mark(): Promise<WireMark> {
    const reports = this.reports.length
    const base = await this.snapshot()
    const mark: WireMark = { base, reports, seen: new Map(base) }
    this.open.add(mark)
    return mark
  }

  /** Bytes since `mark`, now: cheap enough to poll while a transfer runs. */
  async peek(mark: WireMark): Promise<number> {
    const live = await this.snapshot()
    this.remember(live)
    return this.sum(mark, live).bytes
  }

  /** Bytes from `mark` until now; the mark is done. */
  async since(mark: WireMark): Promise<WireBytes> {
    const live = await this.snapshot()
    this.remember(live)
    // Reports of sockets destroyed just before now are still on their way.
    await new Promise((resolve) => setTimeout(resolve, 200))
    this.open.delete(mark)
    return this.sum(mark, live)
  }

  /**
   * Resolves once no connection on the ports is established (after a kill), and reports of the
   * ones closed are in. One still closing is in the next mark's base, so it adds nothing later.
   */
  async quiet(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const established = (): Promise<number> =>
      new Promise((resolve, reject) =>
        execFile('ss', ['-tnH', 'state', 'established', this.filter], { encoding: 'utf8' }, (error, out) =>
          error ? reject(error) : resolve(out.split('\n').filter((l) => l.trim()).length),
        ),
      )
    while ((await established()) > 0) {
      if (Date.now() > deadline) throw new Error(`connections on ${this.filter} still open after ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
  }

  stop(): void {
    clearInterval(this.poller)
    this.events.kill()
    forget(this.events.pid)
  }

  private sum(mark: WireMark, live: Map<string, number>): WireBytes {
    let bytes = 0
    const counted = new Set<string>()
    for (const [key, value] of live) {
      bytes += value - (mark.base.get(key) ?? 0)
      counted.add(key)
    }
    for (const [key, value] of byConnection(this.reports.slice(mark.reports))) {
      if (live.has(key)) continue
      bytes += value - (mark.base.get(key) ?? 0)
      counted.add(key)
    }
    let lowerBound = false
    for (const [key, value] of mark.seen) {
      if (counted.has(key)) continue
      bytes += value - (mark.base.get(key) ?? 0)
      if (value > (mark.base.get(key) ?? 0)) lowerBound = true
    }
    return { bytes, lowerBound }
  }

  private remember(live: Map<string, number>): void {
    for (const mark of this.open) for (const [key, value] of live) mark.seen.set(key, Math.max(value, mark.seen.get(key) ?? 0))
  }

  private async poll(): Promise<void> {
    if (this.open.size === 0) return
    this.remember(await this.snapshot().catch(() => new Map<string, number>()))
  }
}

/** "1.07 GB", "612 kB", "0 B": decimal units, three figures. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toPrecision(3)} ${units[unit]}`
}
