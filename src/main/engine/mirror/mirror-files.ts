// What the coordinator does to the files of a mirror itself, not through a worker: removing,
// moving, restoring from the recycler, finding local copies. Every write keeps the version it
// replaces in the mirror history, and never goes through a link planted on the way.
import { constants, lstatSync } from 'node:fs'
import { access, readdir } from 'node:fs/promises'
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { DEFAULT_KEEP_DAYS } from '../../../shared/keep-days'
import { isPartialTemp, isYoungPartial, partialName } from '../blocks/partial-names'
import { lstatOrWhy } from '../folder/lstat-or-why'
import { respellFolders } from './folder-spellings'
import { HandEdits } from './hand-edits'
import { historyRoot } from './history-index'
import { HistoryStore } from './history-store'
import type { FileJob, JobResult, ListEntry, PeerRef } from './jobs'
import { asPlaced, type MirrorManifest } from './mirror-manifest'
import { MirrorWriter, pathInMirror, removeEmptyParents, removeFromMirror, TEMP_PREFIX } from './mirror-path'
import { clearWay, wayIsReal } from './mirror-way'
import { RecentPlacements } from './recent-placements'
import { KEEP_MS, Recycler } from './recycler'

/** One peer's mirror: where it is, and what its manifest says it holds. */
export interface MirrorPlace {
  readonly ref: PeerRef
  readonly manifest: MirrorManifest
}

export interface MirrorFilesOptions {
  /** MIRRORROOT/.dropbox-sync: the history and the recycler live below it. */
  stateDir: string
  keepDays?: number
  historyCapBytes?: number
  onEvent: EventSink
  /** An I/O problem to say (as `io-error`); never thrown. */
  problem: (message: string) => void
  /** Every mirror remembered, for content one of them already holds. */
  mirrors: () => Iterable<MirrorPlace>
}

export class MirrorFiles {
  readonly history: HistoryStore
  readonly handEdits: HandEdits
  private readonly recycler: Recycler
  private readonly writer = new MirrorWriter()
  /** Versions placed in the recycler's window: the other half of a move (see movedJustNow). */
  private readonly placements = new RecentPlacements(KEEP_MS)
  private readonly startedAt = Date.now()

  constructor(private readonly options: MirrorFilesOptions) {
    this.history = new HistoryStore(historyRoot(options.stateDir), {
      keepMs: (options.keepDays ?? DEFAULT_KEEP_DAYS) * 24 * 60 * 60 * 1000,
      capBytes: options.historyCapBytes,
      problem: options.problem,
    })
    this.handEdits = new HandEdits(this.history, path.join(options.stateDir, 'hand-edits'))
    this.recycler = new Recycler(path.join(options.stateDir, 'recently-deleted'), options.problem)
  }

  async start(): Promise<void> {
    await this.recycler.start()
    await this.handEdits.start().catch((error: unknown) => this.options.problem(`emptying ${path.join(this.options.stateDir, 'hand-edits')}: ${String(error)}`))
    await this.history.start().catch((error: unknown) => this.options.problem(`opening the mirror history: ${String(error)}`))
  }

  async stop(): Promise<void> {
    await this.recycler.clear()
    await this.history.stop()
  }

  /** Where a file job's replaced version goes (the worker links it there before the rename). */
  reserveKeep(mirror: MirrorPlace): string | null {
    return this.history.reserve(path.basename(mirror.ref.folder))
  }

  /**
   * A transfer that brought nothing may leave behind the folders made for it (the peer deleted
   * or moved the file meanwhile): a mirror holds no folder the peer's files do not need.
   */
  async removeFoldersMadeFor(mirror: MirrorPlace, rel: string): Promise<void> {
    if (mirror.manifest.files.has(rel)) return
    const where = pathInMirror(mirror.ref.folder, rel)
    if (!('problem' in where)) await removeEmptyParents(where.path, mirror.ref.folder)
  }

