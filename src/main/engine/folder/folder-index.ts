// The index of the folder a client shares: every regular file with its SHA-256, size, mtime and
// inode. Kept current by watching the folder; stored (atomically) outside the folder so that a
// restart re-hashes only files whose size, mtime or inode changed.
//
// Symlink policy: links are neither followed nor served; only regular files inside the folder are.
import { EventEmitter } from 'node:events'
import { lstat } from 'node:fs/promises'
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import type { IndexChange } from '../protocol/messages'
import { FileHasher, type IndexedFile } from './file-hashing'
import { FileUpdates, replacedIndex } from './file-updates'
import { IndexSaves } from './index-saves'
import { FileTable } from './file-table'
import { identityOf, provablySameFolder, UNKNOWN_FOLDER } from './folder-identity'
import { FolderLooks } from './folder-looks'
import { holdsAShareableFile, type WalkRules } from './folder-walk'
import { FolderWatcher } from './folder-watcher'
import { IgnoreFile } from './ignore-file'
import { IGNORE_FILE } from './ignore-rules'
import { InsideFolder } from './open-inside'
import { DirtyBatch } from './dirty-batch'
import { FolderScan } from './folder-scan'
import { foldsNames } from './disk-names'
import { PathBatches } from './path-batches'
import { RootPresence } from './root-presence'
import { IndexOnDisk } from './index-on-disk'
import { loadSavedIndex, worthSavingAfterOpen } from './saved-index'
import { UnmountedFolders } from './unmounted-folders'
import { UnshareablePaths } from './unshareable-paths'
import { DEFAULT_RESCAN_EVERY_MS } from '../defaults'
import { loadBlockHash } from '../blocks/block-hash'
import type { IndexedVersion } from './block-lists'
import type { BlockList } from '../blocks/block-store'
import { ServedVersions } from './served-versions'

export type { IndexedFile } from './file-hashing'
export { MAX_UNSHAREABLE_REPORTED } from './unshareable-paths'

export interface FolderIndexOptions {
  /** See DEFAULT_RESCAN_EVERY_MS. */
  rescanEveryMs?: number
  /**
   * How long a file still growing is waited for before it is announced as a snapshot, and a
   * `.syncignore` still changing before it is taken as it is: SNAPSHOT_AFTER_MS (tests shorten it).
   */
  snapshotAfterMs?: number
  /** A file's block list the index keeps on disk (one of STORED_MIN_BLOCKS or more), just hashed. */
  onKeptList?: (file: IndexedVersion, list: BlockList) => void
}

/**
 * `look`: a look at the whole folder starts (true) or ends; `hashing`: a file larger than one
 * piece is being hashed (path, bytes so far, size), until `hashed`.
 */
export type FolderIndexEvents = {
  changes: [IndexChange[]]
  missing: []
  restored: []
  look: [boolean]
  /** The `.syncignore` problem standing (ignoreProblem) changed. */
  ignore: []
  hashing: [string, number, number]
  hashed: [string]
}

export class FolderIndex extends EventEmitter<FolderIndexEvents> {
  private files = new FileTable<IndexedFile>()
  private watcher: FolderWatcher | null = null
  /** What the watcher reports, handed on in batches (see settle). */
  private readonly batches = new PathBatches(
    (paths) => this.settle(paths),
    () => this.rescan(),
  )
  /** When a path's entry changes, and to what (file-updates.ts). */
  private readonly updates: FileUpdates
  private readonly saves = new IndexSaves(() => this.queueSave())
  /** The index as saved between runs (index-on-disk.ts). */
  private readonly disk: IndexOnDisk
  private work: Promise<void> = Promise.resolve()
  private readonly unshareable: UnshareablePaths
  private closed = false
  /** Resolves when close() begins: a wait for the watcher cannot outlive the index. */
  private readonly closing: Promise<void>
  private markClosing: () => void = () => {}
  /** Whether the shared folder is there, and which folder it is. */
  private readonly presence: RootPresence
  /** Folders inside the shared one that may be the mount point of a disk no longer mounted. */
  private readonly unmounted: UnmountedFolders
  /** How the walks of the folder look, and what they tell this index. */
  private readonly walkRules: WalkRules
  /** `.syncignore` and the defaults: what is neither indexed, watched nor served. */
  private readonly ignoreFile: IgnoreFile
  /** Looks at the whole folder: under way, what they left out, the periodic rescan. */
  private readonly looks = new FolderLooks((looking) => this.emit('look', looking))
  /** Every look and open inside the folder: none follows a link (the folder server's opens too). */
  readonly inside: InsideFolder
  /** What the folder server asks of the index, and tells it back (served-versions.ts). */
  readonly served: ServedVersions
  /** Weighs each batch of reported paths against the disk (dirty-batch.ts). */
  private readonly batch: DirtyBatch
  /** Builds the table anew from a look at the whole folder (folder-scan.ts). */
  private readonly scanner: FolderScan

