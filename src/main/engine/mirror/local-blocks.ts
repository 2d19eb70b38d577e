// The main thread's lookup of blocks by hash across every local file it knows a list of: the
// mirrors' files and the shared folder's (docs/ARCHITECTURE.md, "blocks from other files").
// Lists of files of LOCAL_LIST_MIN_BLOCKS or more are kept on disk by version (the index's own
// store for the shared folder, MIRRORROOT/.dropbox-sync/mirror-blocks for the mirrors); in
// memory only a few hashes of each (blocks/block-sketch.ts). A worker pulling a file asks which
// local files may hold its missing blocks; it reads their lists and checks every block itself.
import { lstatSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { BLOCK_HASH_BYTES } from '../blocks/block-hash'
import { BlockSketch } from '../blocks/block-sketch'
import { BlockStore } from '../blocks/block-store'
import { blockCount, blockSizeFor } from '../blocks/block-plan'
import type { LocalSource } from './jobs'
import { LOCAL_LIST_MIN_BLOCKS } from './local-takes'
import type { MirrorPlace } from './mirror-files'
import { readManifestFile } from './manifest-file'
import { pathInMirror } from './mirror-path'
import { wayIsReal } from './mirror-way'

/** Versions a worker is told about per ask: the best few carry nearly all the blocks. */
export const MAX_SOURCES = 8
/** How often lists no manifest names any more are dropped (memory and disk), besides at start. */
export const TIDY_EVERY_MS = 6 * 60 * 60 * 1000

const FROM_MIRRORS = 0
const FROM_FOLDER = 1

/** The shared folder's index, as the lookup sees it. */
export interface SharedFolderFiles {
  root: string
  /** Where the index keeps its block lists. */
  listDir: string
  list(): Iterable<{ path: string; version: Buffer; size: number }>
  get(rel: string): { version: Buffer; size: number } | undefined
}

export interface LocalBlocksOptions {
  /** MIRRORROOT/.dropbox-sync. */
  stateDir: string
  /** Every mirror remembered (loaded manifests). */
  mirrors: () => Iterable<MirrorPlace>
  /** An I/O problem to say (as `io-error`); never thrown. */
  problem: (message: string) => void
}

export class LocalBlocks {
  private readonly sketch = new BlockSketch()
  readonly mirrorLists: BlockStore
  private folder: SharedFolderFiles | null = null
  /** The shared folder's files with lists, by version. */
  private readonly folderPaths = new Map<string, string>()
  private tidyTimer: NodeJS.Timeout | null = null
  private tidying: Promise<void> = Promise.resolve()

  constructor(private readonly options: LocalBlocksOptions) {
    this.mirrorLists = new BlockStore(path.join(options.stateDir, 'mirror-blocks'))
  }

  /** Versions known. */
  get size(): number {
    return this.sketch.size
  }

  /** Tidies the mirrors' lists (those no manifest names), learns the rest, and tidies again every TIDY_EVERY_MS. */
  async start(): Promise<void> {
    this.tidyTimer = setInterval(() => void this.tidy().catch(() => {}), TIDY_EVERY_MS)
    this.tidyTimer.unref()
    await this.tidy()
    for await (const version of this.mirrorLists.versions()) {
      if (this.sketch.has(version)) continue
      const list = await this.mirrorLists.get(version).catch(() => null)
      if (list) this.sketch.add(version, list.blockSize, list.hashes, FROM_MIRRORS)
    }
  }

  stop(): void {
    if (this.tidyTimer) clearInterval(this.tidyTimer)
    this.tidyTimer = null
  }

  /**
   * Drops the lists of versions no manifest (on disk or loaded) names, nor the shared folder holds:
   * files replaced or removed since. One tidy at a time.
   */
  tidy(): Promise<void> {
    this.tidying = this.tidying.then(async () => {
      const named = await this.versionsOnRecord()
      for (const [version, rel] of this.folderPaths) {
        // Before the folder is attached its files cannot be looked at: kept until they can.
        if (!this.folder || this.folder.get(rel)?.version.toString('hex') === version) named.add(version)
        else this.folderPaths.delete(version)
      }
      for (const version of this.sketch.versionsKnown()) if (!named.has(version)) this.sketch.remove(version)
      await this.mirrorLists.prune((hex) => named.has(hex)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') this.options.problem(`tidying the mirrors' block lists: ${error.message}`)
      })
    })
    return this.tidying
  }

  /** The shared folder's files become sources too: the lists its index kept are learned, in the background. */
  async attachFolder(folder: SharedFolderFiles): Promise<void> {
    this.folder = folder
    const store = new BlockStore(folder.listDir)
    for (const file of [...folder.list()]) {
      if (blockCount(file.size) < LOCAL_LIST_MIN_BLOCKS) continue
      const version = file.version.toString('hex')
      const list = await store.get(version).catch(() => null)
      if (list) this.rememberFolderFile(file.path, version, list.blockSize, list.hashes)
    }
  }

  /** A file of the shared folder the index has just hashed (its list kept by the index). */
  rememberFolderFile(rel: string, version: string, blockSize: number, hashes: Buffer): void {
    if (hashes.length / BLOCK_HASH_BYTES < LOCAL_LIST_MIN_BLOCKS) return
    this.folderPaths.set(version, rel)
    this.sketch.add(version, blockSize, hashes, FROM_FOLDER)
  }

  /** A file a worker has just placed in a mirror, with its list: kept on disk, and learned. */
  async placed(version: string, size: number, list: { blockSize: number; hashes: Uint8Array }): Promise<void> {
    const hashes = Buffer.from(list.hashes.buffer, list.hashes.byteOffset, list.hashes.byteLength)
    try {
      await this.mirrorLists.put(version, size, list.blockSize, hashes)
    } catch (error) {
      // A list that does not make its version is a worker's bug, never the peer's: said, not learned.
      this.options.problem(`keeping the block list of a mirrored file: ${(error as Error).message}`)
      return
    }
    this.sketch.add(version, list.blockSize, hashes, FROM_MIRRORS)
  }

  /** Whether a lookup for a file of `size` could find anything (the worker asks only then). */
  knows(size: number): boolean {
    return blockCount(size) > 1 && this.sketch.knowsBlockSize(blockSizeFor(size))
  }

  /** Local files that may hold some of the wanted blocks (count × 32 bytes), the likeliest first. */
  find(blockSize: number, wanted: Buffer): LocalSource[] {
    const sources: LocalSource[] = []
    for (const { version } of this.sketch.find(blockSize, wanted, MAX_SOURCES)) {
      const source = this.locate(version)
      if (source) sources.push(source)
    }
    return sources
  }

  /** Where a version is on disk now, inside a mirror or the shared folder. */
  private locate(version: string): LocalSource | null {
    const listDir = this.sketch.originOf(version) === FROM_FOLDER && this.folder ? this.folder.listDir : this.mirrorLists.dir
    for (const mirror of this.options.mirrors()) {
      const rel = mirror.manifest.pathWith(version)
      const entry = rel === undefined ? undefined : mirror.manifest.files.get(rel)
      if (rel === undefined || !entry) continue
      const where = pathInMirror(mirror.ref.folder, rel)
      if ('problem' in where || !wayIsReal(where.path, mirror.ref.folder)) continue
      const root = rootIdentity(mirror.ref.folder)
      if (root) return { version, size: entry.size, root: mirror.ref.folder, rel, ...root, listDir }
    }
    const rel = this.folderPaths.get(version)
    if (rel === undefined || !this.folder) return null
    const file = this.folder.get(rel)
    if (!file || file.version.toString('hex') !== version) {
      // Changed or gone since: the index tells of its new version when it hashes it.
      this.folderPaths.delete(version)
      return null
    }
    const root = rootIdentity(this.folder.root)
    return root ? { version, size: file.size, root: this.folder.root, rel, ...root, listDir } : null
  }

  /** Every version a manifest on disk or in memory names: the lists worth keeping. */
  private async versionsOnRecord(): Promise<Set<string>> {
    const named = new Set<string>()
    for (const mirror of this.options.mirrors()) for (const entry of mirror.manifest.files.values()) named.add(entry.version)
    const dir = path.join(this.options.stateDir, 'mirrors')
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue
      // A torn manifest names nothing: its mirror's files are checked again when it loads.
      const saved = await readManifestFile(path.join(dir, name)).catch(() => null)
      for (const entry of saved?.files.values() ?? []) named.add(entry.version)
    }
    return named
  }
}

/** A root's device and inode as it stands (not through a link: a link put in its place is refused by the worker). */
function rootIdentity(root: string): { rootDev: number; rootIno: number } | null {
  const stats = lstatSync(root, { throwIfNoEntry: false })
  return stats?.isDirectory() ? { rootDev: stats.dev, rootIno: stats.ino } : null
}
