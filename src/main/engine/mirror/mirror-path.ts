// Where a peer's relative path lands inside its mirror folder, or why it may not.
import { lstatSync, mkdirSync, realpathSync, renameSync, rmSync, unlinkSync } from 'node:fs'
import { rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import { relativePathProblem } from '../../../shared/paths'
import { PeerSessionError } from './peer-session'

/** The absolute path for `rel` inside `folder`, or a reason it would not stay inside. */
export function pathInMirror(folder: string, rel: string): { path: string } | { problem: string } {
  const problem = relativePathProblem(rel)
  if (problem) return { problem }
  const target = path.join(folder, ...rel.split('/'))
  if (!target.startsWith(folder + path.sep)) return { problem: 'it leads outside the mirror' }
  return { path: target }
}

/** Deletes a mirrored file and the folders it leaves empty, up to the mirror folder. */
export async function removeFromMirror(target: string, folder: string): Promise<void> {
  await rm(target, { force: true })
  for (let dir = path.dirname(target); dir.startsWith(folder + path.sep); dir = path.dirname(dir)) {
    try {
      await rmdir(dir)
    } catch {
      break
    }
  }
}

/**
 * The synchronous twin of moveIntoMirror, for worker threads placing many small files: it
 * remembers folders it has made and checked, so a file in a known folder costs one rename.
 */
export class MirrorWriter {
  private readonly checked = new Set<string>()

  /**
   * Renames `source` (a verified temp file, or a mirror file being renamed) to `target` inside
   * the mirror `folder`, making the folders above it. The peer's truth wins inside its mirror:
   * a file standing where a folder must be, or a folder where the file goes, is removed. Nothing
   * planted in the mirror (a link) may carry the write outside it.
   */
  place(source: string, target: string, folder: string, retried = false): void {
    const parent = path.dirname(target)
    if (!this.checked.has(parent)) {
      this.makeParentsSync(parent, folder)
      const realFolder = realpathSync(folder)
      const realParent = realpathSync(parent)
      if (realParent !== realFolder && !realParent.startsWith(realFolder + path.sep)) {
        throw new PeerSessionError('bad-path', `${target} would land outside the mirror ${folder}`, false)
      }
      this.checked.add(parent)
    }
    try {
      renameSync(source, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && !retried) {
        // The folder went away since it was checked (the peer deleted it): check again.
        this.checked.delete(parent)
        return this.place(source, target, folder, true)
      }
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
      // The peer's truth wins inside its mirror: a folder where the file goes is removed.
      rmSync(target, { recursive: true, force: true })
      renameSync(source, target)
    }
  }

  private makeParentsSync(parent: string, folder: string): void {
    try {
      mkdirSync(parent, { recursive: true })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTDIR' && code !== 'EEXIST') throw error
      const parts = path.relative(folder, parent).split(path.sep)
      for (let i = 1; i <= parts.length; i++) {
        const step = path.join(folder, ...parts.slice(0, i))
        const stats = (() => {
          try {
            return lstatSync(step)
          } catch {
            return null
          }
        })()
        if (stats && !stats.isDirectory()) {
          unlinkSync(step)
          break
        }
      }
      mkdirSync(parent, { recursive: true })
    }
  }
}
