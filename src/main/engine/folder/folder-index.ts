// The index of the folder a client shares: every regular file with its SHA-256, size, mtime and
// inode. Kept current by watching the folder; stored (atomically) outside the folder so that a
// restart re-hashes only files whose size, mtime or inode changed.
//
// Symlink policy: links are neither followed nor served; only regular files inside the folder are.
import { EventEmitter } from 'node:events'
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import type { EventSink } from '../../../shared/events'
import { relativePathProblem } from '../../../shared/paths'
import type { IndexChange } from '../protocol/messages'
import { writeFileAtomic } from './atomic-write'
import { hashFile } from './hash'

export interface IndexedFile {
  path: string
  version: Buffer
  size: number
  mtimeMs: number
  ino: number
}

interface SavedIndex {
  root: string
  files: Array<[path: string, version: string, size: number, mtimeMs: number, ino: number]>
}

/** Changes seen by the watcher are gathered this long before they are re-checked and announced. */
const SETTLE_MS = 10
const SAVE_DELAY_MS = 500
/** How long chokidar suppresses repeated 'change' events of one file. */
const CHOKIDAR_THROTTLE_MS = 50

export class FolderIndex extends EventEmitter<{ changes: [IndexChange[]] }> {
  private files = new Map<string, IndexedFile>()
  private watcher: FSWatcher | null = null
  private readonly dirty = new Set<string>()
  private settleTimer: NodeJS.Timeout | null = null
  private saveTimer: NodeJS.Timeout | null = null
  private work: Promise<void> = Promise.resolve()
  private reportedUnshareable = new Set<string>()
  private closed = false
  /** Files hashed since this index was created: a restart should hash only what changed. */
  hashed = 0

  constructor(
    readonly root: string,
    private readonly statePath: string,
    private readonly onEvent: EventSink,
  ) {
    super()
  }

  get size(): number {
    return this.files.size
  }

  get(relPath: string): IndexedFile | undefined {
    return this.files.get(relPath)
  }

  list(): IndexedFile[] {
    return [...this.files.values()]
  }

