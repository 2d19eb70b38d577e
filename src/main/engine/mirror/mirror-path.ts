// Where a peer's relative path lands inside its mirror folder, or why it may not.
import { lstat, mkdir, realpath, rename, rm, rmdir, unlink } from 'node:fs/promises'
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

/**
 * Renames `source` (a verified temp file, or a mirror file being renamed) to `target` inside the
 * mirror `folder`, making the folders above it. The peer's truth wins inside its mirror: a file
 * standing where a folder must be, or a folder where the file goes, is removed. Nothing planted
 * in the mirror (a link) may carry the write outside it.
 */
export async function moveIntoMirror(source: string, target: string, folder: string): Promise<void> {
  const parent = path.dirname(target)
  await makeParents(parent, folder)
  const realFolder = await realpath(folder)
  const realParent = await realpath(parent)
  if (realParent !== realFolder && !realParent.startsWith(realFolder + path.sep)) {
    throw new PeerSessionError('bad-path', `${target} would land outside the mirror ${folder}`, false)
  }
  const existing = await lstat(target).catch(() => null)
  if (existing?.isDirectory()) await rm(target, { recursive: true, force: true })
  await rename(source, target)
}

async function makeParents(parent: string, folder: string): Promise<void> {
  try {
    await mkdir(parent, { recursive: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOTDIR' && code !== 'EEXIST') throw error
    const parts = path.relative(folder, parent).split(path.sep)
    for (let i = 1; i <= parts.length; i++) {
      const step = path.join(folder, ...parts.slice(0, i))
      const stats = await lstat(step).catch(() => null)
      if (stats && !stats.isDirectory()) {
        await unlink(step)
        break
      }
    }
    await mkdir(parent, { recursive: true })
  }
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
