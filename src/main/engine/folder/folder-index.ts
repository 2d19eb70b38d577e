// The index of the folder a client shares: every regular file with its SHA-256, size, mtime and
// inode. Kept current by watching the folder; stored (atomically) outside the folder so that a
// restart re-hashes only files whose size, mtime or inode changed.
//
// Symlink policy: links are neither followed nor served; only regular files inside the folder are.
import { EventEmitter } from 'node:events'
import { closeSync, type Dirent, type Stats } from 'node:fs'
import { lstat, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { relativePathProblem } from '../../../shared/paths'
import type { IndexChange } from '../protocol/messages'
import { writeFileAtomic } from './atomic-write'
import { childPath, enclosingFolders, FileTable } from './file-table'
import { provablySameFolder, type FolderIdentity } from './folder-identity'
import { FolderWatcher } from './folder-watcher'
import { hashFile } from './hash'
import { IGNORE_FILE, IgnoreFile } from './ignore-rules'
import { GONE_CODES, lstatOrWhy } from './lstat-or-why'
import { InsideFolder } from './open-inside'
import { RacyFiles } from './racy-files'
import { readSavedIndex, UNTRUSTED_MTIME, type SavedIndex } from './saved-index'
import { Breather } from '../util/breather'
import { DEFAULT_RESCAN_EVERY_MS } from '../defaults'

export interface IndexedFile {
  path: string
  version: Buffer
  size: number
  mtimeMs: number
  ino: number
}

/** Changes seen by the watcher are gathered this long before they are re-checked and announced. */
const SETTLE_MS = 10
const SAVE_DELAY_MS = 500
/** How often to look whether the shared folder is still there, and while it is gone, whether it is back. */
const ROOT_POLL_MS = 1000

/** A file that kept changing while hashed is hashed again this long after. */
const UNSTABLE_AGAIN_MS = 1000

/**
 * Paths that cannot be shared are reported once each, and remembered until they are gone: past
 * this many remembered, the rest are not reported one by one (said once), so the set stays bounded.
 */
export const MAX_UNSHAREABLE_REPORTED = 1000

/** Paths reported within one settle window that make a burst (see settle), and the calm after it. */
const BURST_PATHS = 1000
const BURST_RESCAN_AFTER_MS = 2000

export interface FolderIndexOptions {
  /** See DEFAULT_RESCAN_EVERY_MS. */
  rescanEveryMs?: number
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
  hashing: [string, number, number]
  hashed: [string]
}

export class FolderIndex extends EventEmitter<FolderIndexEvents> {
  private files = new FileTable<IndexedFile>()
  private watcher: FolderWatcher | null = null
  private readonly dirty = new Set<string>()
  /** Paths whose content is known to differ from their entry, whatever their stats say. */
  private readonly distrusted = new Set<string>()
  /** See racy-files.ts: hashed again once their write's clock tick is over. */
  private readonly racy = new RacyFiles((rel) => this.distrust(rel))
  private settleTimer: NodeJS.Timeout | null = null
  private saveTimer: NodeJS.Timeout | null = null
  private work: Promise<void> = Promise.resolve()
  /** See MAX_UNSHAREABLE_REPORTED. */
  private readonly reportedUnshareable = new Set<string>()
  private unreportedSaid = false
  private closed = false
  /** Which folder the shared folder is (see sameFolder); its device tells a bare mount point apart. */
  private rootIdentity: FolderIdentity = { dev: 0, ino: 0, birthtimeMs: 0 }
  /** Resolves when close() begins: a wait for the watcher cannot outlive the index. */
  private readonly closing: Promise<void>
  private markClosing: () => void = () => {}
  /** Set while the shared folder is gone: its last index stands, and nothing is deleted. */
  private rootPoll: NodeJS.Timeout | null = null
  /**
   * The watcher says nothing when the shared folder itself is moved away or made anew (its
   * watch stays on the old folder): the folder is looked at this often, to know.
   */
  private rootCheck: NodeJS.Timeout | null = null
  private rescanTimer: NodeJS.Timeout | null = null
  private burstRescan: NodeJS.Timeout | null = null
  /**
   * Folders inside the shared one that were found on another device than before and empty, with
   * files indexed below them: the mount point of a disk no longer mounted, as for the shared folder
   * itself (see rootCandidate). Their files are not taken for deleted until they hold a file
   * again. Only while running: the index does not record where each folder's device changes.
   */
  private readonly unmounted = new Set<string>()
  private readonly unmountedSaid = new Set<string>()
  /** Files hashed since this index was created: a restart should hash only what changed. */
  hashed = 0
  /** `.syncignore` and the defaults: what is neither indexed, watched nor served. */
  private readonly ignoreFile: IgnoreFile
  /** Paths the rules left out in the last look at the whole folder (see `ignored`), and in this one. */
  private ignoredInLastLook = 0
  private ignoredInThisLook = 0
  /** Looks at the whole folder under way (see `scanning`). */
  private looks = 0
  /** Every look and open inside the folder: none follows a link (the folder server's opens too). */
  readonly inside: InsideFolder

  constructor(
    readonly root: string,
    private readonly statePath: string,
    private readonly onEvent: EventSink,
    private readonly options: FolderIndexOptions = {},
  ) {
    super()
    this.closing = new Promise((resolve) => (this.markClosing = resolve))
    this.inside = new InsideFolder(root, () => this.rootIdentity)
    this.ignoreFile = new IgnoreFile(root, onEvent)
  }

  /**
   * Files and folders the ignore rules left out in the last look at the whole folder (at open, a
   * rescan, a change of the rules); an ignored folder counts once, as it is not looked into.
   */
  get ignored(): number {
    return this.ignoredInLastLook
  }

  /** Whether a look at the whole folder is under way (at open, a rescan, the rules changed, the folder back). */
  get scanning(): boolean {
    return this.looks > 0
  }

  /** Whether the ignore rules leave `relPath` out (a path a peer names is taken for a file's). */
  ignores(relPath: string, isFolder = false): boolean {
    return this.ignoreFile.ignores(relPath, isFolder)
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

  /** True while the shared folder is gone (see lostRoot): its files cannot be read. */
  get missing(): boolean {
    return this.rootPoll !== null
  }

  /** Resolves once the folder is there (at once when it is), or when the index closes. */
  async whenPresent(): Promise<void> {
    if (!this.missing) return
    await Promise.race([new Promise<void>((resolve) => this.once('restored', resolve)), this.closing])
  }

  /** Scans the folder, reusing saved hashes of unchanged files, then starts watching it. */
  async open(): Promise<void> {
    const stats = await lstat(this.root)
    this.rootIdentity = identityOf(stats)
    await this.ignoreFile.load()
    const { files: saved, folder } = await this.load()
    if (saved.size > 0 && !(folder && provablySameFolder(folder, stats)) && !(await this.holdsAShareableFile())) {
      // Not the folder shared last time, and no file in it: the mount point of a disk not mounted
      // yet, or a folder made anew in its place. Taking it would delete every file at the peers.
      this.rootIdentity = folder ?? UNKNOWN_FOLDER
      this.files = saved
      await this.lostRoot(`${this.root} holds no file to share and is not the folder shared last time (is its disk mounted?)`)
      this.startPeriodicLooks()
      return
    }
    // Watching starts first: a file made during the scan is then seen by one or the other, and
    // the watcher's re-checks queue behind the scan.
    await this.startWatching()
    this.work = this.work.then(async () => {
      this.files = await this.scan(saved)
    })
    await this.work
    // A restart that found nothing changed has nothing to save (about 1 MB per 10,000 files), and
    // an empty folder never indexed nothing worth a fsync (10–30 ms before a fresh client may
    // listen; saved later instead, during its first transfers, it slowed a 1 GiB one).
    const unchanged =
      folder !== null && sameIdentity(folder, this.rootIdentity) && this.files.size === saved.size && [...this.files.values()].every((f) => saved.get(f.path) === f)
    const nothingYet = this.files.size === 0 && saved.size === 0
    if (!unchanged && !nothingYet) await this.save()
    this.startPeriodicLooks()
  }

  /** Looks at the whole folder again now: what changed unseen is announced, nothing else. */
  rescan(): void {
    if (!this.closed) this.markDirty('')
  }

  /** The folder itself once a second (see rootCheck), and all of it every DEFAULT_RESCAN_EVERY_MS. */
  private startPeriodicLooks(): void {
    this.rescanTimer = setInterval(() => this.rescan(), this.options.rescanEveryMs ?? DEFAULT_RESCAN_EVERY_MS)
    this.rescanTimer.unref()
    this.rootCheck = setInterval(() => {
      this.work = this.work
        .then(async () => {
          if (this.closed || this.rootPoll) return
          if (!(await this.rootIsThere()) && !this.closed && !this.rootPoll) await this.lostRoot()
        })
        .catch(() => {})
    }, ROOT_POLL_MS)
    this.rootCheck.unref()
  }

  /**
   * Every shareable file in the folder; a file whose stats match `known` keeps its hash. What
   * could not be looked at (a folder not readable now, a file that could not be read) keeps its
   * entry in `known`: only a file seen gone is gone.
   */
  private scan(known: Map<string, IndexedFile>): Promise<FileTable<IndexedFile>> {
    return this.look(() => this.scanAll(known))
  }

  /** Runs `work`, a look at the whole folder, said with `look` events. */
  private async look<T>(work: () => Promise<T>): Promise<T> {
    if (this.looks++ === 0) this.emit('look', true)
    try {
      return await work()
    } finally {
      if (--this.looks === 0) this.emit('look', false)
    }
  }

  private async scanAll(known: Map<string, IndexedFile>): Promise<FileTable<IndexedFile>> {
    const next = new FileTable<IndexedFile>()
    const unread = new Set<string>()
    this.ignoredInThisLook = 0
    for await (const [rel, stats] of this.walk(this.root, '', unread)) {
      const before = known.get(rel)
      // A racy entry is hashed again (its re-hash may have been dropped while the folder was away).
      const file = before && sameStats(before, stats) && !this.racy.has(rel) ? before : await this.hashOrWhy(rel, stats)
      if (typeof file !== 'string') next.set(rel, file)
      else if (file === 'unreadable' && before) next.set(rel, before)
    }
    this.ignoredInLastLook = this.ignoredInThisLook
    // A held folder (see `unmounted`) still empty keeps its files; holding one again, it counts.
    for (const folder of this.unmounted) {
      if (next.filesBelow(folder) > 0) this.unmounted.delete(folder)
      else unread.add(folder)
    }
    if (unread.size) for (const [rel, file] of known) if (!next.has(rel) && below(rel, unread)) next.set(rel, file)
    return next
  }

  async close(): Promise<void> {
    this.closed = true
    this.markClosing()
    if (this.settleTimer) clearTimeout(this.settleTimer)
    if (this.rootPoll) clearTimeout(this.rootPoll)
    if (this.rootCheck) clearInterval(this.rootCheck)
    if (this.rescanTimer) clearInterval(this.rescanTimer)
    if (this.burstRescan) clearTimeout(this.burstRescan)
    this.racy.close()
    this.watcher?.close()
    await this.work
    // Work under way when close() began may have started a watcher, or a racy timer, of its own.
    this.watcher?.close()
    this.racy.close()
    this.watcher = null
    if (this.saveTimer) {
      clearTimeout(this.saveTimer)
      await this.save()
    }
  }

  /** Re-checks these paths now (used when a read finds a file other than the index says). */
  recheck(relPath: string): void {
    this.markDirty(relPath)
  }

  /**
   * Hashes `relPath` again even if its size, mtime and inode are as indexed: the server read
   * other bytes than the indexed version (rewritten between its check and its read, or within
   * one tick of the file system's clock, which leaves the mtime as it was).
   */
  distrust(relPath: string): void {
    this.distrusted.add(relPath)
    this.markDirty(relPath)
  }

  /**
   * Whether `relPath` was hashed within the clock tick of its last write (racy-files.ts): a
   * rewrite of the same size then leaves its stats as indexed, so they prove nothing yet.
   */
  isRacy(relPath: string): boolean {
    return this.racy.has(relPath)
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
    this.dirty.add(rel)
    if (!this.settleTimer) this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS)
  }

  private settle(): void {
    this.settleTimer = null
    const paths = [...this.dirty]
    this.dirty.clear()
    // A burst this large may have overflowed the kernel's event queue, which drops events without
    // a word: look at everything once it has calmed down.
    if (paths.length >= BURST_PATHS) {
      if (this.burstRescan) clearTimeout(this.burstRescan)
      this.burstRescan = setTimeout(() => this.rescan(), BURST_RESCAN_AFTER_MS)
      this.burstRescan.unref()
    }
    // The whole folder (a rescan, or the rules changed) is a look at it, which the app shows.
    const whole = paths.includes('') || paths.includes(IGNORE_FILE)
    this.work = this.work.then(() => (whole ? this.look(() => this.applyDirty(paths)) : this.applyDirty(paths))).catch((error) => {
      this.onEvent({ type: 'error', code: 'index-failed', message: `indexing ${this.root}: ${String(error)}` })
    })
  }

  private async applyDirty(paths: string[]): Promise<void> {
    if (this.closed || this.rootPoll) return
    // Files that seem gone because the whole folder went (moved, deleted, unmounted) are not
    // deletions to pass on: peers would empty their mirrors of it.
    if (!(await this.rootIsThere())) return this.lostRoot()
    // The rules changed: the whole folder is looked at again under them (and a rescan re-reads them).
    if ((paths.includes(IGNORE_FILE) || paths.includes('')) && (await this.ignoreFile.load())) {
      this.watcher?.unwatchSkipped()
      if (!paths.includes('')) paths.push('')
    }
    const changes: IndexChange[] = []
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
      const stats = this.inside.lstat(rel)
      // Not to be looked at now (no permission to look, an I/O error): nothing is known to change.
      if (stats === 'unreadable') continue
      if (rel && stats !== 'absent' && this.ignoreFile.ignores(rel, stats.isDirectory())) {
        // Not shared (nor watched): whatever the index held there goes.
        this.watcher?.unwatchTree(rel)
        if (this.files.filesBelow(rel) > 0) gone.add(rel)
        await this.update(rel, null, changes, removed)
        continue
      }
      if (stats !== 'absent' && stats.isDirectory()) {
        // A folder appeared, was renamed in, or another took its place: watch it first (what is
        // made in it meanwhile is then reported), then index what is inside it. The whole folder
        // (a rescan) also watches any folder below that is not watched yet.
        // A file of that name before is gone: its entry would be asked for in vain until a restart.
        if (this.files.has(rel)) await this.update(rel, null, changes, removed)
        const otherDevice = new Set<string>()
        await this.watcher?.watchTree(rel, stats, rel === '', otherDevice)
        this.ignoredInThisLook = 0
        for await (const [inner, innerStats] of this.walk(path.join(this.root, rel), rel, unread)) {
          found.add(inner)
          await this.update(inner, innerStats, changes, removed)
        }
        if (rel === '') this.ignoredInLastLook = this.ignoredInThisLook
        walked.add(rel)
        for (const folder of otherDevice) if (this.files.filesBelow(folder) > 0) this.unmounted.add(folder)
        this.holdUnmounted(rel, found, unread)
        continue
      }
      // The shared folder itself not a folder: rootIsThere said otherwise a moment ago, and the
      // next look settles it; taking it as "everything deleted" would empty every mirror.
      if (!rel) continue
      const isFile = stats !== 'absent' && stats.isFile()
      if (isFile) {
        const problem = relativePathProblem(rel)
        if (problem) this.reportUnshareable(rel, problem)
      } else if (stats === 'absent' && rel.includes('\uFFFD')) {
        // Node reads a name that is not UTF-8 with U+FFFD in it, and then cannot find it.
        this.reportUnshareable(rel, 'the name is not valid UTF-8')
      }
      // A folder that may have been one (a file now only if it was watched as a folder).
      if (!isFile || this.watcher?.isWatching(rel)) this.watcher?.unwatchTree(rel)
      if (this.files.filesBelow(rel) > 0) {
        // Gone because a disk was unmounted at or above it: held, as holdUnmounted says.
        const unmountedAt = this.watcher?.deviceChangedAt(rel) ?? null
        if (unmountedAt !== null) {
          if (this.files.filesBelow(unmountedAt) > 0) this.unmounted.add(unmountedAt)
          unread.add(unmountedAt)
        } else {
          gone.add(rel)
        }
      }
      // An indexed file gone with the disk it was on (a recheck names a file, not its folder):
      // held with that disk's folder, not deleted.
      if (stats === 'absent' && this.files.get(rel) && (below(rel, this.unmounted) || this.watcher?.deviceChangedAt(rel) != null)) continue
      if (stats === 'absent') this.forgetUnmounted(rel)
      if (stats === 'absent' && !rel.includes('\uFFFD')) this.forgetUnshareable(rel)
      // A file here: an entry for a file where a folder of its path now stands is stale.
      if (isFile) for (const folder of enclosingFolders(rel)) if (this.files.has(folder)) await this.update(folder, null, changes, removed)
      await this.update(rel, isFile ? stats : null, changes, removed)
      // Seen here: a walk in this batch that missed it (made meanwhile) does not take it for gone.
      if (isFile) found.add(rel)
    }
    for (const folder of unread) if (this.unmounted.has(folder)) this.holdUnmounted(folder, found, unread)
    await this.dropWhatIsGone(gone, walked, found, unread, changes, removed)
    // The folder may have gone while these were looked at: then they say nothing yet, and go
    // back in the index, so that the scan when the folder is back weighs them against the disk.
    if (removed.size && !(await this.rootIsThere())) {
      for (const [rel, file] of removed) this.files.set(rel, file)
      return this.lostRoot()
    }
    this.announce(changes)
  }

  /**
   * A folder that went (or became a file or a link) takes everything indexed below it; one read
   * again, what the index held below it and it no longer holds. Only when the counts say there is
   * something to drop is the index gone through, once for all of them, a turn given now and then.
   * Nothing below a folder that could not be read goes.
   */
  private async dropWhatIsGone(
    gone: Set<string>,
    walked: Set<string>,
    found: Set<string>,
    unread: Set<string>,
    changes: IndexChange[],
    removed: Map<string, IndexedFile>,
  ): Promise<void> {
    const foundBelow = (folder: string): number => {
      let n = 0
      for (const rel of found) if ((folder === '' || rel.startsWith(`${folder}/`)) && this.files.has(rel)) n++
      return n
    }
    const stale = [...walked].filter((folder) => this.files.filesBelow(folder) > foundBelow(folder))
    if (gone.size === 0 && stale.length === 0) return
    const from = new Set([...gone, ...stale])
    const breather = new Breather()
    for (const rel of [...this.files.keys()]) {
      await breather.breathe()
      if (found.has(rel) || below(rel, unread)) continue
      if (from.has('') || enclosingFolders(rel).some((folder) => from.has(folder))) await this.update(rel, null, changes, removed)
    }
  }

  /**
   * Folders inside the shared one found empty on another device than before, where the index
   * holds files below them (see `unmounted`), after a walk of `walked`: still empty, they count
   * as not read (their files are not deleted at the peers); holding a file again, they count.
   */
  private holdUnmounted(walked: string, found: Set<string>, unread: Set<string>): void {
    for (const folder of this.unmounted) {
      if (walked !== '' && folder !== walked && !folder.startsWith(`${walked}/`)) continue
      if ([...found].some((rel) => rel.startsWith(`${folder}/`))) {
        this.unmounted.delete(folder)
        this.unmountedSaid.delete(folder)
        continue
      }
      unread.add(folder)
      if (this.unmountedSaid.has(folder)) continue
      this.unmountedSaid.add(folder)
      this.onEvent({
        type: 'error',
        code: 'folder-missing',
        message: `${path.join(this.root, folder)} is empty, on another device than before (is a disk no longer mounted there?); its files stay shared until it holds a file again`,
      })
    }
  }

  /** A held folder (see `unmounted`) that is gone itself is held no more: it holds nothing now. */
  private forgetUnmounted(rel: string): void {
    for (const folder of this.unmounted) {
      if (folder === rel || folder.startsWith(`${rel}/`)) {
        this.unmounted.delete(folder)
        this.unmountedSaid.delete(folder)
      }
    }
  }

  /**
   * The file hashed; or 'gone' (not a regular file there any more); or 'unreadable' (there, but
   * not to be read now: no permission, no descriptor left, an I/O error), which proves nothing.
   */
  private async hashOrWhy(rel: string, stats: FileStats): Promise<IndexedFile | 'gone' | 'unreadable'> {
    try {
      return await this.hashStable(rel, stats)
    } catch (error) {
      return GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ? 'gone' : 'unreadable'
    }
  }

  private announce(changes: IndexChange[]): void {
    if (changes.length === 0) return
    this.emit('changes', changes)
    this.scheduleSave()
  }

  private async rootIsThere(): Promise<boolean> {
    const stats = await lstat(this.root).catch(() => null)
    return stats !== null && stats.isDirectory() && sameFolder(this.rootIdentity, stats)
  }

  /**
   * A folder at the root's path that can stand for it. On another device it must hold something:
   * an unmounted disk leaves an empty mount point behind, and taking that for the folder would
   * delete everything at the peers. (A disk mounted again may come back as another device.)
   */
  private async rootCandidate(): Promise<Stats | null> {
    const stats = await lstat(this.root).catch(() => null)
    if (!stats?.isDirectory()) return null
    // The folder itself, moved back, counts however empty: its emptiness is the user's doing.
    if (provablySameFolder(this.rootIdentity, stats)) return stats
    return (await this.holdsAShareableFile()) ? stats : null
  }

  /**
   * The shared folder is gone: say so once, keep the last index, and wait for it to return.
   * `why`: what to say instead of "the shared folder … is gone".
   */
  private async lostRoot(why?: string): Promise<void> {
    const there = await lstat(this.root).catch(() => null)
    const what = there?.isSymbolicLink() ? ' (a link stands at its path now, and links are not followed)' : ''
    this.onEvent({
      type: 'error',
      code: 'folder-missing',
      message: `${why ?? `the shared folder ${this.root} is gone${what}`}; peers keep their mirrors of it, and sharing resumes when it is back (a new, empty folder in its place counts once it holds a file)`,
    })
    const watcher = this.watcher
    this.watcher = null
    watcher?.close()
    const look = (): void => {
      if (this.closed) return
      this.rootPoll = setTimeout(() => {
        this.work = this.work
          .then(async () => {
            if (this.closed) return
            const stats = await this.rootCandidate()
            if (this.closed) return
            if (!stats) return look()
            await this.regainRoot(identityOf(stats))
          })
          .catch((error) => {
            this.onEvent({ type: 'error', code: 'index-failed', message: `indexing ${this.root}: ${String(error)}` })
            look()
            // Missing again after a failed return: anyone who subscribed meanwhile heard "present".
            if (this.missing) this.emit('missing')
          })
      }, ROOT_POLL_MS)
      this.rootPoll.unref()
    }
    look()
    if (this.missing) this.emit('missing')
  }

  /** The folder is back (or a new one stands at its path): index it afresh and watch it again. */
  private async regainRoot(identity: FolderIdentity): Promise<void> {
    // Until the return succeeds the folder is still the one lost: a candidate that fails is not
    // "the folder itself" next time (which would count however empty).
    const lost = this.rootIdentity
    this.rootIdentity = identity
    this.rootPoll = null
    let next: FileTable<IndexedFile>
    try {
      // As at open: watch, then scan; what the watcher reports meanwhile is re-checked after.
      await this.ignoreFile.load()
      await this.startWatching()
      next = await this.scan(this.files)
    } catch (error) {
      this.rootIdentity = lost
      throw error
    }
    if (this.closed) return
    if (!(await this.rootIsThere())) {
      this.rootIdentity = lost
      return this.lostRoot()
    }
    // Every file is announced, changed or not: a peer that asked for one while the folder was
    // away was refused it, and only a new announcement makes it ask again. Peers that already
    // hold a version skip it without a transfer.
    const changes: IndexChange[] = [...next.values()].map((file) => ({ op: 'upsert', path: file.path, version: file.version, size: file.size }))
    for (const rel of this.files.keys()) if (!next.has(rel)) changes.push({ op: 'delete', path: rel })
    this.files = next
    this.onEvent({ type: 'folder-restored', folder: this.root })
    this.announce(changes)
    this.emit('restored')
  }

  /** Brings one path up to date; a file taken out of the index also goes into `removed`. */
  private async update(rel: string, stats: FileStats | null, changes: IndexChange[], removed?: Map<string, IndexedFile>): Promise<void> {
    const before = this.files.get(rel)
    if (!stats || relativePathProblem(rel)) {
      this.distrusted.delete(rel)
      this.racy.forget(rel)
      if (before) {
        this.files.delete(rel)
        removed?.set(rel, before)
        changes.push({ op: 'delete', path: rel })
      }
      return
    }
    if (before && sameStats(before, stats) && !this.distrusted.delete(rel)) return
    const file = await this.hashOrWhy(rel, stats)
    if (file === 'gone') return this.update(rel, null, changes, removed)
    // Looked at again once it can be: its last version stays shared meanwhile.
    if (file === 'unreadable') return this.reportUnshareable(rel, 'it cannot be read now')
    // An entry hashed while its file kept changing was refused to peers (its mtime is no file's):
    // some may have given up on that version; the same version, once held still, is news to them.
    if (before && before.version.equals(file.version) && before.size === file.size && !(before.mtimeMs === UNTRUSTED_MTIME && file.mtimeMs !== UNTRUSTED_MTIME)) {
      // Touched, same content: nothing to announce, but its new stats are worth keeping.
      this.files.set(rel, file)
      this.scheduleSave()
      return
    }
    this.files.set(rel, file)
    changes.push({ op: 'upsert', path: rel, version: file.version, size: file.size })
  }

  /**
   * Hashes until the file holds still: a file written during hashing is hashed again. `before`:
   * its stats a moment ago. A file reached through a link is not hashed (open-inside.ts).
   */
  private async hashStable(rel: string, before: FileStats): Promise<IndexedFile> {
    for (let attempt = 0; ; attempt++) {
      const readFrom = Date.now()
      let fd: number
      try {
        fd = this.inside.openFile(rel)
      } catch (error) {
        // Refused because the file opened lost its name meanwhile (replaced): the one there now.
        const now = attempt < 4 && (error as NodeJS.ErrnoException).code === 'ELOOP' ? this.inside.lstat(rel) : null
        if (typeof now === 'object' && now?.isFile()) {
          before = now
          continue
        }
        throw error
      }
      // Said while it lasts: a peer hears of the file only once it is hashed.
      const total = before.size
      let told = false
      const progress = (bytes: number): void => {
        told = true
        this.emit('hashing', rel, bytes, total)
      }
      const { version, size, after } = await hashFile(fd, total, progress).finally(() => {
        closeSync(fd)
        if (told) this.emit('hashed', rel)
      })
      this.hashed++
      if (sameStats(before, after) && size === after.size) {
        this.racy.note(rel, after.mtimeMs, readFrom)
        return { path: rel, version, size, mtimeMs: after.mtimeMs, ino: after.ino }
      }
      if (attempt >= 4) {
        // Written all along: that hash is of no version the file had. Untrusted, and looked at
        // again in a while.
        this.racy.hashAgainIn(rel, UNSTABLE_AGAIN_MS)
        return { path: rel, version, size, mtimeMs: UNTRUSTED_MTIME, ino: after.ino }
      }
      before = after
    }
  }

  /**
   * Every shareable file below `dir`, with synchronous calls (see hash.ts for why), giving the
   * event loop a turn every few milliseconds, the caller's work on each file included. A folder
   * that could not be read, or in which a file could not be looked at, goes into `unread`.
   */
  private async *walk(dir: string, prefix: string, unread = new Set<string>(), breather = new Breather()): AsyncGenerator<[string, FileStats]> {
    let entries: Dirent[]
    try {
      // A folder reached through a link (one on the way swapped for it) holds nothing here.
      entries = this.inside.readFolder(prefix)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      // Gone meanwhile, or (a name that is not UTF-8 comes back with U+FFFD) never to be found.
      if (!GONE_CODES.has(code)) unread.add(prefix)
      else if (prefix.includes('\uFFFD')) this.reportUnshareable(prefix, 'the name is not valid UTF-8')
      return
    }
    for (const entry of entries) {
      await breather.breathe()
      const rel = childPath(prefix, entry.name)
      // An ignored folder is not looked into: a node_modules costs one lookup.
      if ((entry.isDirectory() || entry.isFile()) && this.ignoreFile.ignores(rel, entry.isDirectory())) {
        this.ignoredInThisLook++
        continue
      }
      if (entry.isDirectory()) {
        yield* this.walk(path.join(dir, entry.name), rel, unread, breather)
      } else if (entry.isFile()) {
        const problem = relativePathProblem(rel)
        if (problem) {
          this.reportUnshareable(rel, problem)
          continue
        }
        const stats = lstatOrWhy(path.join(dir, entry.name))
        if (stats === 'unreadable') unread.add(prefix)
        else if (stats !== 'absent' && stats.isFile()) yield [rel, stats]
        // Node reads a name that is not UTF-8 with U+FFFD in it, and then cannot find it.
        else if (stats === 'absent' && entry.name.includes('\uFFFD')) this.reportUnshareable(rel, 'the name is not valid UTF-8')
      }
    }
  }

  /** Whether the folder holds, at any depth, one file this index would share. Stops at the first. */
  private async holdsAShareableFile(): Promise<boolean> {
    for await (const _file of this.walk(this.root, '')) return true
    return false
  }

  private reportUnshareable(rel: string, problem: string): void {
    if (this.reportedUnshareable.has(rel)) return
    if (this.reportedUnshareable.size >= MAX_UNSHAREABLE_REPORTED) {
      if (this.unreportedSaid) return
      this.unreportedSaid = true
      this.onEvent({
        type: 'error',
        code: 'unshareable-paths-not-reported',
        message: `more than ${MAX_UNSHAREABLE_REPORTED} paths in ${this.root} cannot be shared; the others are not reported one by one (such as ${JSON.stringify(rel)}: ${problem})`,
      })
      return
    }
    this.reportedUnshareable.add(rel)
    this.onEvent({ type: 'error', code: 'unshareable-path', message: `not shared: ${JSON.stringify(rel)}: ${problem}` })
  }

  /** A path gone: it, and what was below it, is reported again should it come back unshareable. */
  private forgetUnshareable(rel: string): void {
    if (this.reportedUnshareable.size === 0) return
    this.reportedUnshareable.delete(rel)
    for (const reported of this.reportedUnshareable) if (reported.startsWith(`${rel}/`)) this.reportedUnshareable.delete(reported)
  }

  private async load(): Promise<{ files: FileTable<IndexedFile>; folder: FolderIdentity | null }> {
    const files = new FileTable<IndexedFile>()
    let text: string
    try {
      text = await readFile(this.statePath, 'utf8')
    } catch {
      // No index yet, or an unreadable one: everything is hashed afresh.
      return { files, folder: null }
    }
    const saved = readSavedIndex(text, this.root)
    if (saved === 'other-folder') return { files, folder: null }
    if ('problem' in saved) {
      // Nothing in it is trusted: a full scan, as on a first start.
      this.onEvent({ type: 'error', code: 'index-invalid', message: `the saved index ${this.statePath} is not used: ${saved.problem}; every file is hashed afresh` })
      return { files, folder: null }
    }
    for (const entry of saved.entries) files.set(entry.path, entry)
    return { files, folder: saved.folder }
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
      folder: this.rootIdentity,
      // A racy entry is stored untrusted: after a restart it is hashed again.
      files: [...this.files.values()].map((f) => [f.path, f.version.toString('hex'), f.size, this.racy.has(f.path) ? UNTRUSTED_MTIME : f.mtimeMs, f.ino]),
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

/** Matches no folder: with no saved identity, only a folder holding files counts as back. */
const UNKNOWN_FOLDER: FolderIdentity = { dev: -1, ino: -1, birthtimeMs: -1 }

function identityOf(stats: Stats): FolderIdentity {
  return { dev: stats.dev, ino: stats.ino, birthtimeMs: stats.birthtimeMs }
}

/**
 * Whether `now` is still the folder `then` was, for the look once a second while it is shared.
 * One made anew at the same path often gets the freed inode number back; its birth time tells
 * them apart. Where the file system keeps no birth time, Node reports the change time in its
 * place (which moves with every entry added) or 0: a birth time equal to the change time is not
 * taken as one. Lenient, so: taking an empty folder for the shared one needs provablySameFolder.
 */
function sameFolder(then: FolderIdentity, now: Stats): boolean {
  if (now.dev !== then.dev || now.ino !== then.ino) return false
  return now.birthtimeMs === then.birthtimeMs || now.birthtimeMs === now.ctimeMs
}

/** Whether `rel` lies in (at any depth) one of `folders` ('' holds everything). */
function below(rel: string, folders: Set<string>): boolean {
  if (folders.size === 0) return false
  return folders.has('') || enclosingFolders(rel).some((folder) => folders.has(folder))
}

function sameIdentity(a: FolderIdentity, b: FolderIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs
}

function sameStats(a: FileStats, b: FileStats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino
}
