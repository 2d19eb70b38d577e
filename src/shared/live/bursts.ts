// Folds a peer's file events into bursts, so a reader meets "20,000 files from bob in 2.4 s"
// instead of 20,000 lines. Pure: the caller gives the time (push, tick) and runs the timer
// (nextDue). The terminal and the Activity screen use it alike; --json never does.
import type { AppEvent } from '../contract'
import { formatEndpoint } from '../endpoint'
import type { EngineEvent } from '../events'
import { PeerNames } from './peer-names'

export interface BurstOptions {
  /** A burst of at most this many files comes out as the lines it would have been. */
  singleLines: number
  /** After its peer says the mirror is up to date, a burst waits this long for more. */
  settleMs: number
  /** A burst with no news of its peer for this long is over, up to date or not. */
  quietMs: number
  /** A large burst still going says so this often. */
  progressEveryMs: number
  /** Paths a burst keeps for a reader to look through; the rest are only counted. */
  keepPaths: number
}

export const DEFAULT_BURST_OPTIONS: BurstOptions = {
  singleLines: 10,
  // A folder written file by file reaches the mirror in pushes, and the mirror is up to date
  // between them: this bridges those moments, so one burst stays one.
  settleMs: 1000,
  quietMs: 3000,
  progressEveryMs: 3000,
  keepPaths: 300,
}

export type BurstPathKind = 'synced' | 'removed' | 'failed'

export interface BurstPath {
  path: string
  kind: BurstPathKind
  /** Size of a synced file. */
  bytes?: number
}

/** What a burst amounts to so far. */
export interface Burst {
  /** Distinct per summarizer: a progress report and the summary that ends it share it. */
  id: number
  /** The peer as `ip:port`, as events name it. */
  peer: string
  /** Its device name, once an event has told it. */
  name?: string
  startedAt: number
  /** The last file that arrived, went or failed. */
  lastAt: number
  synced: number
  bytes: number
  removed: number
  /** Files that failed for good, and errors about the peer. */
  failed: number
  /** Failures the engine tries again. */
  retried: number
  /** The first `keepPaths` files, in order. */
  paths: BurstPath[]
  /** Files beyond those. */
  morePaths: number
}

/** What to show: an event as its own line, a burst still going, or a burst that ended. */
export type BurstOutput<E> = { kind: 'event'; event: E } | { kind: 'progress'; burst: Burst } | { kind: 'summary'; burst: Burst }

type Input = EngineEvent | AppEvent

interface OpenBurst<E> {
  burst: Burst
  /** Its file events while it is small; null once it is large (it then ends as a summary). */
  held: E[] | null
  /** "receiving" lines let through while it was small. */
  startsShown: number
  /** Last news of the peer's transfers, files or failures. */
  newsAt: number
  /** Last progress report (or the start), and how many files it counted. */
  reportedAt: number
  reportedFiles: number
  /** The peer said its mirror is up to date, and no file came since: shown after the summary. */
  upToDate: E | null
}

export class BurstSummarizer<E extends Input> {
  private readonly open = new Map<string, OpenBurst<E>>()
  private readonly names = new PeerNames()
  private nextId = 1

  constructor(private readonly options: BurstOptions = DEFAULT_BURST_OPTIONS) {}

  /** A device's name by the address events call it by, as learnt from the events pushed so far. */
  nameOf(peer: string): string | undefined {
    return this.names.nameOf(peer)
  }