  /**
   * A file job that was to keep the version it replaces: kept in the history if it was replaced,
   * unless `manifest` (the mirror's) placed that version at another path just now (a swap of names).
   */
  settleKept(job: FileJob, result: JobResult, manifest?: MirrorManifest): void {
    const replaced = result.kind === 'file' && result.ok && result.outcome !== 'up-to-date'
    if (replaced && job.have && !(manifest && this.movedJustNow(path.basename(job.peer.folder), manifest, job.path, job.have))) {
      this.history.adopt(path.basename(job.peer.folder), job.peer.key, job.path, job.keepAs!, job.have, 'overwritten')
    } else this.history.discard(job.keepAs!)
  }

  /** A version just placed in the mirror: what the history kept of it moments ago (a move's old name, gone first) was no loss. */
  placed(mirror: MirrorPlace, version: string): void {
    const folderName = path.basename(mirror.ref.folder)
    this.placements.record(folderName, version)
    if (this.history.enabled) this.history.dropRecent(folderName, version, Date.now() - KEEP_MS)
  }

  /**
   * A move whose new name reached the mirror first (and whose old name goes now), or two names
   * swapped: the mirror placed this version at another path moments ago, so its bytes stay.
   */
  private movedJustNow(folderName: string, manifest: MirrorManifest, rel: string, version: string): boolean {
    if (!this.placements.recent(folderName, version)) return false
    for (const other of manifest.pathsWith(version)) if (other !== rel) return true
    return false
  }

  /** Moves `source` onto `target` (`rel` in the mirror), keeping the version it replaces. */
  private placeKeeping(mirror: MirrorPlace, rel: string, source: string, target: string): void {
    const old = mirror.manifest.files.get(rel)
    const folderName = path.basename(mirror.ref.folder)
    const keepAs = old && !this.movedJustNow(folderName, mirror.manifest, rel, old.version) ? this.history.reserve(folderName) : null
    try {
      this.writer.place(source, target, mirror.ref.folder, keepAs)
    } catch (error) {
      if (keepAs) this.history.discard(keepAs)
      throw error
    }
    if (keepAs) this.history.adopt(folderName, mirror.ref.key, rel, keepAs, old!.version, 'overwritten')
  }

  /**
   * Removes the peer's deleted `rel` from its mirror. Null once it is gone (or nothing was to go);
   * else why the disk refused: the file stays, in the manifest too, to be removed again later.
   */
  async removeLocal(mirror: MirrorPlace, rel: string): Promise<string | null> {
    const where = pathInMirror(mirror.ref.folder, rel)
    if ('problem' in where) return null
    // On a disk that folds names, the file there is another spelling's now (placed since): it stays.
    const holder = mirror.manifest.holderOf(rel)
    if (holder !== undefined && holder !== rel) return null
    const entry = mirror.manifest.files.get(rel)
    // A folder the disk will not change (read-only, not this user's): nothing is kept or moved.
    const refused = entry ? await folderRefuses(path.dirname(where.path)) : null
    if (refused) return `could not remove ${rel} of ${mirror.ref.key}: ${refused}`
    let kept: string | null = null
    // Never through a link planted on the way (it is removed instead: see mirror-way.ts). Linked
    // into the history at once; held 10 s in the recycler too, in case a move follows.
    if (entry && clearWay(where.path, mirror.ref.folder)) {
      kept = this.history.enabled && !this.movedJustNow(path.basename(mirror.ref.folder), mirror.manifest, rel, entry.version) ? this.history.link(path.basename(mirror.ref.folder), mirror.ref.key, rel, where.path, entry.version, 'deleted') : null
      // Only bytes still as placed are that version: a file changed where no watch saw it (a write
      // through a memory mapping, the peer away) would come back under a move's new name as that version.
      if (entry.size > 0 && isPlacedFile(where.path, entry)) await this.recycler.keep(where.path, entry.version, kept === null ? undefined : `${path.basename(mirror.ref.folder)}/${kept}`)
    }
    try {
      await removeFromMirror(where.path, mirror.ref.folder)
    } catch (error) {
      // A folder standing at the path stays: it may hold what the peer has there now.
      if (!isFolderError(error)) {
        // Not deleted after all: the history does not keep it as a loss.
        if (kept !== null) this.history.drop(path.basename(mirror.ref.folder), kept)
        return `could not remove ${rel} of ${mirror.ref.key}: ${(error as Error).message}`
      }
    }
    const had = mirror.manifest.files.has(rel)
    mirror.manifest.delete(rel)
    if (had) this.options.onEvent({ type: 'file-removed', peer: mirror.ref.key, path: rel })
    return null
  }

