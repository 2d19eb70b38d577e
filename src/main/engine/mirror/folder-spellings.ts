// On a disk that folds names a folder keeps the spelling it was made with; once no file the
// mirror holds uses that spelling, the folder takes the one its files give it.
import { lstatSync, readdirSync, renameSync } from 'node:fs'
import path from 'node:path'
import type { NameFold } from '../folder/disk-names'
import { childPath, enclosingFolders } from '../folder/file-table'
import { wayIsReal } from './mirror-way'

/** How many files the mirror holds below a folder, by its exact spelling (FileTable.filesBelow). */
export interface HeldBelow {
  filesBelow(rel: string): number
}

export interface Respelled {
  /** Folders renamed, as [the disk's spelling, the new one] (relative paths). */
  renamed: Array<[string, string]>
  /** Folders that could not be renamed, and why. */
  failed: string[]
}

/**
 * Renames each folder of `folders` (relative, as the mirror's files spell them; their enclosing
 * folders are looked at too, outermost first) whose spelling on disk differs, unless files the
 * mirror holds still use the disk's spelling (the peer has both: the folder stays as it is).
 */
export function respellFolders(root: string, folders: Iterable<string>, held: HeldBelow, fold: NameFold): Respelled {
  const all = new Set<string>()
  for (const folder of folders) for (const rel of [...enclosingFolders(folder), folder]) all.add(rel)
  const byDepth = [...all].filter((rel) => rel !== '').sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1))
  const listings = new Map<string, string[] | null>()
  const result: Respelled = { renamed: [], failed: [] }
  for (const rel of byDepth) {
    if (held.filesBelow(rel) === 0) continue
    const slash = rel.lastIndexOf('/')
    const parent = slash === -1 ? '' : rel.slice(0, slash)
    const name = rel.slice(slash + 1)
    const parentAbs = path.join(root, ...parent.split('/'))
    let names = listings.get(parent)
    if (names === undefined) {
      names = listed(parentAbs)
      listings.set(parent, names)
    }
    if (!names || names.includes(name)) continue
    const wanted = fold(name)
    const index = names.findIndex((other) => fold(other) === wanted)
    if (index === -1) continue
    const onDisk = names[index]!
    if (held.filesBelow(childPath(parent, onDisk)) > 0) continue
    const from = path.join(parentAbs, onDisk)
    if (!wayIsReal(from, root) || lstatSync(from, { throwIfNoEntry: false })?.isDirectory() !== true) continue
    try {
      renameSync(from, path.join(parentAbs, name))
      names[index] = name
      result.renamed.push([childPath(parent, onDisk), rel])
    } catch (error) {
      result.failed.push(`renaming ${childPath(parent, onDisk)} to ${rel} in the mirror: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
    }
  }
  return result
}

function depth(rel: string): number {
  let n = 0
  for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) n++
  return n
}

function listed(folder: string): string[] | null {
  try {
    return readdirSync(folder)
  } catch {
    return null
  }
}
