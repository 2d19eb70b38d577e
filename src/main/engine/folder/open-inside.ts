// Paths inside the shared folder, looked at without following a link at any level of the path:
// O_NOFOLLOW guards the last name only, and a folder on the way swapped for a link to elsewhere
// would lead every open, stat and hash out of the folder. Where the kernel names a descriptor
// (/proc/self/fd), every look goes from the shared folder's own descriptor down, one name at a
// time, as openat would; elsewhere what is opened is proven to be `realRoot/rel` afterwards.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs'
import path from 'node:path'
import type { FolderIdentity } from './folder-identity'
import { GONE_CODES, lstatOrWhy } from './lstat-or-why'

/**
 * Where the kernel says what a descriptor really is (Linux); elsewhere the path is resolved again.
 * By this process's id where /proc names it so (a /proc of another pid namespace would not): the
 * kernel then skips resolving the `self` link on every look.
 */
const FD_DIR = fdFolder()
const HAS_PROC_FD = FD_DIR !== null

function fdFolder(): string | null {
  if (!existsSync('/proc/self/fd')) return null
  try {
    return readlinkSync('/proc/self') === String(process.pid) ? `/proc/${process.pid}/fd` : '/proc/self/fd'
  } catch {
    return '/proc/self/fd'
  }
}
/** Non-blocking: a pipe in a file's place cannot hang the thread. */
const FILE_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW
const FOLDER_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
/** Folders kept open at once within a turn (see `open`): the oldest is closed past this. */
const FOLDERS_KEPT = 32

