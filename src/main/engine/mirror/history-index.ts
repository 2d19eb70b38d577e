// The mirror history's record, read by the client that keeps it and by `dropbox-sync history`.
// Beside the mirrors, never in one (MIRROR/.dropbox-sync/history/PEERFOLDER/): one index.json per
// peer folder (written atomically) and the kept versions under files/, one file each.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export const HISTORY_FOLDER = 'history'
export const HISTORY_INDEX = 'index.json'
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

/** A peer folder's entries; none when there is no index or it cannot be read (entries that do not check out are left out). */
export function readHistoryIndex(peerDir: string): HistoryEntry[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path.join(peerDir, HISTORY_INDEX), 'utf8'))
  } catch {
    return []
  }
  const entries = (parsed as Partial<HistoryIndexFile> | null)?.entries
  return Array.isArray(entries) ? entries.filter(isEntry) : []
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
