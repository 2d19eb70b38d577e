// Paths inside the shared folder, looked at without following a link at any level of the path:
// O_NOFOLLOW guards the last name only, and a folder on the way swapped for a link to elsewhere
// would lead every open, stat and hash out of the folder. So what is opened is proven to be
// `realRoot/rel` afterwards, from the descriptor itself.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs'
import path from 'node:path'
import type { FolderIdentity } from './folder-identity'
import { GONE_CODES, lstatOrWhy } from './lstat-or-why'

/** Where the kernel says what a descriptor really is (Linux); elsewhere the path is resolved again. */
const HAS_PROC_FD = existsSync('/proc/self/fd')

/** What an open or a look refused: the path leads through a link. Counts as gone (GONE_CODES). */
function throughLink(rel: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${rel} is reached through a link`), { code: 'ELOOP' })
}

export class InsideFolder {
  private realRoot: string | null = null

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
    const fd = this.open(rel)
    if (this.proves(fd, rel)) return fd
    closeSync(fd)
    throw throughLink(rel)
  }

  /** Opens `rel` without following a link as its last name only; see proves. */
  open(rel: string): number {
    return openSync(path.join(this.root, rel), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
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
    const parent = path.posix.dirname(rel)
    if (parent === '.') return lstatOrWhy(path.join(this.root, rel))
    try {
      return this.inFolder(parent, (here) => lstatOrWhy(path.join(here, path.posix.basename(rel))))
    } catch {
      return 'unreadable'
    }
  }

  /** What the folder at `rel` holds; throws (ELOOP) when it is reached through a link. */
  readFolder(rel: string): Dirent[] {
    if (rel === '') return readdirSync(this.root, { withFileTypes: true })
    const entries = this.inFolder(rel, (here) => readdirSync(here, { withFileTypes: true }))
    if (entries === 'absent') throw throughLink(rel)
    return entries
  }

  /**
   * Runs `look` on the folder at `rel`, opened and proven inside: `here` names it (through the
   * descriptor where the kernel offers that, so a link swapped in meanwhile is not followed).
   * 'absent' when it is gone or reached through a link; other errors opening it are thrown.
   */
  private inFolder<T>(rel: string, look: (here: string) => T): T | 'absent' {
    let fd: number
    try {
      fd = openSync(path.join(this.root, rel), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
    } catch (error) {
      if (GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return 'absent'
      throw error
    }
    try {
      if (!this.proves(fd, rel)) return 'absent'
      const here = HAS_PROC_FD ? `/proc/self/fd/${fd}` : path.join(this.root, rel)
      return look(here)
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
      if (HAS_PROC_FD) return readlinkSync(`/proc/self/fd/${fd}`)
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
