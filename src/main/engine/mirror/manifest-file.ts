// A mirror's manifest on disk: a whole record written atomically now and then, and a journal of
// the changes since (folder/record-journal.ts, as for the shared folder's index).
import { readFile } from 'node:fs/promises'
import { applyJournal, journalOf, readJournal, RecordJournal, JOURNAL_MIN_LINES } from '../folder/record-journal'

export { journalOf }

export interface MirroredFile {
  version: string
  size: number
  mtimeMs: number
}

/** What the saved versions are (see saved-index.ts). */
export const SAVED_VERSIONS = 'blocks-5'

export interface SavedManifest {
  versions: typeof SAVED_VERSIONS
  files: Record<string, MirroredFile>
  /** The journal that follows this record (its first line names it); none before journals. */
  journal?: string
}

function isEntry(value: unknown): value is MirroredFile {
  const entry = value as MirroredFile | null
  return typeof entry === 'object' && entry !== null && typeof entry.version === 'string' && typeof entry.size === 'number' && typeof entry.mtimeMs === 'number'
}

/**
 * The manifest saved at `file`, its journal applied: null when there is none or it cannot be
 * read (its files are then checked on disk as for a lost manifest). `appendable`: the journal
 * ends on a whole line after the record's own head, so lines may be added to it.
 */
export async function readManifestFile(file: string): Promise<{ files: Map<string, MirroredFile>; journalLines: number; appendable: boolean } | null> {
  let saved: Partial<SavedManifest> | null
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as Partial<SavedManifest> | null
  } catch {
    return null
  }
  // One of SHA-256 versions (before protocol 5) names no version a peer announces now.
  if (saved?.versions !== SAVED_VERSIONS || typeof saved.files !== 'object' || saved.files === null) return null
  const files = new Map<string, MirroredFile>()
  for (const [rel, entry] of Object.entries(saved.files)) if (isEntry(entry)) files.set(rel, entry)
  const journal = await readJournal(file, saved.journal, SAVED_VERSIONS, isEntry)
  applyJournal(files, journal.changes)
  return { files, journalLines: journal.changes.length, appendable: journal.appendable }
}

export class ManifestFile {
  private readonly journal: RecordJournal<MirroredFile>

  /** `minLines`: see JOURNAL_MIN_LINES (tests write the whole record more often). */
  constructor(
    readonly file: string,
    minLines = JOURNAL_MIN_LINES,
  ) {
    this.journal = new RecordJournal(file, SAVED_VERSIONS, minLines)
  }

  /** The saved entries (record and journal), or none. */
  async load(): Promise<Map<string, MirroredFile>> {
    await this.journal.removeLeftovers()
    const read = await readManifestFile(this.file)
    this.journal.loaded(read ? { lines: read.journalLines, appendable: read.appendable } : null)
    return read?.files ?? new Map()
  }

  /**
   * Saves `changes` (null: removed), appended to the journal, or the whole of `all` (which holds
   * them) once the journal is as long as the mirror. `changes` and `all` are read before the first await.
   */
  save(changes: ReadonlyMap<string, MirroredFile | null>, all: ReadonlyMap<string, MirroredFile>): Promise<void> {
    return this.journal.save(changes, all.size, (journal) => JSON.stringify({ versions: SAVED_VERSIONS, journal, files: Object.fromEntries(all) } satisfies SavedManifest))
  }
}
