// What a peer's mirror folder holds, by path: version, size and mtime as written. Saved
// (batched, as a journal of changes: manifest-file.ts) beside the mirrors so a restart knows what
// is already there; on load, an entry whose file no longer matches on disk is forgotten and fetched again.
import { FileTree } from '../folder/file-tree'
import type { Stats } from 'node:fs'
import { lstat } from 'node:fs/promises'
import path from 'node:path'
import { IndexSaves } from '../folder/index-saves'
import type { NameFold } from '../folder/disk-names'
import type { Observed, PathObserver } from './mirror-tally'
import { ManifestFile, type MirroredFile } from './manifest-file'

export { SAVED_VERSIONS, type MirroredFile, type SavedManifest } from './manifest-file'

/** Saved once changes have stopped for this long... */
export const SAVE_QUIET_MS = 1000
/** ...or once the oldest unsaved change is this old, while changes keep coming. */
export const SAVE_AT_LEAST_EVERY_MS = 5000

/** Whether a file with these stats is as its entry says it was placed (size and mtime). */
export function asPlaced(stats: Stats | null | undefined, entry: Pick<MirroredFile, 'size' | 'mtimeMs'>): boolean {
  return stats?.isFile() === true && stats.size === entry.size && stats.mtimeMs === entry.mtimeMs
}

export class MirrorManifest implements Observed {
  /** Told of every change to an entry, to keep the mirror's figures (mirror-tally.ts). */
  observer: PathObserver | null = null
  /** By relative path; knows what lies below each folder (a folder removed by hand: see repair). */
  readonly files = new FileTree<MirroredFile>()
  /**
   * Paths by content, to find bytes already on disk (renames, copies) without a scan: one path
   * as itself, a Set only for content at several paths (most versions are at one).
   */
  private readonly byVersion = new Map<string, string | Set<string>>()
  /** On a disk that folds names (disk-names.ts): the one path that holds each folded name. */
  private readonly bySlot: Map<string, string> | null
  /** On such a disk: the folders of files recorded since last asked, whose spelling may differ on disk. */
  private foldersPlaced = new Set<string>()
  private saving: Promise<void> = Promise.resolve()
  /** A save failed since the last that worked: flush saves even with nothing new. */
  private failed = false
  private readonly disk: ManifestFile
  /** A save the disk refuses is said once until one works again, and tried again with no change needed (index-saves.ts). */
  private readonly saves = new IndexSaves(
    () => {
      this.saving = this.saves.settle(
        this.saving.then(() => this.save()),
        (why) => this.problem(`cannot save the record of the mirror ${this.folder} in ${this.disk.file}: ${why}. Mirroring goes on; it is saved once the disk takes it`),
        () => this.flushed,
      )
    },
    SAVE_QUIET_MS,
    SAVE_AT_LEAST_EVERY_MS,
  )
  /** Flushed for good (the peer forgotten, the client stopping): a failed save is not tried again. */
  private flushed = false
  /**
   * When the mirror last changed (ms): a file placed or removed, or, after a load, the newest
   * file placed (a mirror's files get their mtime as they are written). Null: never.
   */
  changedAt: number | null = null
  /**
   * Files the saved record placed that load() found changed on disk (edited while no client ran,
   * or a version placed just before a crash), by path, with the version recorded: taken by the repair.
   */
  changedWhileStopped = new Map<string, string>()

  constructor(
    /** The peer's mirror folder. */
    readonly folder: string,
    /** Where it is saved (its journal beside it: manifest-file.ts). */
    file: string,
    /** How the disk under the mirror folds names; null where it tells every name apart. */
    readonly fold: NameFold | null = null,
    /** A save that failed, to say (as `io-error`); never thrown. */
    private readonly problem: (message: string) => void = () => {},
  ) {
    this.bySlot = fold ? new Map() : null
    this.disk = new ManifestFile(file)
    // The paths set or deleted since the last save: what the next one appends.
    this.files.changed = new Set()
  }

  /**
   * The path this mirror holds where `rel` would be on disk: `rel` itself, another spelling of it
   * on a disk that folds names (the two are one file there), or undefined.
   */
  holderOf(rel: string): string | undefined {
    if (!this.bySlot) return this.files.has(rel) ? rel : undefined
    return this.bySlot.get(this.fold!(rel))
  }

