// Watches one peer's mirror folder for changes made to it by hand (a file edited, deleted or
// moved away, a folder removed): the coordinator weighs each path it names against the
// manifest and fetches again what no longer matches, so the mirror stays exact while the client
// runs, not only after its next start. Our own writes raise events too; they match the manifest
// and cost one lstat each: the one here, which the repair compares with the manifest.
// Temp files of transfers in flight are not looked at.
import type { Stats } from 'node:fs'
import path from 'node:path'
import { DEFAULT_RESCAN_EVERY_MS } from '../defaults'
import { Breather } from '../util/breather'
import { FolderWatcher } from '../folder/folder-watcher'
import { lstatOrWhy } from '../folder/lstat-or-why'
import { TEMP_PREFIX } from './mirror-path'

/** Events are gathered this long: a folder removed by hand is one look, not one per file. */
const SETTLE_MS = 50

export interface MirrorGuardHooks {
  /**
   * Paths (files or folders, relative; '' is the whole mirror) that may no longer hold what the
   * manifest says. `unwatched` are folders watched only now: anything below them may have changed
   * unseen before (a file deleted in a folder just made), so all of it is to be looked at.
   * `looked`: what each path that is no folder was found to be as the batch was looked at; a
   * change since raises an event of its own, so the next batch looks again.
   */
  suspect(paths: string[], unwatched: string[], looked: Map<string, Stats | 'absent' | 'unreadable'>): void
  problem(message: string): void
}

export interface MirrorGuardOptions {
  /**
   * How often the whole mirror is suspected, for what no watch reports (as for the shared folder:
   * a write through a memory mapping, a dropped event). Each file costs one lstat.
   */
  rescanEveryMs?: number
}

export class MirrorGuard {
  private readonly watcher: FolderWatcher
  private readonly dirty = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private recheck: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly folder: string,
    private readonly hooks: MirrorGuardHooks,
    private readonly options: MirrorGuardOptions = {},
  ) {
    this.watcher = new FolderWatcher(folder, { changed: (rel) => this.changed(rel), problem: hooks.problem })
  }

  /** Watches the mirror, then has all of it looked at once: what changed while it was not watched. */
  async start(): Promise<void> {
    await this.watcher.start()
    if (this.closed) return
    this.changed('')
    this.recheck = setInterval(() => this.changed(''), this.options.rescanEveryMs ?? DEFAULT_RESCAN_EVERY_MS)
    this.recheck.unref()
  }

  /** Looks at the whole mirror now, as the periodic look does (`ctl rescan`). */
  lookNow(): void {
    if (this.recheck) this.changed('')
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    if (this.recheck) clearInterval(this.recheck)
    this.watcher.close()
  }

  private changed(rel: string): void {
    if (this.closed || path.posix.basename(rel).startsWith(TEMP_PREFIX)) return
    this.dirty.add(rel)
    this.timer ??= setTimeout(() => void this.settle().catch((error) => this.hooks.problem(String(error))), SETTLE_MS)
  }

  private async settle(): Promise<void> {
    this.timer = null
    const paths = [...this.dirty]
    this.dirty.clear()
    const unwatched: string[] = []
    const looked = new Map<string, Stats | 'absent' | 'unreadable'>()
    const breather = new Breather()
    // A folder made (by a transfer, or moved in) is watched from now on; one gone drops its watches.
    for (const rel of paths) {
      await breather.breathe()
      // Synchronous: a trip through the thread pool per path cost more than the look itself.
      const stats = lstatOrWhy(path.join(this.folder, rel))
      const isFolder = typeof stats === 'object' && stats.isDirectory()
      if (!isFolder) looked.set(rel, stats)
      if (this.closed) return
      const watched = this.watcher.isWatching(rel)
      // The whole mirror: every folder is looked at too, and watched unless it is.
      if (isFolder) await this.watcher.watchTree(rel, undefined, rel === '')
      else if (watched) this.watcher.unwatchTree(rel)
      if (!watched && this.watcher.isWatching(rel)) unwatched.push(rel)
    }
    this.hooks.suspect(paths, unwatched, looked)
  }
}