  /** Scans the folder, reusing saved hashes of unchanged files, then starts watching it. */
  async open(): Promise<void> {
    const saved = await this.load()
    const next = new Map<string, IndexedFile>()
    for await (const [rel, stats] of this.walk(this.root, '')) {
      const before = saved.get(rel)
      next.set(rel, before && sameStats(before, stats) ? before : await this.hashStable(rel))
    }
    this.files = next
    await this.save()
    await this.startWatching()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.settleTimer) clearTimeout(this.settleTimer)
    await this.watcher?.close()
    await this.work
    if (this.saveTimer) {
      clearTimeout(this.saveTimer)
      await this.save()
    }
  }

  /** Re-checks these paths now (used when a read finds a file other than the index says). */
  recheck(relPath: string): void {
    this.markDirty(relPath)
  }

  private async startWatching(): Promise<void> {
    const watcher = watch(this.root, {
      ignoreInitial: true,
      followSymlinks: false,
      // chokidar's `atomic` holds deletions back 100 ms; peers are promised changes faster.
      atomic: false,
      ignorePermissionErrors: true,
    })
    this.watcher = watcher
    watcher.on('all', (event, abs) => {
      const rel = path.relative(this.root, abs).split(path.sep).join('/')
      if (!rel || rel.startsWith('..')) return
      this.markDirty(rel)
      // chokidar drops further 'change' events for 50 ms after one it reports, with no trailing
      // event: a file written twice in quick succession would keep its first version. Look again
      // once that window has passed (cheap: it re-hashes only if size or mtime moved).
      if (event === 'change' || event === 'add') setTimeout(() => this.markDirty(rel), CHOKIDAR_THROTTLE_MS + 15).unref()
    })
    watcher.on('error', (error) => {
      this.onEvent({ type: 'error', code: 'watch-failed', message: `watching ${this.root}: ${String(error)}` })
    })
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  }

  private markDirty(rel: string): void {
    this.dirty.add(rel)
    if (!this.settleTimer) this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS)
  }

  private settle(): void {
    this.settleTimer = null
    const paths = [...this.dirty]
    this.dirty.clear()
    this.work = this.work.then(() => this.applyDirty(paths)).catch((error) => {
      this.onEvent({ type: 'error', code: 'index-failed', message: `indexing ${this.root}: ${String(error)}` })
    })
  }

  private async applyDirty(paths: string[]): Promise<void> {
    if (this.closed) return
    const changes: IndexChange[] = []
    for (const rel of paths) {
      const stats = await lstat(path.join(this.root, rel)).catch(() => null)
      if (stats?.isDirectory()) {
        // A folder appeared (or was renamed in): index what is inside it.
        for await (const [inner, innerStats] of this.walk(path.join(this.root, rel), rel)) {
          await this.update(inner, innerStats, changes)
        }
        continue
      }
      await this.update(rel, stats?.isFile() ? stats : null, changes)
      // A folder that vanished takes everything indexed below it.
      if (!stats) {
        for (const key of [...this.files.keys()]) if (key.startsWith(`${rel}/`)) await this.update(key, null, changes)
      }
    }
    if (changes.length === 0) return
    this.emit('changes', changes)
    this.scheduleSave()
  }

  private async update(rel: string, stats: FileStats | null, changes: IndexChange[]): Promise<void> {
    const before = this.files.get(rel)
    if (!stats || relativePathProblem(rel)) {
      if (before) {
        this.files.delete(rel)
        changes.push({ op: 'delete', path: rel })
      }
      return
    }
    if (before && sameStats(before, stats)) return
    const file = await this.hashStable(rel).catch(() => null)
    if (!file) return this.update(rel, null, changes)
    if (before && before.version.equals(file.version) && before.size === file.size) {
      this.files.set(rel, file) // touched, same content: nothing to announce
      return
    }
    this.files.set(rel, file)
    changes.push({ op: 'upsert', path: rel, version: file.version, size: file.size })
  }

  /** Hashes until the file holds still: a file written during hashing is hashed again. */
  private async hashStable(rel: string): Promise<IndexedFile> {
    const abs = path.join(this.root, rel)
    for (let attempt = 0; ; attempt++) {
      const before = await lstat(abs)
      const { version, size } = await hashFile(abs)
      this.hashed++
      const after = await lstat(abs)
      if ((sameStats(before, after) && size === after.size) || attempt >= 4) {
        return { path: rel, version, size, mtimeMs: after.mtimeMs, ino: after.ino }
      }
    }
  }

  private async *walk(dir: string, prefix: string): AsyncGenerator<[string, FileStats]> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        yield* this.walk(path.join(dir, entry.name), rel)
      } else if (entry.isFile()) {
        const problem = relativePathProblem(rel)
        if (problem) {
          this.reportUnshareable(rel, problem)
          continue
        }
        const stats = await lstat(path.join(dir, entry.name)).catch(() => null)
        if (stats?.isFile()) yield [rel, stats]
      }
    }
  }

  private reportUnshareable(rel: string, problem: string): void {
    if (this.reportedUnshareable.has(rel)) return
    this.reportedUnshareable.add(rel)
    this.onEvent({ type: 'error', code: 'unshareable-path', message: `not shared: ${JSON.stringify(rel)}: ${problem}` })
  }

  private async load(): Promise<Map<string, IndexedFile>> {
    const saved = new Map<string, IndexedFile>()
    try {
      const data = JSON.parse(await readFile(this.statePath, 'utf8')) as SavedIndex
      if (data.root !== this.root || !Array.isArray(data.files)) return saved
      for (const [rel, version, size, mtimeMs, ino] of data.files) {
        saved.set(rel, { path: rel, version: Buffer.from(version, 'hex'), size, mtimeMs, ino })
      }
    } catch {
      // No index yet, or an unreadable one: everything is hashed afresh.
    }
    return saved
  }

  private scheduleSave(): void {
    if (this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null
      this.work = this.work.then(() => this.save()).catch((error) => {
        this.onEvent({ type: 'error', code: 'index-save-failed', message: `saving the index: ${String(error)}` })
      })
    }, SAVE_DELAY_MS)
  }

  private async save(): Promise<void> {
    const data: SavedIndex = {
      root: this.root,
      files: [...this.files.values()].map((f) => [f.path, f.version.toString('hex'), f.size, f.mtimeMs, f.ino]),
    }
    await mkdir(path.dirname(this.statePath), { recursive: true })
    await writeFileAtomic(this.statePath, JSON.stringify(data))
  }
}

interface FileStats {
  size: number
  mtimeMs: number
  ino: number
}

function sameStats(a: FileStats, b: FileStats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino
}
