// The look at the whole shared folder that builds the index's table anew (at open, and when the
// folder is back): every shareable file found, each hashed unless its stats match what was known.
// What could not be looked at keeps what was known of it: only a file seen gone is gone.
import type { IndexedFile } from './file-hashing'
import { FileTable, liesBelow } from './file-table'
import type { FileUpdates } from './file-updates'
import type { FolderLooks } from './folder-looks'
import { walkFolder, type WalkRules } from './folder-walk'
import type { UnmountedFolders } from './unmounted-folders'

export interface FolderScanDeps {
  root: string
  walkRules: WalkRules
  updates: FileUpdates
  unmounted: UnmountedFolders
  looks: FolderLooks
}

export class FolderScan {
  constructor(private readonly deps: FolderScanDeps) {}

  /**
   * Every shareable file in the folder; a file whose stats match `known` keeps its hash. What
   * could not be looked at (a folder not readable now, a file that could not be read) keeps its
   * entry in `known`: only a file seen gone is gone.
   */
  scan(known: Map<string, IndexedFile>): Promise<FileTable<IndexedFile>> {
    return this.deps.looks.run(() => this.scanAll(known))
  }

  private async scanAll(known: Map<string, IndexedFile>): Promise<FileTable<IndexedFile>> {
    const next = new FileTable<IndexedFile>()
    const unread = new Set<string>()
    this.deps.looks.walkBegins()
    for await (const [rel, stats] of walkFolder(this.deps.walkRules, this.deps.root, '', unread)) {
      const before = known.get(rel)
      const file = await this.deps.updates.scanned(rel, before, stats)
      if (typeof file !== 'string') next.set(rel, file)
      else if (file === 'unreadable' && before) next.set(rel, before)
    }
    this.deps.looks.walkDone()
    // A held folder (see `unmounted`) still empty keeps its files; holding one again, it counts.
    this.deps.unmounted.afterScan((folder) => next.filesBelow(folder), unread)
    if (unread.size) for (const [rel, file] of known) if (!next.has(rel) && liesBelow(rel, unread)) next.set(rel, file)
    return next
  }
}