  async load(): Promise<void> {
    const saved = await this.disk.load()
    for (const [rel, entry] of saved) {
      const stats = await lstat(path.join(this.folder, ...rel.split('/'))).catch(() => null)
      if (!asPlaced(stats, entry)) {
        if (stats?.isFile()) this.changedWhileStopped.set(rel, entry.version)
        continue
      }
      this.remember(rel, entry)
      this.changedAt = Math.max(this.changedAt ?? 0, Math.round(entry.mtimeMs))
    }
    // The saved entries are on disk already; those forgotten leave it with the next save.
    const changed = this.files.changed!
    changed.clear()
    for (const rel of saved.keys()) if (!this.files.has(rel)) changed.add(rel)
    if (changed.size > 0) this.saves.changed()
  }

  /** Records a file just placed in the mirror, with the mtime it got there. */
  set(rel: string, version: string, size: number, mtimeMs: number): void {
    this.forget(rel)
    this.remember(rel, { version, size, mtimeMs })
    this.changedAt = Date.now()
    this.saves.changed()
  }

  delete(rel: string): void {
    if (!this.forget(rel)) return
    this.changedAt = Date.now()
    this.saves.changed()
  }

  /** The folders of the files recorded since the last call (only on a disk that folds names). */
  takeFoldersPlaced(): Set<string> {
    const folders = this.foldersPlaced
    this.foldersPlaced = new Set()
    return folders
  }

  /** A path in this mirror holding this content, other than `except`. */
  pathWith(version: string, except?: string): string | undefined {
    const paths = this.byVersion.get(version)
    if (typeof paths === 'string') return paths !== except ? paths : undefined
    for (const rel of paths ?? []) if (rel !== except) return rel
    return undefined
  }

  /** Every path in this mirror holding this content. */
  pathsWith(version: string): Iterable<string> {
    const paths = this.byVersion.get(version)
    return paths === undefined ? [] : typeof paths === 'string' ? [paths] : paths
  }

  private remember(rel: string, entry: MirroredFile): void {
    this.observer?.before(rel)
    if (this.bySlot) {
      // One file on disk: the spelling placed last is the one there now.
      const slot = this.fold!(rel)
      const other = this.bySlot.get(slot)
      if (other !== undefined && other !== rel) this.forget(other)
      this.bySlot.set(slot, rel)
      const slash = rel.lastIndexOf('/')
      if (slash !== -1) this.foldersPlaced.add(rel.slice(0, slash))
    }
    this.files.set(rel, entry)
    const paths = this.byVersion.get(entry.version)
    if (paths === undefined || paths === rel) this.byVersion.set(entry.version, rel)
    else if (typeof paths === 'string') this.byVersion.set(entry.version, new Set([paths, rel]))
    else paths.add(rel)
    this.observer?.after(rel)
  }

  private forget(rel: string): boolean {
    const entry = this.files.get(rel)
    if (!entry) return false
    this.observer?.before(rel)
    this.files.delete(rel)
    if (this.bySlot?.get(this.fold!(rel)) === rel) this.bySlot.delete(this.fold!(rel))
    const paths = this.byVersion.get(entry.version)
    if (paths === rel) this.byVersion.delete(entry.version)
    else if (typeof paths === 'object') {
      paths.delete(rel)
      if (paths.size === 1) this.byVersion.set(entry.version, paths.values().next().value!)
    }
    this.observer?.after(rel)
    return true
  }

  /** Saves what is not saved yet (what a failed save held included), and waits for it. */
  async flush(): Promise<void> {
    this.flushed = true
    this.saves.dispose()
    const saved = this.saving.then(() => (this.files.changed!.size > 0 || this.failed ? this.save() : undefined))
    this.saving = saved.catch(() => {})
    await saved
  }

  private async save(): Promise<void> {
    const changes = new Map<string, MirroredFile | null>()
    for (const rel of this.files.changed!) changes.set(rel, this.files.get(rel) ?? null)
    this.files.changed!.clear()
    // A failed save leaves the journal behind it: the next one writes the whole manifest.
    this.failed = true
    await this.disk.save(changes, this.files)
    this.failed = false
  }
}
