// A mirror folder's history as its files hold it, for `dropbox-sync history` and the app's History
// screen alike: the client need not be running (each index is written atomically).
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { formatDeviceId } from '../../../shared/device-id'
import { peerKey } from '../control/control-protocol'
import { matchPeer, type KnownPeer } from '../control/peer-match'
import { DEVICES_FILE, DeviceFolders } from './device-folders'
import { historyFile, historyPeerFolders, historyRoot, readHistoryIndex, type HistoryEntry } from './history-index'
import { STATE_FOLDER } from './mirror-coordinator'

export interface KeptVersion extends HistoryEntry {
  /** The peer's mirror folder (and history folder) name. */
  folder: string
  /** Where its content lies. */
  file: string
}

/** The history folder of the mirror root `mirrorRoot`. */
export function historyRootOf(mirrorRoot: string): string {
  return historyRoot(path.join(mirrorRoot, STATE_FOLDER))
}

/** Every kept version under this mirror root (of one peer or one mirror folder, if given), oldest first. */
export function keptVersions(mirrorRoot: string, only: { peer?: string; folder?: string } = {}): KeptVersion[] {
  const root = historyRootOf(mirrorRoot)
  const all: KeptVersion[] = []
  for (const folder of historyPeerFolders(root)) {
    if (only.folder !== undefined && folder !== only.folder) continue
    for (const entry of readHistoryIndex(path.join(root, folder))) {
      if (only.peer === undefined || entry.peer === only.peer) all.push({ ...entry, folder, file: historyFile(root, folder, entry.id) })
    }
  }
  return all.sort((a, b) => a.at - b.at)
}

/**
 * Whose history `text` names, as `ctl` takes a PEER (peer-match.ts): the device's name, ID or
 * mirror folder (from devices.json, so the client need not run) give its mirror folder; an
 * address (IP:PORT) gives the versions deleted from there, none as yet included.
 */
export function historyPeer(mirrorRoot: string, text: string): { folder: string } | { address: string } | { error: string } {
  const address = peerKey(text)
  if (address !== null) return { address }
  const root = historyRootOf(mirrorRoot)
  const devices = new DeviceFolders(path.join(mirrorRoot, STATE_FOLDER, DEVICES_FILE))
  devices.load()
  const peers = new Map<string, KnownPeer>()
  for (const [id, device] of devices.recorded()) {
    peers.set(device.folder, { id, idText: formatDeviceId(Buffer.from(id, 'hex')), name: device.name, folder: device.folder, ...(device.adopted ? { adopted: device.adopted } : {}) })
  }
  for (const folder of historyPeerFolders(root)) {
    const newest = readHistoryIndex(path.join(root, folder)).at(-1)
    const known = peers.get(folder) ?? { id: `folder:${folder}`, idText: 'unknown', name: '', folder }
    peers.set(folder, { ...known, ...(newest ? { endpoint: newest.peer } : {}) })
  }
  const match = matchPeer(text, [...peers.values()])
  return 'peer' in match ? { folder: match.peer.folder! } : { error: match.error.replace('this client knows', 'this mirror folder knows') }
}

/** One kept version by its mirror folder and id; undefined when there is none (any more). */
export function keptVersion(mirrorRoot: string, folder: string, id: string): KeptVersion | undefined {
  if (!historyPeerFolders(historyRootOf(mirrorRoot)).includes(folder)) return undefined
  return keptVersions(mirrorRoot, { folder }).find((v) => v.id === id)
}

export interface MirrorHistory {
  folder: string
  /** The peer's address as its newest kept version names it; null when nothing is kept. */
  peer: string | null
  versions: number
  bytes: number
  /** When the newest kept version left the mirror; null when nothing is kept. */
  newest: number | null
  /** The device whose mirror it is (devices.json: its ID as people read it, its name when the folder was named); null when none is on record. */
  device: { id: string; name: string } | null
}

/** The devices on record in devices.json, by their mirror folder's name. */
function devicesByFolder(mirrorRoot: string): Map<string, { id: string; name: string }> {
  const devices = new DeviceFolders(path.join(mirrorRoot, STATE_FOLDER, DEVICES_FILE))
  devices.load()
  return new Map(devices.recorded().map(([id, device]) => [device.folder, { id: formatDeviceId(Buffer.from(id, 'hex')), name: device.name }]))
}

/** Every peer mirror under the root, and each history folder whose mirror is gone, by name. */
export function mirrorHistories(mirrorRoot: string): MirrorHistory[] {
  const names = new Set(historyPeerFolders(historyRootOf(mirrorRoot)))
  try {
    for (const entry of readdirSync(mirrorRoot, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== STATE_FOLDER) names.add(entry.name)
    }
  } catch {
    // No mirror root yet: only what the history holds.
  }
  const byFolder = new Map<string, KeptVersion[]>()
  for (const version of keptVersions(mirrorRoot)) {
    const list = byFolder.get(version.folder) ?? []
    list.push(version)
    byFolder.set(version.folder, list)
  }
  const devices = devicesByFolder(mirrorRoot)
  return [...names].sort().map((folder) => {
    const versions = byFolder.get(folder) ?? []
    const newest = versions.at(-1)
    const device = devices.get(folder) ?? null
    return { folder, peer: newest?.peer ?? null, versions: versions.length, bytes: versions.reduce((sum, v) => sum + v.size, 0), newest: newest?.at ?? null, device }
  })
}

export interface HistoryQuery {
  /** Only paths holding this text, any case; empty: all. */
  filter: string
  /** Only versions older than this one (the last of the page before); null: from the newest. */
  before: { at: number; id: string } | null
  limit: number
}

/** Newest first, ties by id (also newest first: ids begin with the time they were made). */
function newerFirst(a: { at: number; id: string }, b: { at: number; id: string }): number {
  return b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/**
 * Pure: one page of `versions`, newest first, and how many match the filter in all. A page goes
 * on from the last entry of the one before, so versions kept meanwhile never shift it.
 */
export function historyPage<T extends { at: number; id: string; path: string }>(versions: readonly T[], query: HistoryQuery): { entries: T[]; total: number; more: boolean } {
  const needle = query.filter.trim().toLowerCase()
  const matching = needle ? versions.filter((v) => v.path.toLowerCase().includes(needle)) : [...versions]
  matching.sort(newerFirst)
  const cursor = query.before
  const start = cursor ? matching.findIndex((v) => newerFirst(cursor, v) < 0) : 0
  const from = start === -1 ? matching.length : start
  const entries = matching.slice(from, from + query.limit)
  return { entries, total: matching.length, more: from + entries.length < matching.length }
}
