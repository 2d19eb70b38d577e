// The shared folder's index between runs, as a record and a journal of the paths changed since
// (record-journal.ts); another table (a folder indexed anew) or another folder is written whole.
import type { FileTable } from './file-table'
import type { FolderIdentity } from './folder-identity'
import { RecordJournal, type JournalRead } from './record-journal'
import { SAVED_VERSIONS, savedEntryOf, savedIndexOf, type LoadedEntry, type SavedEntry } from './saved-index'

export class IndexOnDisk {
  private readonly journal: RecordJournal<SavedEntry>
  /** The table, and the folder, that the record and journal on disk follow. */
  private following: { files: FileTable<LoadedEntry>; folder: FolderIdentity } | null = null

  constructor(
    statePath: string,
    private readonly root: string,
  ) {
    this.journal = new RecordJournal(statePath, SAVED_VERSIONS)
  }

  /** Before the index is read: temp files of saves a kill cut short. */
  removeLeftovers(): Promise<void> {
    return this.journal.removeLeftovers()
  }

  /** What the load found of the journal (loadSavedIndex): saves append to it if they may. */
  loaded(journal: JournalRead<SavedEntry> | null): void {
    this.journal.loaded(journal && { lines: journal.changes.length, appendable: journal.appendable })
  }

  /** What is on disk is `files` of `folder`: their changes from now on are what a save appends. */
  follow(files: FileTable<LoadedEntry>, folder: FolderIdentity): void {
    if (this.following && this.following.files !== files) this.following.files.changed = null
    files.changed = new Set()
    this.following = { files, folder }
  }

  /** Saves `files` of `folder`; `untrusted`: entries whose stats cannot vouch for them (saved so a restart hashes them). */
  async save(files: FileTable<LoadedEntry & { snapshot?: boolean }>, folder: FolderIdentity, untrusted: (rel: string) => boolean): Promise<void> {
    if (this.following?.files !== files || this.following.folder !== folder) {
      this.follow(files, folder)
      this.journal.rewrite()
    }
    const changes = new Map<string, SavedEntry | null>()
    for (const rel of files.changed!) {
      const file = files.get(rel)
      changes.set(rel, file ? savedEntryOf(file, untrusted) : null)
    }
    files.changed!.clear()
    await this.journal.save(changes, files.size, (journal) => JSON.stringify(savedIndexOf(this.root, folder, files.values(), untrusted, journal)))
  }
}
