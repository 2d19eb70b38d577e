// Which folder a path holds: one made anew at the same path often gets the freed inode number
// back, so device and inode alone cannot tell them apart; the birth time can, where the file
// system keeps one. Shared by the index (the shared folder itself) and its watcher (each folder).
import type { Stats } from 'node:fs'

export interface FolderIdentity {
  dev: number
  ino: number
  birthtimeMs: number
}

/**
 * Whether `now` is, beyond doubt, the folder `then` was. A folder made anew usually gets the
 * freed inode back, and one never changed since it was made has its change time equal to its
 * birth time, so only a real birth time, the same, will do. Where the file system keeps none (0),
 * it cannot be told: the caller takes it for another folder.
 */
export function provablySameFolder(then: FolderIdentity, now: FolderIdentity): boolean {
  return now.dev === then.dev && now.ino === then.ino && now.birthtimeMs !== 0 && now.birthtimeMs === then.birthtimeMs
}

/** Matches no folder: with no saved identity, only a folder holding files counts as back. */
export const UNKNOWN_FOLDER: FolderIdentity = { dev: -1, ino: -1, birthtimeMs: -1 }

export function identityOf(stats: Stats): FolderIdentity {
  return { dev: stats.dev, ino: stats.ino, birthtimeMs: stats.birthtimeMs }
}

export function sameIdentity(a: FolderIdentity, b: FolderIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs
}

/**
 * Whether `now` is still the folder `then` was, for the look once a second while it is shared.
 * One made anew at the same path often gets the freed inode number back; its birth time tells
 * them apart. Where the file system keeps no birth time, Node reports the change time in its
 * place (which moves with every entry added) or 0: a birth time equal to the change time is not
 * taken as one. Lenient, so: taking an empty folder for the shared one needs provablySameFolder.
 */
export function sameFolder(then: FolderIdentity, now: FolderIdentity & { ctimeMs: number }): boolean {
  if (now.dev !== then.dev || now.ino !== then.ino) return false
  return now.birthtimeMs === then.birthtimeMs || now.birthtimeMs === now.ctimeMs
}
