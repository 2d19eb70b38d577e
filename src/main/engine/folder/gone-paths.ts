// Which indexed files a batch of re-checked paths proves gone. A folder that went (or became a
// file or a link) takes everything indexed below it; one read again, what the index held below it
// and it no longer holds. Nothing below a folder that could not be read goes.
import { Breather } from '../util/breather'
import { enclosingFolders, liesBelow, type FileTable } from './file-table'

/** What one batch of re-checks saw. */
export interface Looked {
  /** Paths that are no folder now (gone, or a file or a link): nothing indexed below them stays. */
  gone: Set<string>
  /** Folders read again; `found`: the files found in them (and files seen on their own). */
  walked: Set<string>
  found: Set<string>
  /** Folders that could not be read, or a file in them looked at: they prove nothing gone. */
  unread: Set<string>
}

/**
 * The indexed paths `looked` proves gone, in the index's order. Only when the counts say there is
 * something to drop is the index gone through, once for all of them, a turn given now and then
 * (the caller's work on each path included).
 */
export async function* pathsGone(files: FileTable<unknown>, { gone, walked, found, unread }: Looked): AsyncGenerator<string> {
  const foundBelow = (folder: string): number => {
    let n = 0
    // One prefix per folder, not one per file found: a burst's batch finds thousands.
    const prefix = `${folder}/`
    for (const rel of found) if ((folder === '' || rel.startsWith(prefix)) && files.has(rel)) n++
    return n
  }
  const stale = [...walked].filter((folder) => files.filesBelow(folder) > foundBelow(folder))
  if (gone.size === 0 && stale.length === 0) return
  const from = new Set([...gone, ...stale])
  const breather = new Breather()
  for (const rel of [...files.keys()]) {
    await breather.breathe()
    if (found.has(rel) || liesBelow(rel, unread)) continue
    if (from.has('') || enclosingFolders(rel).some((folder) => from.has(folder))) yield rel
  }
}
