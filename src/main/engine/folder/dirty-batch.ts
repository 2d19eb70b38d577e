// One batch of paths the watcher reported (or a rescan, or a re-check), weighed against the disk:
// files hashed or dropped, folders walked, and what the index held where a folder went; the
// changes go to peers early where no deletion can come of them. The index owns the state; this
// is the one pass over a batch.
import path from 'node:path'
import { relativePathProblem } from '../../../shared/paths'
import type { IndexChange } from '../protocol/messages'
import { Breather } from '../util/breather'
import { AnnounceSoon } from './announce-soon'
import type { IndexedFile } from './file-hashing'
import { enclosingFolders, type FileTable } from './file-table'
import type { FileUpdates } from './file-updates'
import { walkFolder, type WalkRules } from './folder-walk'
import type { FolderWatcher } from './folder-watcher'
import { pathsGone } from './gone-paths'
import type { IgnoreFile } from './ignore-file'
import type { InsideFolder } from './open-inside'
import type { RootPresence } from './root-presence'
import type { UnmountedFolders } from './unmounted-folders'
import type { UnshareablePaths } from './unshareable-paths'

export interface DirtyBatchDeps {
  root: string
  inside: InsideFolder
  files: () => FileTable<IndexedFile>
  watcher: () => FolderWatcher | null
  ignoreFile: IgnoreFile
  updates: FileUpdates
  unmounted: UnmountedFolders
  unshareable: UnshareablePaths
  walkRules: WalkRules
  presence: RootPresence
  announce: (changes: IndexChange[]) => void
  /** A walk of the whole folder begins or is done (the index counts what it ignored). */
  walking: (whole: 'begins' | 'done') => void
}

export class DirtyBatch {
  constructor(private readonly deps: DirtyBatchDeps) {}

  async apply(paths: string[]): Promise<void> {
    const changes: IndexChange[] = []
    // New versions go early only where nothing is indexed at, below or above any path of the
    // batch: then no deletion can come of it (a folder moved in beside where it was is a move).
    const indexed = this.deps.files()
    const soon = new AnnounceSoon(!paths.every((rel) => rel !== '' && !indexed.has(rel) && indexed.filesBelow(rel) === 0 && enclosingFolders(rel).every((folder) => !indexed.has(folder))))
    const removed = new Map<string, IndexedFile>()
    const breather = new Breather()
    /** Paths that are no folder now (gone, or a file or a link): nothing indexed below them stays. */
    const gone = new Set<string>()
    /** Folders read again, and the files found in them: what else the index held below them goes. */
    const walked = new Set<string>()
    const found = new Set<string>()
    /** Folders that could not be read, or a file in them looked at: they prove nothing gone. */
    const unread = new Set<string>()
    for (const rel of paths) {
      await breather.breathe()
      const stats = this.deps.inside.spelledAsOnDisk(rel) ? this.deps.inside.lstat(rel) : 'absent'
      // Not to be looked at now (no permission to look, an I/O error): nothing is known to change.
      if (stats === 'unreadable') continue
      if (rel && stats !== 'absent' && this.deps.ignoreFile.ignores(rel, stats.isDirectory())) {
        // Not shared (nor watched): whatever the index held there goes.
        this.deps.watcher()?.unwatchTree(rel)
        if (this.deps.files().filesBelow(rel) > 0) gone.add(rel)
        await this.deps.updates.update(rel, null, changes, removed)
        continue
      }
      if (stats !== 'absent' && stats.isDirectory()) {
        // A folder appeared, was renamed in, or another took its place: watch it first (what is
        // made in it meanwhile is then reported), then index what is inside it. The whole folder
        // (a rescan) also watches any folder below that is not watched yet.
        // A file of that name before is gone: its entry would be asked for in vain until a restart.
        if (this.deps.files().has(rel)) await this.deps.updates.update(rel, null, changes, removed)
        const otherDevice = new Set<string>()
        await this.deps.watcher()?.watchTree(rel, stats, rel === '', otherDevice)
        if (rel === '') this.deps.walking('begins')
        for await (const [inner, innerStats] of walkFolder(this.deps.walkRules, path.join(this.deps.root, rel), rel, unread)) {
          found.add(inner)
          await this.deps.updates.update(inner, innerStats, changes, removed)
          this.deps.announce(soon.take(changes))
        }
        if (rel === '') this.deps.walking('done')
        walked.add(rel)
        for (const folder of otherDevice) if (this.deps.files().filesBelow(folder) > 0) this.deps.unmounted.hold(folder)
        this.deps.unmounted.afterWalk(rel, found, unread)
        continue
      }
      // The shared folder itself not a folder: isThere said otherwise a moment ago, and the
      // next look settles it; taking it as "everything deleted" would empty every mirror.
      if (!rel) continue
      const isFile = stats !== 'absent' && stats.isFile()
      if (isFile) {
        const problem = relativePathProblem(rel)
        if (problem) this.deps.unshareable.report(rel, problem)
      } else if (stats === 'absent' && rel.includes('\uFFFD')) {
        // Node reads a name that is not UTF-8 with U+FFFD in it, and then cannot find it.
        this.deps.unshareable.report(rel, 'the name is not valid UTF-8')
      }
      // A folder that may have been one (a file now only if it was watched as a folder).
      if (!isFile || this.deps.watcher()?.isWatching(rel)) this.deps.watcher()?.unwatchTree(rel)
      if (this.deps.files().filesBelow(rel) > 0) {
        // Gone because a disk was unmounted at or above it: held, as UnmountedFolders.afterWalk says.
        const unmountedAt = this.deps.watcher()?.deviceChangedAt(rel) ?? null
        if (unmountedAt !== null) {
          if (this.deps.files().filesBelow(unmountedAt) > 0) this.deps.unmounted.hold(unmountedAt)
          unread.add(unmountedAt)
        } else {
          gone.add(rel)
        }
      }
      // An indexed file gone with the disk it was on (a recheck names a file, not its folder):
      // held with that disk's folder, not deleted.
      if (stats === 'absent' && this.deps.files().get(rel) && (this.deps.unmounted.holdsPath(rel) || this.deps.watcher()?.deviceChangedAt(rel) != null)) continue
      if (stats === 'absent') this.deps.unmounted.forget(rel)
      if (stats === 'absent' && !rel.includes('\uFFFD')) this.deps.unshareable.forget(rel)
      // A file here: an entry for a file where a folder of its path now stands is stale.
      if (isFile) for (const folder of enclosingFolders(rel)) if (this.deps.files().has(folder)) await this.deps.updates.update(folder, null, changes, removed)
      await this.deps.updates.update(rel, isFile ? stats : null, changes, removed)
      this.deps.announce(soon.take(changes))
      // Seen here: a walk in this batch that missed it (made meanwhile) does not take it for gone.
      if (isFile) found.add(rel)
    }
    for (const folder of unread) if (this.deps.unmounted.has(folder)) this.deps.unmounted.afterWalk(folder, found, unread)
    // What the index held where a folder went, or below a folder read again and not found there.
    for await (const rel of pathsGone(this.deps.files(), { gone, walked, found, unread })) await this.deps.updates.update(rel, null, changes, removed)
    // The folder may have gone while these were looked at: then they say nothing yet, and go
    // back in the index, so that the scan when the folder is back weighs them against the disk.
    if (removed.size && !(await this.deps.presence.isThere())) {
      for (const [rel, file] of removed) this.deps.files().set(rel, file)
      return this.deps.presence.lost()
    }
    this.deps.announce(changes)
  }
}