  constructor(
    readonly root: string,
    private readonly statePath: string,
    private readonly onEvent: EventSink,
    private readonly options: FolderIndexOptions = {},
  ) {
    super()
    this.closing = new Promise((resolve) => (this.markClosing = resolve))
    this.presence = new RootPresence(root, onEvent, {
      queue: (job, failed) => (this.work = this.work.then(job).catch(failed)),
      isClosed: () => this.closed,
      holdsAShareableFile: () => holdsAShareableFile(this.walkRules, this.root),
      stopWatching: () => {
        const watcher = this.watcher
        this.watcher = null
        watcher?.close()
      },
      reindex: () => this.reindex(),
      missing: () => this.emit('missing'),
    })
    this.inside = new InsideFolder(root, () => this.presence.identity)
    this.disk = new IndexOnDisk(statePath, root)
    this.ignoreFile = new IgnoreFile(root, onEvent, () => this.markDirty(IGNORE_FILE), options.snapshotAfterMs)
    this.ignoreFile.onProblem = () => this.emit('ignore')
    this.unshareable = new UnshareablePaths(root, onEvent)
    this.unmounted = new UnmountedFolders(root, onEvent)
    this.served = new ServedVersions(
      {
        inside: this.inside,
        file: (rel) => this.files.get(rel),
        racy: (rel) => this.updates.racy.has(rel),
        distrust: (rel) => this.updates.distrust(rel),
        lookAgain: (rel) => this.markDirty(rel),
        problem: (message) => this.onEvent({ type: 'error', code: 'io-error', message }),
      },
      `${statePath.replace(/\.json$/, '')}-blocks`,
      options.onKeptList,
    )
    this.updates = new FileUpdates(
      {
        files: () => this.files,
        onEvent,
        lookAgain: (rel) => this.markDirty(rel),
        unreadable: (rel) => this.unshareable.report(rel, 'it cannot be read now'),
        touched: () => this.saves.changed(),
      },
      (racy) =>
        new FileHasher(
          this.inside,
          racy,
          {
            hashing: (rel, bytes, total) => this.emit('hashing', rel, bytes, total),
            hashed: (rel) => this.emit('hashed', rel),
          },
          (file, blockSize, hashes) => this.served.blockLists.remember(file, blockSize, hashes),
          this.served.recent,
        ),
      options.snapshotAfterMs,
    )
    this.walkRules = {
      inside: this.inside,
      ignores: (rel, isFolder) => this.ignoreFile.ignores(rel, isFolder),
      ignored: () => this.looks.ignoredOne(),
      unshareable: (rel, problem) => this.unshareable.report(rel, problem),
    }
    this.scanner = new FolderScan({ root, walkRules: this.walkRules, updates: this.updates, unmounted: this.unmounted, looks: this.looks })
    this.batch = new DirtyBatch({
      root,
      inside: this.inside,
      files: () => this.files,
      watcher: () => this.watcher,
      ignoreFile: this.ignoreFile,
      updates: this.updates,
      unmounted: this.unmounted,
      unshareable: this.unshareable,
      walkRules: this.walkRules,
      presence: this.presence,
      announce: (changes) => this.announce(changes),
      walking: (whole) => (whole === 'begins' ? this.looks.walkBegins() : this.looks.walkDone()),
    })
  }

  /** Files hashed since this index was created: a restart should hash only what changed. */
  get hashed(): number {
    return this.updates.hasher.hashed
  }

