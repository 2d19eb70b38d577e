// What a peer's mirror folder holds, by path: version, size and mtime as written. Saved
// (atomically, batched) beside the mirrors so a restart knows what is already there; on load,
// an entry whose file no longer matches on disk is forgotten and fetched again.
import { FileTree } from '../folder/file-tree'
import type { Stats } from 'node:fs'
import { lstat, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { removeLeftoverTemps, writeFileAtomic } from '../folder/atomic-write'
import { IndexSaves } from '../folder/index-saves'
import type { NameFold } from '../folder/disk-names'

export interface MirroredFile {
  version: string
  size: number
  mtimeMs: number
}

/** What the saved versions are (see saved-index.ts). */
export const SAVED_VERSIONS = 'blocks-5'

export interface SavedManifest {
  versions: typeof SAVED_VERSIONS
  files: Record<string, MirroredFile>
}

/** Saved once changes have stopped for this long... */
export const SAVE_QUIET_MS = 1000
/**
 * ...or once the oldest unsaved change is this old, while changes keep coming. Each save writes
 * the whole manifest: a save every second through a 100,000-file sync would serialize ~10 MB a
 * second on the thread that hands out the jobs.
 */
export const SAVE_AT_LEAST_EVERY_MS = 5000

/** Whether a file with these stats is as its entry says it was placed (size and mtime). */
export function asPlaced(stats: Stats | null | undefined, entry: Pick<MirroredFile, 'size' | 'mtimeMs'>): boolean {
  return stats?.isFile() === true && stats.size === entry.size && stats.mtimeMs === entry.mtimeMs
}

export class MirrorManifest {
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
  private readonly saves = new IndexSaves(
    () => {
      this.saving = this.saving.then(() => this.save()).catch(() => {})
    },
    SAVE_QUIET_MS,
    SAVE_AT_LEAST_EVERY_MS,
  )
  /**
   * When the mirror last changed (ms): a file placed or removed, or, after a load, the newest
   * file placed (a mirror's files get their mtime as they are written). Null: never.
   */
  changedAt: number | null = null

  constructor(
    /** The peer's mirror folder. */
    readonly folder: string,
    private readonly file: string,
    /** How the disk under the mirror folds names; null where it tells every name apart. */
    readonly fold: NameFold | null = null,
  ) {
    this.bySlot = fold ? new Map() : null
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
    let saved: Record<string, MirroredFile> = {}
    await removeLeftoverTemps(this.file)
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as Partial<SavedManifest> | null
      // One of SHA-256 versions (before protocol 5) names no version a peer announces now: the
      // files are checked on disk as for a lost manifest.
      if (data?.versions !== SAVED_VERSIONS || typeof data.files !== 'object' || data.files === null) return
      saved = data.files
    } catch {
      return
    }
    for (const [rel, entry] of Object.entries(saved)) {
      const stats = await lstat(path.join(this.folder, ...rel.split('/'))).catch(() => null)
      if (!asPlaced(stats, entry)) continue
      this.remember(rel, entry)
      this.changedAt = Math.max(this.changedAt ?? 0, Math.round(entry.mtimeMs))
    }
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

  private remember(rel: string, entry: MirroredFile): void {
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
  }

  private forget(rel: string): boolean {
    const entry = this.files.get(rel)
    if (!entry) return false
    this.files.delete(rel)
    if (this.bySlot?.get(this.fold!(rel)) === rel) this.bySlot.delete(this.fold!(rel))
    const paths = this.byVersion.get(entry.version)
    if (paths === rel) this.byVersion.delete(entry.version)
    else if (typeof paths === 'object') {
      paths.delete(rel)
      if (paths.size === 1) this.byVersion.set(entry.version, paths.values().next().value!)
    }
    return true
  }

  async flush(): Promise<void> {
    if (this.saves.dispose()) this.saving = this.saving.then(() => this.save())
    await this.saving
  }

  private async save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true })
    await writeFileAtomic(this.file, JSON.stringify({ versions: SAVED_VERSIONS, files: Object.fromEntries(this.files) } satisfies SavedManifest))
  }
}
