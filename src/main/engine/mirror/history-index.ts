// The mirror history's record, read by the client that keeps it and by `dropbox-sync history`.
// Beside the mirrors, never in one (MIRROR/.dropbox-sync/history/PEERFOLDER/): one index.json per
// peer folder (written atomically), what changed since in index.log (a line per change, appended:
// a save costs what changed, not the whole history), and the kept versions under files/.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export const HISTORY_FOLDER = 'history'
export const HISTORY_INDEX = 'index.json'
export const HISTORY_LOG = 'index.log'
export const HISTORY_FILES = 'files'

/** One kept version of a mirrored file. */
export interface HistoryEntry {
  /** Its file under files/. */
  id: string
  /** The path in the peer's mirror. */
  path: string
  /** The peer, `ip:port`. */
  peer: string
  /** When it left the mirror (ms since the epoch). */
  at: number
  size: number
  /** Its version (hex; docs/PROTOCOL.md, blocks), as the mirror held it. */
  version?: string
  /** Kept before versions were made of blocks (protocol 4): the SHA-256 of its content instead. */
  sha256?: string
  /** Why it left: the peer deleted it, or sent a new version over it. */
  reason: 'deleted' | 'overwritten'
}

export interface HistoryIndexFile {
  version: 1
  entries: HistoryEntry[]
}

/** By default the history may take this share of the size of the disk the mirrors are on. */
export const DEFAULT_HISTORY_CAP_PERCENT = 10

export function historyRoot(stateDir: string): string {
  return path.join(stateDir, HISTORY_FOLDER)
}

function isEntry(value: unknown): value is HistoryEntry {
  const e = value as Partial<HistoryEntry> | null
  return (
    typeof e === 'object' && e !== null &&
    typeof e.id === 'string' && /^[\w.-]+$/.test(e.id) &&
    typeof e.path === 'string' && typeof e.peer === 'string' &&
    typeof e.at === 'number' && typeof e.size === 'number' &&
    (typeof e.version === 'string' || typeof e.sha256 === 'string') && (e.reason === 'deleted' || e.reason === 'overwritten')
  )
}

/** One line of index.log: a version kept, or one gone (expired, capped, or not a loss after all). */
export type HistoryLogLine = { add: HistoryEntry } | { drop: string }

/**
 * A peer folder's entries: index.json, then index.log's changes; none when there is no index or it
 * cannot be read (entries that do not check out are left out). The log is read first: a client
 * folding it into a new index.json meanwhile leaves either both old or a new index with all of it.
 */
export function readHistoryIndex(peerDir: string): HistoryEntry[] {
  const log = readText(path.join(peerDir, HISTORY_LOG))
  let parsed: unknown
  try {
    parsed = JSON.parse(readText(path.join(peerDir, HISTORY_INDEX)) ?? '')
  } catch {
    parsed = null
  }
  const entries = (parsed as Partial<HistoryIndexFile> | null)?.entries
  return replayHistoryLog(Array.isArray(entries) ? entries.filter(isEntry) : [], log ?? '')
}

/**
 * Pure: `entries` with the log's lines applied in order. Each line applies once whatever came
 * before (an entry already there is not added twice, a drop of one not there does nothing), and a
 * line that does not parse (the last, torn by a crash mid-append) is left out.
 */
export function replayHistoryLog(entries: HistoryEntry[], log: string): HistoryEntry[] {
  if (log === '') return entries
  const byId = new Map(entries.map((e) => [e.id, e]))
  for (const text of log.split('\n')) {
    let line: Partial<{ add: unknown; drop: unknown }> | null
    try {
      line = JSON.parse(text) as typeof line
    } catch {
      continue
    }
    if (typeof line?.drop === 'string') byId.delete(line.drop)
    else if (isEntry(line?.add) && !byId.has(line.add.id)) byId.set(line.add.id, line.add)
  }
  return [...byId.values()]
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/** Every peer folder with a history, by name. */
export function historyPeerFolders(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  } catch {
    return []
  }
}

/** Where an entry's content lies. */
export function historyFile(root: string, peerFolder: string, id: string): string {
  return path.join(root, peerFolder, HISTORY_FILES, id)
}

/**
 * Pure: the entries to remove, by key: those older than `keepMs`, then, oldest first, as many as
 * it takes to bring what is left under `capBytes`.
 */
export function selectForRemoval(entries: ReadonlyArray<{ key: string; at: number; size: number }>, now: number, keepMs: number, capBytes: number): Set<string> {
  const remove = new Set<string>()
  const left: Array<{ key: string; at: number; size: number }> = []
  let total = 0
  for (const entry of entries) {
    if (now - entry.at > keepMs) remove.add(entry.key)
    else {
      left.push(entry)
      total += entry.size
    }
  }
  if (total <= capBytes) return remove
  left.sort((a, b) => a.at - b.at)
  for (const entry of left) {
    if (total <= capBytes) break
    remove.add(entry.key)
    total -= entry.size
  }
  return remove
}