  /**
   * Files and folders the ignore rules left out in the last look at the whole folder (at open, a
   * rescan, a change of the rules); an ignored folder counts once, as it is not looked into.
   */
  get ignored(): number {
    return this.looks.ignored
  }

  /** Whether a look at the whole folder is under way (at open, a rescan, the rules changed, the folder back). */
  get scanning(): boolean {
    return this.looks.scanning
  }

  /** Whether the ignore rules leave `relPath` out (a path a peer names is taken for a file's). */
  ignores(relPath: string, isFolder = false): boolean {
    return this.ignoreFile.ignores(relPath, isFolder)
  }

  get size(): number {
    return this.files.size
  }

  /** The indexed files' bytes, kept as they change. */
  get bytes(): number {
    return this.files.bytes
  }

  get(relPath: string): IndexedFile | undefined {
    return this.files.get(relPath)
  }

  list(): IndexedFile[] {
    return [...this.files.values()]
  }

  /** What is wrong with `.syncignore` now (as said in ignore-file-invalid or ignore-lines-skipped), or null. */
  get ignoreProblem(): string | null {
    return this.ignoreFile.problem
  }

  /** True while the shared folder is gone (see RootPresence.lost): its files cannot be read. */
  get missing(): boolean {
    return this.presence.missing
  }

  /** Resolves once the folder is there (at once when it is), or when the index closes. */
  async whenPresent(): Promise<void> {
    if (!this.missing) return
    await Promise.race([new Promise<void>((resolve) => this.once('restored', resolve)), this.closing])
  }

  /** Scans the folder, reusing saved hashes of unchanged files, then starts watching it. */
  async open(): Promise<void> {
    await loadBlockHash()
    const stats = await lstat(this.root)
    this.presence.identity = identityOf(stats)
    this.inside.foldsNames = foldsNames(this.root, path.dirname(this.statePath), stats.dev)
    await this.ignoreFile.load()
    await this.disk.removeLeftovers()
    const { files: saved, folder, journal } = await loadSavedIndex(this.statePath, this.root, this.onEvent)
    this.disk.loaded(journal)
    if (saved.size > 0 && !(folder && provablySameFolder(folder, stats)) && !(await holdsAShareableFile(this.walkRules, this.root))) {
      // Not the folder shared last time, and no file in it: the mount point of a disk not mounted
      // yet, or a folder made anew in its place. Taking it would delete every file at the peers.
      this.presence.identity = folder ?? UNKNOWN_FOLDER
      this.files = saved
      await this.presence.lost(`${this.root} holds no file to share and is not the folder shared last time (is its disk mounted?)`)
      this.startPeriodicLooks()
      return
    }
    // Watching starts first: a file made during the scan is then seen by one or the other, and
    // the watcher's re-checks queue behind the scan.
    await this.startWatching()
    // `.syncignore` changed since it was read above, before any watch could say so: the scan
    // below goes by the rules as they are now (one still being written is waited for as usual).
    if (await this.ignoreFile.changed()) this.watcher?.unwatchSkipped()
    this.work = this.work.then(async () => {
      this.files = await this.scanner.scan(saved)
    })
    await this.work
    // A restart that found nothing changed has nothing to save (about 1 MB per 10,000 files), and
    // an empty folder never indexed nothing worth a fsync (10–30 ms before a fresh client may
    // listen; saved later instead, during its first transfers, it slowed a 1 GiB one).
    if (worthSavingAfterOpen(saved, folder, this.files, this.presence.identity)) await this.save()
    // What is on disk is this index: the journal goes on from there.
    else this.disk.follow(this.files, this.presence.identity)
    this.startPeriodicLooks()
    // Lists of versions gone while the client was not running; in the background.
    this.served.blockLists.prune(new Set([...this.files.values()].map((f) => f.version.toString('hex')))).catch(() => {})
  }

  /** Looks at the whole folder again now: what changed unseen is announced, nothing else. */
  rescan(): void {
    if (!this.closed) this.markDirty('')
  }

