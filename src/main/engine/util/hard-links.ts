// Disks without hard links (exFAT, FAT, some network shares) answer link() with one of these;
// what a link would do is then done another way (a copy, or a move), never skipped.
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'])

/** Whether link() failed because this disk (or this file) cannot take another hard link. */
export function linksRefused(error: unknown): boolean {
  return NO_LINKS.has((error as NodeJS.ErrnoException)?.code ?? '')
}
