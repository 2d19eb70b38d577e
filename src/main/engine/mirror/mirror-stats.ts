// Where each peer's mirror stands, for the app and --json: what it holds, what is still to come,
// when it last changed. Reported for the peers it was told changed, at most every
// MIRROR_STATS_EVERY_MS, and once more when they settle; the figures are kept as counters
// (mirror-tally.ts), and mirrorFigures is their definition, a recount over the lists.
import type { EventSink, MirrorPhase, MirrorStateEvent } from '../../../shared/events'
import { Sampler } from '../util/sampler'

export const MIRROR_STATS_EVERY_MS = 500

interface Versioned {
  version: string
  size: number
}

export interface MirrorFigures {
  files: number
  bytes: number
  /** What the peer shares; null until its whole list is in. */
  peerFiles: number | null
  peerBytes: number | null
  needFiles: number
  needBytes: number
  removeFiles: number
  failedFiles: number
}

/** The versions a peer sent wrong, by path (the coordinator's path records answer it). */
export type RefusedVersions = Pick<ReadonlyMap<string, string>, 'get'>

/**
 * The mirror (`mirrored`) against the peer's list (`remote`). `complete`: the list is whole; a list
 * still arriving tells what is to come so far, but nothing about what is to go. A version in
 * `refused` (sent wrong) is not to come: it is asked for again only once the peer changes it.
 */
export function mirrorFigures(
  mirrored: ReadonlyMap<string, Versioned>,
  remote: ReadonlyMap<string, Versioned> | null,
  complete: boolean,
  refused: RefusedVersions,
): MirrorFigures {
  const figures: MirrorFigures = { files: 0, bytes: 0, peerFiles: null, peerBytes: null, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 }
  for (const [rel, have] of mirrored) {
    figures.files++
    figures.bytes += have.size
    if (complete && remote && !remote.has(rel)) figures.removeFiles++
  }
  if (!remote) return figures
  let peerFiles = 0
  let peerBytes = 0
  for (const [rel, want] of remote) {
    peerFiles++
    peerBytes += want.size
    if (mirrored.get(rel)?.version === want.version) continue
    if (refused.get(rel) === want.version) {
      figures.failedFiles++
      continue
    }
    figures.needFiles++
    figures.needBytes += want.size
  }
  if (complete) {
    figures.peerFiles = peerFiles
    figures.peerBytes = peerBytes
  }
  return figures
}

export interface ToCome {
  /** The first files by path, at most the limit asked for. */
  files: Array<{ path: string; size: number }>
  /** All that is to come, and their bytes. */
  total: number
  bytes: number
}

/** What mirrorFigures counts as to come, by path: the first `limit`, and the count of all. */
export function toComeList(
  mirrored: ReadonlyMap<string, Versioned>,
  remote: ReadonlyMap<string, Versioned> | null,
  refused: RefusedVersions,
  limit: number,
): ToCome {
  const all: Array<{ path: string; size: number }> = []
  let bytes = 0
  for (const [rel, want] of remote ?? []) {
    if (mirrored.get(rel)?.version === want.version || refused.get(rel) === want.version) continue
    all.push({ path: rel, size: want.size })
    bytes += want.size
  }
  all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files: all.slice(0, Math.max(0, limit)), total: all.length, bytes }
}

export interface PhaseFacts {
  /** Mirrored now (false: paused while still announced). */
  online: boolean
  folderAway: boolean
  /** Its subscription is open (it answered). */
  subscribed: boolean
  /** A whole list is in, and no newer one is on its way. */
  listed: boolean
  synced: boolean
}

export function mirrorPhase(facts: PhaseFacts): MirrorPhase {
  if (!facts.online) return 'paused'
  if (facts.folderAway) return 'waiting'
  if (!facts.listed) return facts.subscribed ? 'listing' : 'connecting'
  return facts.synced ? 'up-to-date' : 'syncing'
}

/** One peer as the coordinator knows it, read when a report is due. */
export interface MirrorSource {
  peer: string
  id: string
  name: string
  facts: PhaseFacts
  /** The mirror against its list: the whole one, or the part in so far, or none yet. */
  figures: MirrorFigures
  lastChange: number | null
}

export class MirrorStats {
  private readonly dirty = new Set<string>()
  /** The last report per device, to send none that says nothing new. */
  private readonly sent = new Map<string, string>()
  private readonly sampler: Sampler

  /** `source`: the peer with that device ID (hex) as it is now, or null when it is not to be reported (it left). */
  constructor(
    private readonly source: (id: string) => MirrorSource | null,
    private readonly emit: EventSink,
    intervalMs = MIRROR_STATS_EVERY_MS,
  ) {
    this.sampler = new Sampler(intervalMs, () => this.report())
  }

  /** Something about this peer's mirror may have changed. */
  touch(id: string): void {
    this.dirty.add(id)
    this.sampler.schedule()
  }

  close(): void {
    this.sampler.close()
  }

  private report(): void {
    for (const id of this.dirty) {
      const source = this.source(id)
      if (!source) {
        this.sent.delete(id)
        continue
      }
      const event = stateEvent(source)
      const text = JSON.stringify(event)
      if (this.sent.get(id) === text) continue
      this.sent.set(id, text)
      this.emit(event)
    }
    this.dirty.clear()
  }
}

function stateEvent(source: MirrorSource): MirrorStateEvent {
  const { peerFiles, peerBytes, ...figures } = source.figures
  return {
    type: 'mirror-state',
    peer: source.peer,
    id: source.id,
    name: source.name,
    phase: mirrorPhase(source.facts),
    ...figures,
    ...(peerFiles === null || peerBytes === null ? {} : { peerFiles, peerBytes }),
    lastChange: source.lastChange,
  }
}
