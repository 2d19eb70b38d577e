// Turns engine events into output: readable lines, or with --json one JSON object per line on
// stdout and nothing else there. Diagnostics always go to stderr.
import path from 'node:path'
import { IGNORE_FILE } from '../main/engine/folder/ignore-rules'
import { formatEndpoint } from '../shared/endpoint'
import type { EngineEvent, EventSink } from '../shared/events'
import { peerLabel } from '../shared/peer-label'
import { BurstPrinter } from './burst-printer'

/** `nameOf`: a device's name by the address file events call it by (they carry no name). */
export function describe(event: EngineEvent, nameOf: (peer: string) => string | undefined = () => undefined): string {
  /** The peer an event is about, by name with its address beside it when the name is known. */
  const peer = (address: string): string => who({ name: ('name' in event ? event.name : undefined) ?? nameOf(address) }, address)
  switch (event.type) {
    case 'ready':
      return `${event.role} listening on ${formatEndpoint(event.host, event.port)} as ${shown(event.name)} (device ID ${event.id})`
    case 'registered':
      return `registered with the server ${event.server} as ${formatEndpoint(event.ip, event.port)}`
    case 'peer-joined':
      return `peer joined: ${who(event, formatEndpoint(event.ip, event.port))}`
    case 'peer-left':
      return `peer left: ${who(event, formatEndpoint(event.ip, event.port))} (${event.reason})`
    case 'server-lost':
      return `lost the server ${event.server}; reconnecting`
    case 'error':
      return `error ${event.code}: ${shown(event.message)}`
    case 'folder-restored':
      return `the shared folder ${event.folder} is back; sharing it again`
    case 'peer-folder-restored':
      return `the shared folder of ${peer(event.peer)} is back; mirroring it again`
    case 'transfer-started':
      return `receiving ${peer(event.peer)} ${shown(event.path)} (${event.total} bytes)`
    case 'transfer-progress':
      return `  ${peer(event.peer)} ${shown(event.path)}: ${event.bytes}/${event.total} bytes`
    case 'transfer-failed':
      return `transfer failed: ${peer(event.peer)} ${shown(event.path)}: ${shown(event.reason)}${event.retrying ? ' (trying again)' : event.waitsForPeer ? ' (it comes once the peer is back)' : ''}`
    case 'file-synced':
      return `synced ${peer(event.peer)} ${shown(event.path)} (${event.bytes} bytes${event.transferred !== undefined ? `, ${event.transferred} over the wire` : ''})${event.snapshot ? ' (a snapshot: still being written at the peer)' : ''}`
    case 'file-removed':
      return `removed ${peer(event.peer)} ${shown(event.path)}`
    case 'peer-synced':
      return `mirror of ${peer(event.peer)} is up to date: ${event.files} ${event.files === 1 ? 'file' : 'files'}, ${event.bytes} bytes`
    case 'buffer':
      return `buffer ${event.used}/${event.capacity}`
    case 'workers':
      return `workers busy ${event.busy}/${event.total}`
    case 'join-request':
      return `join request: ${named(event.name)} (${event.id}) from ${shown(event.address)}; accept with: dropbox-sync members accept ${event.id}`
    case 'member-added':
      return `member added: ${named(event.name)} (${event.id})`
    case 'member-removed':
      return `member removed: ${named(event.name)} (${event.id})`
    case 'removed':
      return `removed: ${shown(event.message)}`
    case 'paused':
      return aboutPeer(event) ? `paused: the mirror of ${who(event, event.peer ?? event.id ?? '')} is not updated until resumed` : 'paused: no transfers start until resumed; this folder is still served'
    case 'resumed':
      return aboutPeer(event) ? `resumed: mirroring ${who(event, event.peer ?? event.id ?? '')} again` : 'resumed: transfers start again'
    case 'mass-delete':
      return `held: ${who(event, event.peer)} deleted ${event.files} of its ${event.total} files at once; its mirror keeps ${keptOf(event)} until confirmed`
    case 'mass-delete-cleared':
      return event.confirmed
        ? `confirmed: the held deletions of ${who(event, event.peer ?? event.id ?? '')} are applied`
        : `no deletions of ${who(event, event.peer ?? event.id ?? '')} are held any more: it has those files again`
    case 'folder-state':
      return `folder ${event.folder}: ${event.files} files, ${event.bytes} bytes, ${event.ignored} ignored${event.scanning ? ', scanning' : ''}`
    case 'mirror-state':
      return `mirror of ${peer(event.peer)}: ${event.phase}, ${event.files} files, ${event.bytes} bytes; ${event.needFiles} files (${event.needBytes} bytes) to come`
    case 'file-snapshot':
      return `${shown(event.path)} is still being written; peers get it as it is now (a snapshot, ${event.bytes} bytes)`
    case 'preparing':
      return `preparing ${event.files.map((f) => `${shown(f.path)} ${f.bytes}/${f.total}`).join(', ') || 'nothing'}`
  }
}

const IGNORE_PROBLEMS = new Set(['ignore-file-invalid', 'ignore-lines-skipped'])

