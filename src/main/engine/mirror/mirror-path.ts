// Where a peer's relative path lands inside its mirror folder, or why it may not.
import { constants, copyFileSync, linkSync, lstatSync, mkdirSync, renameSync, rmSync, unlinkSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import { isFolderAt } from '../folder/lstat-or-why'
import { relativePathProblem } from '../../../shared/paths'
import { clearWay, wayIsReal } from './mirror-way'
import { PeerSessionError } from './peer-session'
import { linksRefused, otherFileSystem } from '../util/hard-links'

/** The absolute path for `rel` inside `folder`, or a reason it would not stay inside. */
export function pathInMirror(folder: string, rel: string): { path: string } | { problem: string } {
  const problem = relativePathProblem(rel)
  if (problem) return { problem }
  // Every path and every job asks this on both threads: what path.join would give, without its split and normalizing.
  if (joinsAsIs(folder)) return { path: `${folder}/${rel}` }
  const target = path.join(folder, ...rel.split('/'))
  if (!target.startsWith(folder + path.sep)) return { problem: 'it leads outside the mirror' }
  return { path: target }
}

/** The last folder found to join as it is (each thread asks about one or a few). */
let plainFolder: string | null = null

/**
 * Whether an accepted relative path (no empty, `.` or `..` name, no backslash) joins onto
 * `folder` as `folder/rel`, exactly as path.join would: '/' separates, and `folder` is normalized.
 */
function joinsAsIs(folder: string): boolean {
  if (folder === plainFolder) return true
  if (path.sep !== '/' || folder === '.' || folder.endsWith('/') || path.normalize(folder) !== folder) return false
  plainFolder = folder
  return true
}

/**
 * Deletes a mirrored file (a link there is removed itself, not followed) and the folders it
 * leaves empty, up to the mirror folder. A link planted on the way is removed instead of followed.
 */
export async function removeFromMirror(target: string, folder: string): Promise<void> {
  if (clearWay(target, folder)) await rm(target, { force: true })
  await removeEmptyParents(target, folder)
}

/**
 * Removes the folders above `file` that are left empty, up to (not including) `folder`; one
 * missing is passed over (a link on the way was removed in its place). Never through a link.
 */
export async function removeEmptyParents(file: string, folder: string): Promise<void> {
  for (let dir = path.dirname(file); dir.startsWith(folder + path.sep); dir = path.dirname(dir)) {
    if (!wayIsReal(dir, folder)) {
      clearWay(dir, folder)
      continue
    }
    try {
      await rmdir(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') break
    }
  }
}

let tempCounter = 0

/**
 * Writes into a mirror folder for a worker thread placing many small files. Temp files are made
 * beside their final path (same folder: the rename that publishes them is cheap, and workers do
 * not queue on one temp folder or on the file system's cross-folder rename lock). Folders it has
 * made and checked are remembered, so a file in a known folder costs one create and one rename.
 */
export class MirrorWriter {
  /** Folders made and checked, each with the start of its temp files' paths (joined once per folder, not per file). */
  private readonly checked = new Map<string, string>()

  /**
   * Makes sure the folder for `target` exists inside `folder`; returns a temp path beside it.
   * A folder checked before may have been removed since (the peer deleted what was in it): with
   * `verify` its existence is checked again; without, the caller retries on ENOENT after `forget`.
   */
  prepare(target: string, folder: string, verify = true): string {
    const parent = path.dirname(target)
    let temps = this.checked.get(parent)
    if (temps === undefined || (verify && !isFolderAt(parent))) {
      // Nothing planted in the mirror (a link) may carry the write elsewhere: a link on the way
      // is removed and real folders made in its place.
      if (!wayIsReal(target, folder)) {
        clearWay(target, folder)
        this.makeParentsSync(parent, folder)
        if (!wayIsReal(target, folder)) throw new PeerSessionError('bad-path', `${target} would land outside the mirror ${folder}`, false)
      }
      temps = path.join(parent, `${TEMP_PREFIX}${process.pid}-${threadId}-`)
      this.checked.set(parent, temps)
    }
    return `${temps}${++tempCounter}`
  }

  /** Forgets that the folder of `target` was checked: the next prepare makes and checks it again. */
  forget(target: string): void {
    this.checked.delete(path.dirname(target))
  }

  /**
   * Renames `source` to `target`. The peer's truth wins inside its mirror: a folder standing
   * where the file goes is removed. `keepAs`: the file it replaces is first hard-linked there (the
   * mirror history; copied from another file system, moved on a disk without hard links), and put
   * back if the rename fails.
   */
  commit(source: string, target: string, keepAs: string | null = null): void {
    const kept = keepAs !== null ? keepPrevious(target, keepAs) : 'no'
    try {
      renameSync(source, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      try {
        if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
        rmSync(target, { recursive: true, force: true })
        renameSync(source, target)
      } catch (again) {
        if (kept === 'linked') rmSync(keepAs!, { force: true })
        if (kept === 'moved') renameSync(keepAs!, target)
        throw again
      }
    }
  }

  /** Moves an existing file (a renamed mirror file) to `target` inside the mirror `folder`. */
  place(source: string, target: string, folder: string, keepAs: string | null = null): void {
    this.prepare(target, folder)
    this.commit(source, target, keepAs)
  }

  private makeParentsSync(parent: string, folder: string): void {
    try {
      mkdirSync(parent, { recursive: true })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // A recursive mkdir says ENOENT for a folder it could not make (a read-only disk): made
      // one by one, the disk's own reason comes out.
      if (code === 'ENOENT' && isFolderAt(folder)) makeEachSync(path.relative(folder, parent).split(path.sep), folder)
      if (code !== 'ENOTDIR' && code !== 'EEXIST') throw error
      // A file stands where the peer now has a folder: remove it, then make the folders.
      const parts = path.relative(folder, parent).split(path.sep)
      for (let i = 1; i <= parts.length; i++) {
        const step = path.join(folder, ...parts.slice(0, i))
        let isDir = true
        try {
          isDir = lstatSync(step).isDirectory()
        } catch {
          break
        }
        if (!isDir) {
          unlinkSync(step)
          break
        }
      }
      mkdirSync(parent, { recursive: true })
    }
  }
}

/** Makes each folder of `parts` below `folder` in turn; what exists already is fine. */
function makeEachSync(parts: string[], folder: string): void {
  for (let i = 1; i <= parts.length; i++) {
    try {
      mkdirSync(path.join(folder, ...parts.slice(0, i)))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

/**
 * Hard-links the regular file at `target` to `keepAs` (a path the mirror history reserved), or
 * copies it there from another file system (a disk mounted inside the mirror). Nothing there, a
 * folder or a link: nothing to keep. A link or copy that cannot be made (no room for the entry)
 * keeps nothing: the new version goes in regardless.
 */
function keepPrevious(target: string, keepAs: string): 'linked' | 'moved' | 'no' {
  try {
    if (!lstatSync(target).isFile()) return 'no'
    linkSync(target, keepAs)
    return 'linked'
  } catch (error) {
    if (otherFileSystem(error)) return copyPrevious(target, keepAs)
    if (!linksRefused(error)) return 'no'
  }
  // A disk without hard links: moved out of the way instead, so the path is empty for a moment.
  try {
    renameSync(target, keepAs)
    return 'moved'
  } catch {
    return 'no'
  }
}

/** The file stays where it is; a copy of it is kept. */
function copyPrevious(target: string, keepAs: string): 'linked' | 'no' {
  try {
    copyFileSync(target, keepAs, constants.COPYFILE_EXCL)
    return 'linked'
  } catch {
    rmSync(keepAs, { force: true })
    return 'no'
  }
}

/** Temp files in a mirror start with this; any left by a crash are removed with other strays. */
export const TEMP_PREFIX = '.dbs-tmp-'