  /** The folder itself once a second (see RootPresence), and all of it every DEFAULT_RESCAN_EVERY_MS. */
  private startPeriodicLooks(): void {
    this.looks.rescanEvery(this.options.rescanEveryMs ?? DEFAULT_RESCAN_EVERY_MS, () => this.rescan())
    this.presence.startChecking()
  }

  async close(): Promise<void> {
    this.closed = true
    this.markClosing()
    this.batches.close()
    this.presence.stop()
    this.looks.dispose()
    this.ignoreFile.dispose()
    this.updates.close()
    this.watcher?.close()
    await this.work
    // Work under way when close() began may have started a watcher, or a racy timer, of its own.
    this.watcher?.close()
    this.updates.close()
    this.watcher = null
    if (this.saves.dispose()) await this.save()
  }

  private async startWatching(): Promise<void> {
    const watcher = new FolderWatcher(this.root, {
      changed: (rel) => this.markDirty(rel),
      problem: (message) => this.onEvent({ type: 'error', code: 'watch-failed', message: `watching ${this.root}: ${message}` }),
      skip: (rel) => this.ignoreFile.ignores(rel, true),
    })
    this.watcher = watcher
    // Closing the index meanwhile closes the watcher, which ends the wait too.
    await watcher.start()
  }

  private markDirty(rel: string): void {
    this.batches.add(rel)
  }

  /** A batch of paths the watcher reported (or a rescan, or a re-check) is looked at in turn. */
  private settle(paths: string[]): void {
    // The whole folder (a rescan, or the rules changed) is a look at it, which the app shows.
    const whole = paths.includes('') || paths.includes(IGNORE_FILE)
    this.work = this.work.then(() => (whole ? this.looks.run(() => this.applyDirty(paths)) : this.applyDirty(paths))).catch((error) => {
      this.onEvent({ type: 'error', code: 'index-failed', message: `indexing ${this.root}: ${String(error)}` })
    })
  }

  private async applyDirty(paths: string[]): Promise<void> {
    if (this.closed || this.missing) return
    // Files that seem gone because the whole folder went (moved, deleted, unmounted) are not
    // deletions to pass on: peers would empty their mirrors of it.
    if (!(await this.presence.isThere())) return this.presence.lost()
    // The rules changed: the whole folder is looked at again under them (and a rescan re-reads them).
    // A file still being written is waited for (ignore-file.ts), and then reported here again.
    if ((paths.includes(IGNORE_FILE) || paths.includes('')) && (await this.ignoreFile.changed())) {
      this.watcher?.unwatchSkipped()
      if (!paths.includes('')) paths.push('')
    }
    await this.batch.apply(paths)
  }

  private announce(changes: IndexChange[]): void {
    if (changes.length === 0) return
    this.emit('changes', changes)
    this.saves.changed()
  }

  /**
   * The folder is back (or a new one stands at its path): as at open, watch, then scan; what the
   * watcher reports meanwhile is re-checked after. The new index is taken in once RootPresence
   * knows the folder is still there.
   */
  private async reindex(): Promise<() => void> {
    await this.ignoreFile.load()
    await this.startWatching()
    const next = await this.scanner.scan(this.files)
    return () => this.takeBack(next)
  }

  /** The folder back and still there: its new index replaces the last one, and peers hear of it. */
  private takeBack(next: FileTable<IndexedFile>): void {
    // Every file is announced, changed or not: a peer that asked for one while the folder was
    // away was refused it, and only a new announcement makes it ask again. Peers that already
    // hold a version skip it without a transfer.
    const changes = replacedIndex(this.files, next)
    this.files = next
    this.onEvent({ type: 'folder-restored', folder: this.root })
    this.announce(changes)
    this.emit('restored')
  }

  /** A save that fails is said once until one works again, and tried again with no change needed (index-saves.ts). */
  private queueSave(): void {
    this.work = this.saves.settle(
      this.work.then(() => this.save()),
      (why) => this.onEvent({ type: 'error', code: 'index-save-failed', message: `cannot save the index of ${this.root} in ${this.statePath}: ${why}. Sharing goes on; it is saved once the disk takes it` }),
      () => this.closed,
    )
  }

  private async save(): Promise<void> {
    await this.disk.save(this.files, this.presence.identity, (rel) => this.updates.racy.has(rel))
  }
}

