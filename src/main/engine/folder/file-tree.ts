// A FileTable that also lists the files below a folder in time proportional to them, not to the
// table: the mirror guard looks at every file below each folder it starts watching.
import { enclosingFolders, FileTable } from './file-table'

export class FileTree<V> extends FileTable<V> {
  /** The files directly in each folder ('' is the shared folder). */
  private readonly direct = new Map<string, Set<string>>()
  /** The folders directly in each folder that hold any file below them. */
  private readonly subfolders = new Map<string, Set<string>>()

  protected override added(rel: string, folders: string[]): void {
    super.added(rel, folders)
    // Each folder's parent is the one before it: no path is sliced again.
    setIn(this.direct, folders.length > 0 ? folders[folders.length - 1]! : '', rel)
    for (let i = 0; i < folders.length; i++) setIn(this.subfolders, i > 0 ? folders[i - 1]! : '', folders[i]!)
  }

  override delete(rel: string): boolean {
    if (!super.delete(rel)) return false
    deleteIn(this.direct, parentOf(rel), rel)
    // Innermost first: a folder left with nothing below it leaves its parent's list.
    for (const folder of enclosingFolders(rel).reverse()) {
      if (this.filesBelow(folder) > 0) break
      this.direct.delete(folder)
      this.subfolders.delete(folder)
      deleteIn(this.subfolders, parentOf(folder), folder)
    }
    return true
  }

  override clear(): void {
    super.clear()
    this.direct.clear()
    this.subfolders.clear()
  }

  /** Every file below the folder at `rel`, at any depth ('' is the shared folder). */
  *filesUnder(rel: string): Generator<string> {
    yield* this.direct.get(rel) ?? []
    for (const folder of this.subfolders.get(rel) ?? []) yield* this.filesUnder(folder)
  }
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/')
  return slash === -1 ? '' : rel.slice(0, slash)
}

function setIn(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key)
  if (set) set.add(value)
  else map.set(key, new Set([value]))
}

function deleteIn(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key)
  if (set?.delete(value) && set.size === 0) map.delete(key)
}
