// Mirror history: what a peer deleted or overwrote in its mirror is kept here for a while, so a
// mistake (or ransomware) on the other machine can be undone from this one. Versions are moved or
// hard-linked in (copied only on a disk without hard links): the history lies in the mirror
// folder's state folder, on the same file system as the mirrors. Owned by the main thread; a
// transfer worker only links a file to a path reserved here, and the coordinator adopts it once
// the new version is in place.
import { randomBytes } from 'node:crypto'
import { lstatSync, mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs'
import { linkOrCopy } from '../util/hard-links'
import path from 'node:path'
import { writeFileAtomic } from '../folder/atomic-write'
import {
  DEFAULT_HISTORY_CAP_PERCENT,
  HISTORY_FILES,
  HISTORY_INDEX,
  historyPeerFolders,
  readHistoryIndex,
  selectForRemoval,
  type HistoryEntry,
  type HistoryIndexFile,
} from './history-index'

/** Expired versions and the cap are enforced at start and this often. */
const PRUNE_EVERY_MS = 60 * 60 * 1000
/** An index is saved this long after its last change (and on stop). */
const SAVE_DELAY_MS = 300

export interface HistoryOptions {
  /** How long a version is kept; 0: history is off. */
  keepMs: number
  /** The most the history may hold; default DEFAULT_HISTORY_CAP_PERCENT of the disk's size. */
  capBytes?: number
  problem: (message: string) => void
}

let counter = 0

export class HistoryStore {
  private readonly peers = new Map<string, HistoryEntry[]>()
  private readonly dirty = new Set<string>()
  private saveTimer: NodeJS.Timeout | null = null
  private pruneTimer: NodeJS.Timeout | null = null
  private saving: Promise<void> = Promise.resolve()
  private capBytes = Infinity

  constructor(
    private readonly root: string,
    private readonly options: HistoryOptions,
  ) {}

  get enabled(): boolean {
    return this.options.keepMs > 0
  }

  async start(): Promise<void> {
    if (!this.enabled) return
    mkdirSync(this.root, { recursive: true })
    this.capBytes = this.options.capBytes ?? diskCap(this.root)
    for (const folder of historyPeerFolders(this.root)) {
      const entries = readHistoryIndex(path.join(this.root, folder))
      this.peers.set(folder, entries)
      this.removeOrphans(folder, entries)
    }
    this.prune()
    await this.flush()
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS)
    this.pruneTimer.unref()
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer)
    this.pruneTimer = null
    await this.flush()
  }

  /**
   * A path for a version of a file in `peerFolder` (the mirror folder's name), not made yet; null
   * if history is off or its folder cannot be made (the version is then not kept).
   */
  reserve(peerFolder: string): string | null {
    if (!this.enabled) return null
    const files = path.join(this.root, peerFolder, HISTORY_FILES)
    try {
      // Not remembered: a history folder removed by hand is made again.
      mkdirSync(files, { recursive: true })
    } catch (error) {
      this.options.problem(`making the history folder ${files}: ${(error as Error).message}`)
      return null
    }
    return path.join(files, `${Date.now().toString(36)}-${process.pid.toString(36)}-${(++counter).toString(36)}-${randomBytes(3).toString('hex')}`)
  }

  /** A reserved path that now holds a version (a worker linked it there): recorded. */
  adopt(peerFolder: string, peer: string, rel: string, kept: string, version: string, reason: HistoryEntry['reason']): void {
    const stats = lstatSync(kept, { throwIfNoEntry: false })
    if (!stats?.isFile()) return
    let entries = this.peers.get(peerFolder)
    if (!entries) this.peers.set(peerFolder, (entries = []))
    entries.push({ id: path.basename(kept), path: rel, peer, at: Date.now(), size: stats.size, version, reason })
    this.changed(peerFolder)
  }

  /**
   * Hard-links `file` (a mirror file about to be deleted) into the history, or copies it where the
   * disk has no hard links, and records it; its entry id, or null if it could not be kept.
   */
  link(peerFolder: string, peer: string, rel: string, file: string, version: string, reason: HistoryEntry['reason']): string | null {
    const kept = this.reserve(peerFolder)
    if (kept === null) return null
    try {
      // On a disk without hard links the version is copied in, since the file is about to go.
      linkOrCopy(file, kept)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') this.options.problem(`keeping ${rel} of ${peer} in the history: ${(error as Error).message}`)
      rmSync(kept, { force: true })
      return null
    }
    this.adopt(peerFolder, peer, rel, kept, version, reason)
    return path.basename(kept)
  }

  /** An entry that was not a loss after all (the deleted file came back as a move): forgotten. */
  drop(peerFolder: string, id: string): void {
    const entries = this.peers.get(peerFolder)
    const at = entries?.findIndex((e) => e.id === id) ?? -1
    if (!entries || at === -1) return
    entries.splice(at, 1)
    rmSync(path.join(this.root, peerFolder, HISTORY_FILES, id), { force: true })
    this.changed(peerFolder)
  }

  /** A reserved path whose version was not kept after all (the transfer failed). */
  discard(kept: string): void {
    rmSync(kept, { force: true })
  }

  /** Removes what has expired, then the oldest until the history is under its cap. */
  prune(now = Date.now()): void {
    if (!this.enabled) return
    const all: Array<{ key: string; at: number; size: number }> = []
    for (const [folder, entries] of this.peers) for (const e of entries) all.push({ key: `${folder}/${e.id}`, at: e.at, size: e.size })
    const remove = selectForRemoval(all, now, this.options.keepMs, this.capBytes)
    if (remove.size === 0) return
    for (const [folder, entries] of this.peers) {
      const kept = entries.filter((e) => !remove.has(`${folder}/${e.id}`))
      if (kept.length === entries.length) continue
      for (const e of entries) if (remove.has(`${folder}/${e.id}`)) rmSync(path.join(this.root, folder, HISTORY_FILES, e.id), { force: true })
      this.peers.set(folder, kept)
      this.changed(folder)
    }
  }

  /** Saves every changed index now. */
  flush(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer)
    this.saveTimer = null
    const folders = [...this.dirty]
    this.dirty.clear()
    this.saving = this.saving.then(async () => {
      for (const folder of folders) {
        const file: HistoryIndexFile = { version: 1, entries: this.peers.get(folder) ?? [] }
        try {
          mkdirSync(path.join(this.root, folder), { recursive: true })
          await writeFileAtomic(path.join(this.root, folder, HISTORY_INDEX), `${JSON.stringify(file)}\n`)
        } catch (error) {
          this.options.problem(`saving the history of ${folder}: ${(error as Error).message}`)
        }
      }
    })
    return this.saving
  }

  private changed(folder: string): void {
    this.dirty.add(folder)
    if (this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null
      // The cap is kept as versions come in, not only once an hour.
      this.prune()
      this.flush().catch(() => {})
    }, SAVE_DELAY_MS)
    this.saveTimer.unref()
  }

  /** Versions on disk the index does not name (a crash before its save): nothing can list them. */
  private removeOrphans(folder: string, entries: HistoryEntry[]): void {
    const named = new Set(entries.map((e) => e.id))
    const files = path.join(this.root, folder, HISTORY_FILES)
    let names: string[] = []
    try {
      names = readdirSync(files)
    } catch {
      return
    }
    for (const name of names) if (!named.has(name)) rmSync(path.join(files, name), { recursive: true, force: true })
    // Entries whose file is gone (removed by hand) are dropped too.
    const onDisk = new Set(names)
    const present = entries.filter((e) => onDisk.has(e.id))
    if (present.length !== entries.length) {
      this.peers.set(folder, present)
      this.changed(folder)
    }
  }
}

/** DEFAULT_HISTORY_CAP_PERCENT of the size of the disk `dir` is on. */
export function diskCap(dir: string): number {
  try {
    const stats = statfsSync(dir)
    return Math.floor((stats.blocks * stats.bsize * DEFAULT_HISTORY_CAP_PERCENT) / 100)
  } catch {
    return 10 * 1024 ** 3
  }
}