/** The `.syncignore` problem an error said is gone (the file fixed, or removed). */
export function ignoreFixedLine(folder: string): string {
  return `${shown(path.join(folder, IGNORE_FILE))}: every line applies again`
}

/** What a held mass delete keeps: all of it, or the part after the limit was reached. */
function keptOf(event: { files: number; held?: number }): string {
  return event.held === undefined || event.held === event.files ? 'them' : `the last ${event.held} (the first went before the limit was reached, into the history)`
}

/** `paused` / `resumed` about one peer rather than the whole client. */
function aboutPeer(event: { peer?: string; id?: string }): boolean {
  return event.peer !== undefined || event.id !== undefined
}

/** A peer by name with its address beside it, once the engine knows its name. */
function who(event: { name?: string }, address: string): string {
  return peerLabel(event.name && shown(event.name), address)
}

function named(name: string): string {
  return name ? shown(name) : '(no name)'
}

/** One event, one line: a name with a newline or another control character in it is quoted. */
function shown(text: string): string {
  return /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text).slice(1, -1) : text
}

/** Live-state events for drawing (buffer, workers, progress ticks, where folders stand): too chatty to read as lines. */
const DRAWING_ONLY = new Set<EngineEvent['type']>(['buffer', 'workers', 'transfer-progress', 'folder-state', 'mirror-state', 'preparing'])

/**
 * Lines written in one turn of the event loop leave in one write: with --json a sync of 10,000
 * files prints 10,000 lines, and a write per line would cost the engine's thread more than the files do.
 */
class LineBuffer {
  private lines: string[] = []
  private scheduled = false

  constructor(private readonly stream: NodeJS.WriteStream) {
    buffers.add(this)
  }

  push(line: string): void {
    this.lines.push(line)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  flush(): void {
    this.scheduled = false
    if (this.lines.length === 0) return
    this.stream.write(`${this.lines.join('\n')}\n`)
    this.lines = []
  }
}

const buffers = new Set<LineBuffer>()
const burstPrinters = new Set<BurstPrinter>()

/** Writes out every printer's open bursts and buffered lines now: call before the process exits. */
export function flushPrinters(): void {
  for (const bursts of burstPrinters) bursts.dispose()
  for (const buffer of buffers) buffer.flush()
}

export function createPrinter(json: boolean): EventSink {
  const out = new LineBuffer(process.stdout)
  const err = new LineBuffer(process.stderr)
  const quiet = new ReadableFilter()
  // The error said the problem; the folder-state that drops it is said as a line of its own.
  let ignoreProblem: string | null = null
  // File lines name the device as the events before them did; the burst printer has learnt it.
  let bursts: BurstPrinter | null = null
  const nameOf = (peer: string): string | undefined => bursts?.nameOf(peer)
  const print = (event: EngineEvent): void => {
    if (json) return out.push(JSON.stringify(event))
    // The error may come and go between two folder-states: it counts as the problem standing.
    if (event.type === 'error' && IGNORE_PROBLEMS.has(event.code)) ignoreProblem = event.message
    if (event.type === 'folder-state') {
      if (ignoreProblem !== null && event.ignoreProblem === null) out.push(ignoreFixedLine(event.folder))
      ignoreProblem = event.ignoreProblem
    }
    if (DRAWING_ONLY.has(event.type) || !quiet.shows(event)) return
    if (event.type === 'error' || event.type === 'removed') err.push(describe(event, nameOf))
    else out.push(describe(event, nameOf))
  }
  if (json) return print
  // Readable lines only: --json keeps every event, as its consumers expect.
  const readable = new BurstPrinter(print, (line) => out.push(line))
  bursts = readable
  burstPrinters.add(readable)
  return (event) => readable.print(event)
}

/**
 * For the readable lines, what would only repeat what another line says:
 * - after the first sync of a peer, one edit prints its own line, and "mirror … is up to date"
 *   after it says the same again;
 * - a small file that will be tried again (it had no "receiving" line) is news only if it fails
 *   for good, which gets its own line then.
 */
class ReadableFilter {
  /** Files synced or removed per peer since its last up-to-date line; absent before the first. */
  private readonly changedSince = new Map<string, number>()
  /** Files with a "receiving" line whose end is not printed yet. */
  private readonly receiving = new Set<string>()

  shows(event: EngineEvent): boolean {
    if (event.type === 'transfer-started') this.receiving.add(`${event.peer}\0${event.path}`)
    if (event.type === 'transfer-failed' || event.type === 'file-synced') {
      const shown = this.receiving.delete(`${event.peer}\0${event.path}`)
      if (event.type === 'transfer-failed' && event.retrying && !shown) return false
    }
    if (event.type === 'file-synced' || event.type === 'file-removed') {
      const changes = this.changedSince.get(event.peer)
      if (changes !== undefined) this.changedSince.set(event.peer, changes + 1)
    } else if (event.type === 'peer-synced') {
      const changes = this.changedSince.get(event.peer)
      this.changedSince.set(event.peer, 0)
      return changes !== 1
    } else if (event.type === 'peer-left') {
      this.changedSince.delete(formatEndpoint(event.ip, event.port))
    }
    return true
  }
}