/** What an open or a look refused: the path leads through a link. Counts as gone (GONE_CODES). */
function throughLink(rel: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${rel} is reached through a link`), { code: 'ELOOP' })
}

/** The folder holding `rel` ('' for the shared folder itself) and the name in it. */
function split(rel: string): [string, string] {
  const slash = rel.lastIndexOf('/')
  return slash < 0 ? ['', rel] : [rel.slice(0, slash), rel.slice(slash + 1)]
}

export class InsideFolder {
  private realRoot: string | null = null
  /**
   * Folders opened in this turn of the event loop, by relative path: descriptors each reached
   * from the shared folder's proven one by names that are no link. The many files of one folder
   * are looked at through it, and none needs a proof of its own. Closed once the turn ends.
   */
  private readonly folders = new Map<string, number>()
  /** On a disk that folds names: the names each folder holds, as the disk spells them, for this turn. */
  private readonly listings = new Map<string, Set<string> | null>()
  /** Whether the disk folds names (disk-names.ts): a look then finds a file under any spelling. */
  foldsNames = false

  /** `identity`: which folder the root must be, so a root swapped for a link is not resolved into. */
  constructor(
    readonly root: string,
    private readonly identity: () => FolderIdentity,
  ) {}

  /**
   * Opens `rel` for reading, proven to lie inside the folder; throws (ELOOP) when the path leads
   * through a link. Non-blocking: a pipe in the file's place cannot hang the thread.
   */
  openFile(rel: string): number {
    if (HAS_PROC_FD) {
      const [folder, name] = split(rel)
      return openSync(`${FD_DIR}/${this.folder(folder)}/${name}`, FILE_FLAGS)
    }
    const fd = this.open(rel)
    if (this.proves(fd, rel)) return fd
    closeSync(fd)
    throw throughLink(rel)
  }

  /** Opens `rel` without following a link as its last name only; see proves. */
  open(rel: string): number {
    return openSync(path.join(this.root, rel), FILE_FLAGS)
  }

  /** Whether the descriptor is the file at `rel` inside the folder, reached through no link. */
  proves(fd: number, rel: string): boolean {
    const opened = this.whereIs(fd, rel)
    if (opened === null) return false
    if (this.isAt(opened, rel)) return true
    // The folder's own path may lead elsewhere now (a folder above it renamed): resolved again.
    this.realRoot = null
    return this.isAt(opened, rel)
  }

  /**
   * The path's own stats, as lstatOrWhy says; 'absent' also when a folder on the way is a link (or
   * no folder): a path seen through a link is not in the folder.
   */
  lstat(rel: string): Stats | 'absent' | 'unreadable' {
    if (rel === '') return lstatOrWhy(this.root)
    const [folder, name] = split(rel)
    if (!HAS_PROC_FD) {
      if (folder === '') return lstatOrWhy(path.join(this.root, rel))
      try {
        return this.proven(folder, (here) => lstatOrWhy(path.join(here, name)))
      } catch (error) {
        return GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ? 'absent' : 'unreadable'
      }
    }
    let fd: number
    try {
      fd = this.folder(folder)
    } catch (error) {
      return GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ? 'absent' : 'unreadable'
    }
    return lstatOrWhy(`${FD_DIR}/${fd}/${name}`)
  }

  /**
   * The stats of `rel`, a name readFolder just listed: through that folder where the kernel
   * offers it, else by its path (the folder was proven as it was read).
   */
  lstatListed(rel: string): Stats | 'absent' | 'unreadable' {
    return HAS_PROC_FD ? this.lstat(rel) : lstatOrWhy(path.join(this.root, rel))
  }

  /**
   * Whether each name of `rel` is spelled as the disk spells it. Where the disk folds names, a look
   * finds `readme.md` after it was renamed `README.md`: the old spelling is gone all the same.
   * A folder that cannot be read now proves nothing either way.
   */
  spelledAsOnDisk(rel: string): boolean {
    if (!this.foldsNames || rel === '') return true
    let folder = ''
    for (const name of rel.split('/')) {
      const names = this.namesIn(folder)
      if (names === null) return true
      if (!names.has(name)) return false
      folder = folder === '' ? name : `${folder}/${name}`
    }
    return true
  }

  private namesIn(folder: string): Set<string> | null {
    let names = this.listings.get(folder)
    if (names !== undefined) return names
    try {
      names = new Set(this.readFolder(folder).map((entry) => entry.name))
    } catch (error) {
      names = GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ? new Set() : null
    }
    if (this.listings.size === 0) setImmediate(() => this.listings.clear())
    this.listings.set(folder, names)
    return names
  }

  /** What the folder at `rel` holds; throws (ELOOP) when it is reached through a link. */
  readFolder(rel: string): Dirent[] {
    if (HAS_PROC_FD) return readdirSync(`${FD_DIR}/${this.folder(rel)}`, { withFileTypes: true })
    if (rel === '') return readdirSync(this.root, { withFileTypes: true })
    return this.proven(rel, (here) => readdirSync(here, { withFileTypes: true }))
  }

  /**
   * The folder at `rel`, open (kept for the rest of this turn): the shared folder's descriptor,
   * proven to be the folder indexed, then each name below it opened in the one above without
   * following a link, as openat would. Throws when a name on the way is gone, a link or no
   * folder (GONE_CODES), or cannot be opened now.
   */
  private folder(rel: string): number {
    const kept = this.folders.get(rel)
    if (kept !== undefined) return kept
    let fd: number
    if (rel === '') {
      fd = openSync(this.root, FOLDER_FLAGS)
      if (!this.proves(fd, '')) {
        closeSync(fd)
        throw throughLink('the shared folder')
      }
    } else {
      const [above, name] = split(rel)
      fd = openSync(`${FD_DIR}/${this.folder(above)}/${name}`, FOLDER_FLAGS)
    }
    this.keep(rel, fd)
    return fd
  }

  /** Keeps a folder's descriptor until this turn of the event loop ends. */
  private keep(rel: string, fd: number): void {
    if (this.folders.size === 0) setImmediate(() => this.closeFolders())
    if (this.folders.size >= FOLDERS_KEPT) {
      const [oldest, oldestFd] = this.folders.entries().next().value!
      this.folders.delete(oldest)
      closeSync(oldestFd)
    }
    this.folders.set(rel, fd)
  }

  private closeFolders(): void {
    for (const fd of this.folders.values()) {
      try {
        closeSync(fd)
      } catch {
        // Nothing else closes these; a failed close leaves nothing to do.
      }
    }
    this.folders.clear()
  }

  /**
   * Without /proc: runs `look` on the folder at `rel`, opened and proven inside afterwards.
   * Throws (ELOOP) when it is reached through a link; other errors opening it are thrown.
   */
  private proven<T>(rel: string, look: (here: string) => T): T {
    const fd = openSync(path.join(this.root, rel), FOLDER_FLAGS)
    try {
      if (!this.proves(fd, rel)) throw throughLink(rel)
      return look(path.join(this.root, rel))
    } finally {
      closeSync(fd)
    }
  }

  private isAt(opened: string, rel: string): boolean {
    const realRoot = this.resolveRoot()
    if (realRoot === null) return false
    return rel === '' || rel === '.' ? opened === realRoot : opened === `${realRoot}${path.sep}${rel}`
  }

  /** The descriptor's real path, or null when it cannot be told. */
  private whereIs(fd: number, rel: string): string | null {
    try {
      if (HAS_PROC_FD) return readlinkSync(`${FD_DIR}/${fd}`)
      // No /proc: the path resolved now, and the same file there as the one opened.
      const real = realpathSync.native(path.join(this.root, rel))
      const [opened, there] = [fstatSync(fd), statSync(real)]
      return opened.dev === there.dev && opened.ino === there.ino ? real : null
    } catch {
      return null
    }
  }

  /** The shared folder's real path, if it is still the folder indexed (not a link put in its place). */
  private resolveRoot(): string | null {
    if (this.realRoot !== null) return this.realRoot
    try {
      const real = realpathSync.native(this.root)
      const stats = statSync(real)
      const { dev, ino } = this.identity()
      if (stats.dev !== dev || stats.ino !== ino) return null
      this.realRoot = real
      return real
    } catch {
      return null
    }
  }
}
