// The folders between a mirror folder and a path in it. Nothing we make there is a link, so a
// link on the way was planted by hand: followed, it would carry a delete or a rename outside.
import { lstatSync, realpathSync, unlinkSync } from 'node:fs'
import { isFolderAt } from '../folder/lstat-or-why'
import path from 'node:path'

/** Whether every folder from `folder` down to `target`'s own folder stands there as a real folder, none a link. */
export function wayIsReal(target: string, folder: string): boolean {
  const parent = path.dirname(target)
  const rel = path.relative(folder, parent)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false
  try {
    // The real path is the lexical one only when no step is a link; the last step may be a file.
    return realpathSync.native(parent) === path.join(realpathSync.native(folder), rel) && isFolderAt(parent)
  } catch {
    return false
  }
}

/**
 * As wayIsReal, after removing a link found on the way (the link itself, never what it points
 * to). False when a folder on the way is missing or is a file: nothing below it to remove.
 */
export function clearWay(target: string, folder: string): boolean {
  if (wayIsReal(target, folder)) return true
  const rel = path.relative(folder, path.dirname(target))
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false
  // Each step is looked at without following it: the ones before it are real folders.
  let step = folder
  try {
    for (const part of rel.split(path.sep)) {
      step = path.join(step, part)
      const stats = lstatSync(step, { throwIfNoEntry: false })
      if (stats?.isDirectory()) continue
      if (stats?.isSymbolicLink()) unlinkSync(step)
      return false
    }
  } catch {
    // Not to be looked at or removed now (no permission): nothing is done through it either.
  }
  return false
}