  /** On a disk that folds names: the folders of files placed since take the spelling their files give (folder-spellings.ts). */
  respellFolders(mirror: MirrorPlace): void {
    const fold = mirror.manifest.fold
    if (!fold) return
    const folders = mirror.manifest.takeFoldersPlaced()
    if (folders.size === 0) return
    for (const problem of respellFolders(mirror.ref.folder, folders, mirror.manifest.files, fold).failed) this.options.problem(problem)
  }

  async renameLocal(mirror: MirrorPlace, from: string, to: string): Promise<boolean> {
    const source = pathInMirror(mirror.ref.folder, from)
    const target = pathInMirror(mirror.ref.folder, to)
    const entry = mirror.manifest.files.get(from)
    if ('problem' in source || 'problem' in target || !entry) return false
    // Only the file itself, reached through real folders: never one a link planted on the way leads to.
    const stats = clearWay(source.path, mirror.ref.folder) ? lstatOrWhy(source.path) : 'absent'
    if (typeof stats !== 'object' || !stats.isFile()) return false
    try {
      this.placeKeeping(mirror, to, source.path, target.path)
    } catch {
      return false
    }
    // A folder the peer moved or emptied must not stay behind, empty, in the mirror.
    await removeEmptyParents(source.path, mirror.ref.folder)
    mirror.manifest.delete(from)
    mirror.manifest.set(to, entry.version, entry.size, entry.mtimeMs)
    this.placements.record(path.basename(mirror.ref.folder), entry.version)
    this.options.onEvent({ type: 'file-removed', peer: mirror.ref.key, path: from })
    this.options.onEvent({ type: 'file-synced', peer: mirror.ref.key, path: to, bytes: entry.size, transferred: 0, version: entry.version })
    return true
  }

  /** Brings a just-deleted file with this content back under its new name: a move, no transfer. */
  restoreRecycled(mirror: MirrorPlace, rel: string, want: ListEntry, target: string): boolean {
    // A move, not a loss: what the history kept of the deletion goes.
    const tag = this.recycler.tagOf(want.version)
    const held = this.recycler.take(want.version)
    if (!held) return false
    const folderName = path.basename(mirror.ref.folder)
    if (tag?.startsWith(`${folderName}/`)) this.history.drop(folderName, tag.slice(folderName.length + 1))
    let mtimeMs: number
    try {
      this.placeKeeping(mirror, rel, held, target)
      mtimeMs = lstatSync(target).mtimeMs
    } catch {
      return false
    }
    mirror.manifest.set(rel, want.version, want.size, mtimeMs)
    this.placements.record(folderName, want.version)
    this.options.onEvent({ type: 'file-synced', peer: mirror.ref.key, path: rel, bytes: want.size, transferred: 0, version: want.version, ...(want.snapshot ? { snapshot: true } : {}) })
    return true
  }

  /**
   * A file of the announced size already at `target` that the manifest does not know: the job
   * copies it onto itself and checks its hash, and fetches only when that does not match.
   */
  unrecorded(mirror: MirrorPlace, target: string, size: number): string | null {
    const stats = lstatOrWhy(target)
    return typeof stats === 'object' && stats.isFile() && stats.size === size && wayIsReal(target, mirror.ref.folder) ? target : null
  }

