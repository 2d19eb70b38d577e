// Which folder a path holds: one made anew at the same path often gets the freed inode number
// back, so device and inode alone cannot tell them apart; the birth time can, where the file
// system keeps one. Shared by the index (the shared folder itself) and its watcher (each folder).

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