  push(event: E, now: number): BurstOutput<E>[] {
    const e: Input = event
    this.names.learn(e)
    switch (e.type) {
      case 'file-synced':
      case 'file-removed': {
        const open = this.openFor(e.peer, now)
        const { burst } = open
        if (e.type === 'file-synced') {
          burst.synced++
          burst.bytes += e.bytes
          this.keep(burst, { path: e.path, kind: 'synced', bytes: e.bytes })
        } else {
          burst.removed++
          this.keep(burst, { path: e.path, kind: 'removed' })
        }
        burst.lastAt = open.newsAt = now
        open.upToDate = null
        if (open.held) {
          open.held.push(event)
          if (open.held.length > this.options.singleLines) open.held = null
        }
        return []
      }
      case 'transfer-started': {
        const open = this.openFor(e.peer, now)
        open.newsAt = now
        open.upToDate = null
        if (!open.held || open.startsShown >= this.options.singleLines) return []
        open.startsShown++
        return [{ kind: 'event', event }]
      }
      case 'transfer-progress': {
        // A large file on its way keeps a large burst whole; a small burst's lines do not wait for it.
        const open = this.open.get(e.peer)
        if (open && !open.held) open.newsAt = now
        return [{ kind: 'event', event }]
      }
      case 'transfer-failed': {
        // Never held: a failure shows as it comes, and the summary counts it.
        const open = this.openFor(e.peer, now)
        if (e.retrying) open.burst.retried++
        else {
          open.burst.failed++
          this.keep(open.burst, { path: e.path, kind: 'failed' })
        }
        open.burst.lastAt = open.newsAt = now
        open.upToDate = null
        return [{ kind: 'event', event }]
      }
      case 'error': {
        const open = e.peer === undefined ? undefined : this.open.get(e.peer)
        if (open) open.burst.failed++
        return [{ kind: 'event', event }]
      }
      case 'peer-synced': {
        const open = this.open.get(e.peer)
        if (!open) return [{ kind: 'event', event }]
        open.upToDate = event
        open.newsAt = now
        return []
      }
      case 'peer-left': {
        const key = formatEndpoint(e.ip, e.port)
        const open = this.open.get(key)
        return [...(open ? this.end(key, open) : []), { kind: 'event', event }]
      }
      case 'status':
        // The engine stopped or started again: its peers' bursts are over.
        return [...this.flush(), { kind: 'event', event }]
      default:
        return [{ kind: 'event', event }]
    }
  }

  /** Ends the bursts that have gone quiet and reports the large ones still going. */
  tick(now: number): BurstOutput<E>[] {
    const out: BurstOutput<E>[] = []
    for (const [peer, open] of this.open) {
      if (now >= this.endsAt(open)) out.push(...this.end(peer, open))
      else if (this.reports(open) && now >= open.reportedAt + this.options.progressEveryMs) {
        open.reportedAt = now
        // A count that has not moved is not news: the last line still stands.
        const { synced, removed, failed } = open.burst
        if (synced + removed + failed === open.reportedFiles) continue
        open.reportedFiles = synced + removed + failed
        out.push({ kind: 'progress', burst: { ...open.burst, paths: open.burst.paths.slice() } })
      }
    }
    return out
  }

  /** Ends every burst now (the process is leaving). */
  flush(): BurstOutput<E>[] {
    const out: BurstOutput<E>[] = []
    for (const [peer, open] of this.open) out.push(...this.end(peer, open))
    return out
  }

  /** When tick has something to do next, or null while no burst is open. */
  nextDue(): number | null {
    let due: number | null = null
    for (const open of this.open.values()) {
      let at = this.endsAt(open)
      if (this.reports(open)) at = Math.min(at, open.reportedAt + this.options.progressEveryMs)
      if (due === null || at < due) due = at
    }
    return due
  }

  /** Large and not yet done: a burst whose peer is up to date is only waiting to end. */
  private reports(open: OpenBurst<E>): boolean {
    return !open.held && !open.upToDate
  }

  private endsAt(open: OpenBurst<E>): number {
    return open.newsAt + (open.upToDate ? this.options.settleMs : this.options.quietMs)
  }

  private openFor(peer: string, now: number): OpenBurst<E> {
    let open = this.open.get(peer)
    if (!open) {
      const burst: Burst = { id: this.nextId++, peer, name: this.names.nameOf(peer), startedAt: now, lastAt: now, synced: 0, bytes: 0, removed: 0, failed: 0, retried: 0, paths: [], morePaths: 0 }
      open = { burst, held: [], startsShown: 0, newsAt: now, reportedAt: now, reportedFiles: 0, upToDate: null }
      this.open.set(peer, open)
    }
    return open
  }

  private keep(burst: Burst, path: BurstPath): void {
    if (burst.paths.length < this.options.keepPaths) burst.paths.push(path)
    else burst.morePaths++
  }

  private end(peer: string, open: OpenBurst<E>): BurstOutput<E>[] {
    this.open.delete(peer)
    const name = this.names.nameOf(peer)
    if (name !== undefined) open.burst.name = name
    const out: BurstOutput<E>[] = open.held ? open.held.map((event) => ({ kind: 'event', event })) : [{ kind: 'summary', burst: open.burst }]
    if (open.upToDate) out.push({ kind: 'event', event: open.upToDate })
    return out
  }
}
