// One look at a path that says what stands there without throwing: the index, the mirrors and
// their writer all need to tell "nothing there" (a folder on the way may even be a file now)
// from "cannot be looked at now", which proves nothing.
import { lstatSync, type Stats } from 'node:fs'

/** Errors that say a path is not (or no longer) a regular file or folder there. */
export const GONE_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENOTREG'])

/** The path's own stats; 'absent' when nothing is there; 'unreadable' when it cannot be looked at now. */
export function lstatOrWhy(abs: string): Stats | 'absent' | 'unreadable' {
  try {
    return lstatSync(abs, { throwIfNoEntry: false }) ?? 'absent'
  } catch (error) {
    return GONE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ? 'absent' : 'unreadable'
  }
}

/** Whether a folder stands at `abs` now. */
export function isFolderAt(abs: string): boolean {
  const stats = lstatOrWhy(abs)
  return typeof stats === 'object' && stats.isDirectory()
}
