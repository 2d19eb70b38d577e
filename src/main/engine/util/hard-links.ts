// Disks without hard links (exFAT, FAT, some network shares) answer link() with one of these;
// what a link would do is then done another way (a copy, or a move), never skipped.
import { constants, copyFileSync, linkSync } from 'node:fs'

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'])

/** Whether link() failed because this disk (or this file) cannot take another hard link. */
export function linksRefused(error: unknown): boolean {
  return NO_LINKS.has((error as NodeJS.ErrnoException)?.code ?? '')
}

/** Whether link() failed because the two paths are on different file systems (a disk mounted inside a mirror). */
export function otherFileSystem(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'EXDEV'
}

/**
 * Links `from` at the new name `to`, or copies it there where no link can be made (a disk without
 * hard links, another file system); either fails if `to` exists.
 */
export function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to)
  } catch (error) {
    if (!linksRefused(error) && !otherFileSystem(error)) throw error
    copyFileSync(from, to, constants.COPYFILE_EXCL)
  }
}
