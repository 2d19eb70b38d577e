// Mirror history: what a peer deleted or overwrote in its mirror is kept here for a while, so a
// mistake (or ransomware) on the other machine can be undone from this one. Versions are moved or
// hard-linked in (copied only on a disk without hard links): the history lies in the mirror
// folder's state folder, on the same file system as the mirrors. Owned by the main thread; a
// transfer worker only links a file to a path reserved here, and the coordinator adopts it once
// the new version is in place.
import { randomBytes } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { linkOrCopy } from '../util/hard-links'
import path from 'node:path'
import { writeFileAtomic } from '../folder/atomic-write'
import {
  DEFAULT_HISTORY_CAP_PERCENT,
  HISTORY_FILES,
  HISTORY_INDEX,
  HISTORY_LOG,
  historyPeerFolders,
  readHistoryIndex,
  selectForRemoval,
  type HistoryEntry,
  type HistoryIndexFile,
  type HistoryLogLine,
} from './history-index'

/** Expired versions and the cap are enforced at start and this often. */
const PRUNE_EVERY_MS = 60 * 60 * 1000
/** An index is saved this long after its last change (and on stop). */
const SAVE_DELAY_MS = 300
/** A folder's log is folded into a new index.json once it has more lines than this and than the index has entries. */
const FOLD_LOG_LINES = 1000

/** What a peer folder's index.log lacks (lines not appended yet), and how many lines it has. */
interface Journal {
  lines: string[]
  logged: number
}

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
  private readonly journals = new Map<string, Journal>()
  /** The size of every version kept, all peers: the cap is looked at as versions come only when it is passed. */
  private bytes = 0
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
      for (const e of entries) this.bytes += e.size
      // A log left by the last run (its last line maybe torn) is folded in before anything is appended.
      if (existsSync(path.join(this.root, folder, HISTORY_LOG))) this.refold(folder)
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
    const entry: HistoryEntry = { id: path.basename(kept), path: rel, peer, at: Date.now(), size: stats.size, version, reason }
    entries.push(entry)
    this.bytes += entry.size
    this.log(peerFolder, { add: entry })
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
    if (entries && at !== -1) this.dropAt(peerFolder, entries, at)
  }

  /**
   * Entries of this version kept at or after `since` (ms): not a loss after all, the mirror holds
   * it again. Asked at every file placed: it looks at the newest entries only, and drops by place.
   */
  dropRecent(peerFolder: string, version: string, since: number): void {
    const entries = this.peers.get(peerFolder)
    if (!entries) return
    for (let i = entries.length - 1; i >= 0 && entries[i]!.at >= since; i--) if (entries[i]!.version === version) this.dropAt(peerFolder, entries, i)
  }

  private dropAt(peerFolder: string, entries: HistoryEntry[], at: number): void {
    const [entry] = entries.splice(at, 1)
    this.bytes -= entry!.size
    rmSync(path.join(this.root, peerFolder, HISTORY_FILES, entry!.id), { force: true })
    this.log(peerFolder, { drop: entry!.id })
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
      for (const e of entries) {
        if (!remove.has(`${folder}/${e.id}`)) continue
        rmSync(path.join(this.root, folder, HISTORY_FILES, e.id), { force: true })
        this.bytes -= e.size
        this.log(folder, { drop: e.id })
      }
      this.peers.set(folder, kept)
    }
  }

  /** Saves every changed index now. */
  flush(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer)
    this.saveTimer = null
    const folders = [...this.dirty]
    this.dirty.clear()
    this.saving = this.saving.then(async () => {
      for (const folder of folders) await this.save(folder)
    })
    return this.saving
  }

  /** Appends what changed to the folder's log, or, once the log has grown long, folds it into a new index. */
  private async save(folder: string): Promise<void> {
    const journal = this.journalOf(folder)
    // Taken with the entries as they are now: the new index holds exactly what these lines said.
    const lines = journal.lines.splice(0)
    const entries = this.peers.get(folder) ?? []
    const dir = path.join(this.root, folder)
    try {
      mkdirSync(dir, { recursive: true })
      if (journal.logged + lines.length > Math.max(FOLD_LOG_LINES, entries.length)) {
        const file: HistoryIndexFile = { version: 1, entries }
        await writeFileAtomic(path.join(dir, HISTORY_INDEX), `${JSON.stringify(file)}\n`)
        rmSync(path.join(dir, HISTORY_LOG), { force: true })
        journal.logged = 0
      } else if (lines.length > 0) {
        await appendFile(path.join(dir, HISTORY_LOG), `${lines.join('\n')}\n`)
        journal.logged += lines.length
      }
    } catch (error) {
      this.options.problem(`saving the history of ${folder}: ${(error as Error).message}`)
      // What may not be written whole is written in a new index at the next save.
      this.refold(folder)
    }
  }

  private journalOf(folder: string): Journal {
    let journal = this.journals.get(folder)
    if (!journal) this.journals.set(folder, (journal = { lines: [], logged: 0 }))
    return journal
  }

  private log(folder: string, line: HistoryLogLine): void {
    this.journalOf(folder).lines.push(JSON.stringify(line))
    this.changed(folder)
  }

  /** The folder's next save writes a whole new index. */
  private refold(folder: string): void {
    this.journalOf(folder).logged = Infinity
    this.changed(folder)
  }

  private changed(folder: string): void {
    this.dirty.add(folder)
    if (this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null
      // The cap is kept as versions come in, not only once an hour.
      if (this.bytes > this.capBytes) this.prune()
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
      for (const e of entries) if (!onDisk.has(e.id)) this.bytes -= e.size
      this.peers.set(folder, present)
      this.refold(folder)
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