  /** A file in any mirror that already holds this content, to copy instead of fetching. */
  localCopyOf(version: string, except: string): string | null {
    for (const mirror of this.options.mirrors()) {
      const rel = mirror.manifest.pathWith(version)
      if (rel === undefined) continue
      const where = pathInMirror(mirror.ref.folder, rel)
      if ('path' in where && where.path !== except && wayIsReal(where.path, mirror.ref.folder)) return where.path
    }
    return null
  }

  /**
   * Files in the mirror folder that neither the peer lists nor we wrote go: temp files a crash
   * left behind (TEMP_PREFIX; a partial kept to resume goes once a day old), or anything else
   * put there by hand. Those put there by hand are linked into the history first: the paths and
   * kept copies are returned, for the repair to weigh and tell (MirrorRepair.straysRemoved).
   */
  async removeStrays(mirror: MirrorPlace, remote: ReadonlyMap<string, ListEntry>): Promise<{ rel: string; kept: string | null }[]> {
    const byHand: { rel: string; kept: string | null }[] = []
    // The partials a pull of the peer's files as listed would resume, by relative path; made once
    // a partial is found (a hash of each name).
    let resumable: Set<string> | null = null
    // On a disk that folds names, a file is the peer's under any spelling of a listed name.
    const fold = mirror.manifest.fold
    let listedFolds: Set<string> | null = null
    const listedAs = (rel: string): boolean => {
      if (!fold) return false
      listedFolds ??= new Set([...remote.keys()].map(fold))
      return listedFolds.has(fold(rel)) || mirror.manifest.holderOf(rel) !== undefined
    }
    const wanted = (rel: string): boolean => {
      resumable ??= new Set([...remote.values()].map((e) => path.posix.join(path.posix.dirname(e.path), partialName(e.path, Buffer.from(e.version, 'hex')))))
      return resumable.has(rel)
    }
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name
        const abs = path.join(dir, entry.name)
        if (entry.isDirectory()) await walk(abs, rel)
        else if (remote.has(rel) || mirror.manifest.files.has(rel) || listedAs(rel)) continue
        // A temp file of this process belongs to a transfer in flight, and a partial younger than
        // a day to one a later try resumes; only a crash's other temp files are strays.
        else if (isPartialTemp(entry.name) ? wanted(rel) && this.tempInUse(entry.name, abs) : entry.name.startsWith(TEMP_PREFIX) && this.tempInUse(entry.name, abs)) continue
        else {
          const kept = entry.isFile() && !entry.name.startsWith(TEMP_PREFIX) ? this.handEdits.link(mirror.ref.folder, abs) : undefined
          await removeFromMirror(abs, mirror.ref.folder)
          if (kept !== undefined) byHand.push({ rel, kept })
        }
      }
    }
    await walk(mirror.ref.folder, '')
    return byHand
  }

  private tempInUse(name: string, abs: string): boolean {
    // Named by this process (mirror-path.ts): a transfer may be writing it. Its time cannot tell,
    // where the disk keeps whole seconds (exFAT, FAT) and dates one made just now before the start.
    if (name.startsWith(`${TEMP_PREFIX}${process.pid}-`)) return true
    const mtimeMs = lstatSync(abs, { throwIfNoEntry: false })?.mtimeMs ?? 0
    return mtimeMs >= this.startedAt || isYoungPartial(name, mtimeMs, Date.now())
  }
}

/** Whether the file at `file` is as the manifest says it was placed. */
function isPlacedFile(file: string, entry: { size: number; mtimeMs: number }): boolean {
  const stats = lstatOrWhy(file)
  return typeof stats === 'object' && asPlaced(stats, entry)
}

/** Why the disk will not let a file in `dir` be removed (read-only, no permission), or null. */
async function folderRefuses(dir: string): Promise<string | null> {
  try {
    await access(dir, constants.W_OK)
    return null
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? (error as Error).message : null
  }
}

/** rm without `recursive` meets a folder at the path. */
function isFolderError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ERR_FS_EISDIR' || code === 'EISDIR' || code === 'ENOTDIR'
}
