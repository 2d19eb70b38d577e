// Watches a shared folder's tree: one fs.watch (an inotify watch on Linux) per folder, none per
// file. It only says which paths may have changed; the index looks at them itself and tells it
// which folders to watch or drop. chokidar, used before, lstat-ed every file twice in JavaScript
// before it was ready: 1.4 s and 2.2 s of CPU for 10,000 files here, on every start.
//
// Links are not followed: a link to a folder is reported as a path like any other, never watched.
import { watch, type FSWatcher } from 'node:fs'
import { lstatSync } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import path from 'node:path'
import { childPath, enclosingFolders } from './file-table'
import { provablySameFolder, type FolderIdentity } from './folder-identity'

export interface FolderWatcherHooks {
  /** A path (of a file or a folder, relative, '/'-separated) that may have changed or gone. */
  changed(rel: string): void
  /** A problem that leaves part of the folder unwatched, said once per kind. */
  problem(message: string): void
  /** Folders not to watch, nor anything below them (ignored: see ignore-rules.ts). */
  skip?(rel: string): boolean
}

interface Watched {
  watcher: FSWatcher
  /** The folder when its watch began: another folder at the same path needs a new watch. */
  stamp: FolderIdentity
}

export class FolderWatcher {
  /** Folders watched, by relative path ('' is the shared folder itself). */
  private readonly watched = new Map<string, Watched>()
  private closed = false
  private readonly problemsSaid = new Set<string>()

  constructor(
    private readonly root: string,
    private readonly hooks: FolderWatcherHooks,
  ) {}

  /** Watches the folder and every folder below it; resolves once all of them are watched. */
  start(): Promise<void> {
    return this.watchTree('')
  }

  /**
   * Watches the folder at `rel` and every folder below it, unless it is watched already as the
   * same folder (`stamp`, when the caller has looked; see provablySameFolder: where that cannot
   * tell, the folder is watched again, which is cheap and never wrong). With `fillGaps`, every
   * folder below is looked at too, and watched unless it is, as itself. Each folder is watched
   * before it is read, so a folder made inside it meanwhile is either read or reported. Folders
   * found on another device than when they were watched (a disk mounted there, or no longer)
   * go into `otherDevice`.
   */
  async watchTree(rel: string, stamp?: FolderIdentity, fillGaps = false, otherDevice?: Set<string>): Promise<void> {
    if (this.closed || (rel && this.hooks.skip?.(rel))) return
    const abs = rel ? path.join(this.root, rel) : this.root
    const known = this.watched.get(rel)
    // Watched, and no reason to doubt it is still the same folder.
    if (known && !stamp && !fillGaps) return
    const now = stamp ?? (await folderIdentityAt(abs))
    if (this.closed || !now) return
    if (!known || !provablySameFolder(known.stamp, now)) {
      // Another folder at this path (a dead watch stays on the old one), or none watched yet.
      if (known && known.stamp.dev !== now.dev) otherDevice?.add(rel)
      if (known) this.unwatchTree(rel)
      if (this.watched.has(rel) || !this.watchOne(rel, abs, now)) return
    } else if (!fillGaps) {
      return
    }
    const entries = await readdir(abs, { withFileTypes: true }).catch(() => [])
    await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => this.watchTree(childPath(rel, e.name), undefined, fillGaps, otherDevice)))
  }

  private watchOne(rel: string, abs: string, stamp: FolderIdentity): boolean {
    let watcher: FSWatcher
    try {
      watcher = watch(abs, (_event, name) => this.onEvent(rel, name))
    } catch (error) {
      this.failed(rel, error as NodeJS.ErrnoException)
      return false
    }
    // The folder went, or its watch broke: its parent's watch reports the path.
    watcher.on('error', () => this.unwatchTree(rel))
    this.watched.set(rel, { watcher, stamp: { dev: stamp.dev, ino: stamp.ino, birthtimeMs: stamp.birthtimeMs } })
    return true
  }

  /** Stops watching the folder at `rel` and everything below it (it went, or is not a folder now). */
  unwatchTree(rel: string): void {
    for (const [key, { watcher }] of this.watched) {
      if (key === rel || rel === '' || key.startsWith(`${rel}/`)) {
        watcher.close()
        this.watched.delete(key)
      }
    }
  }

  /** Stops watching the folders `skip` now names (the ignore rules changed), and all below them. */
  unwatchSkipped(): void {
    for (const rel of [...this.watched.keys()]) if (rel && this.watched.has(rel) && this.hooks.skip?.(rel)) this.unwatchTree(rel)
  }

  /** Whether the folder at `rel` itself is watched. */
  isWatching(rel: string): boolean {
    return this.watched.has(rel)
  }

  /**
   * The outermost watched folder at or above `rel` that is on another device now than when its
   * watch began (a disk mounted there, or no longer), or null.
   */
  deviceChangedAt(rel: string): string | null {
    const folders = [...enclosingFolders(rel), rel]
    for (const folder of folders) {
      const known = this.watched.get(folder)
      if (!known) continue
      try {
        const now = lstatSync(path.join(this.root, folder), { throwIfNoEntry: false })
        if (now?.isDirectory() && now.dev !== known.stamp.dev) return folder
      } catch {
        // Not to be looked at: no sign of a device either way.
      }
    }
    return null
  }

  /** Folders watched now (for tests and diagnostics). */
  get folders(): number {
    return this.watched.size
  }

  close(): void {
    this.closed = true
    this.unwatchTree('')
  }

  private onEvent(dir: string, name: string | null): void {
    if (this.closed) return
    // No name (Node passes none for some events; an overflow of the kernel's queue, though, is
    // not reported at all: see FolderIndex's rescans): look at the whole folder.
    if (!name) return this.hooks.changed(dir)
    // An event on the folder itself (deleted, moved, unmounted) comes with the folder's own name,
    // as if of a child of that name: both are looked at (a child may well have that name).
    if (name === path.basename(dir ? path.join(this.root, dir) : this.root)) this.hooks.changed(dir)
    this.hooks.changed(childPath(dir, name))
  }

  private failed(rel: string, error: NodeJS.ErrnoException): void {
    // Gone before it could be watched, or not ours to read: the index finds out on its own.
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EACCES' || error.code === 'EPERM') return
    const kind = error.code ?? 'unknown'
    if (this.problemsSaid.has(kind)) return
    this.problemsSaid.add(kind)
    const hint = error.code === 'ENOSPC' ? ' (the system limit of watched folders is reached: raise fs.inotify.max_user_watches)' : ''
    this.hooks.problem(`cannot watch ${JSON.stringify(rel || '.')} and possibly other folders: ${error.message}${hint}; changes there are seen only by the rescans of the whole folder`)
  }
}

/** The folder at `abs` as it is now; null when no folder is there. */
async function folderIdentityAt(abs: string): Promise<FolderIdentity | null> {
  const stats = await lstat(abs).catch(() => null)
  return stats?.isDirectory() ? stats : null
}
