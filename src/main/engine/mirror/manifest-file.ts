// A mirror's manifest on disk: a whole record written atomically now and then, and a journal of
// the changes since, one line each, appended. A save costs what changed, not the whole mirror; the
// whole record is written again once the journal has grown as long as the mirror has files.
// The journal's first line names the record it follows, so a kill -9 at any point leaves either
// the old record with its journal or the new one (whose journal is not there yet, or empty).
import { randomUUID } from 'node:crypto'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { removeLeftoverTemps, writeFileAtomic } from '../folder/atomic-write'

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

/** The journal's first line. */
interface JournalHead {
  versions: typeof SAVED_VERSIONS
  after: string
}

/** A journal line: a path and its entry, or null for a path removed. */
type JournalLine = [string, MirroredFile | null]

/** The whole record is written again once the journal holds this many lines, or as many as the mirror has files. */
export const JOURNAL_MIN_LINES = 4096

export function journalOf(file: string): string {
  return `${file}.journal`
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
  if (typeof saved.journal !== 'string') return { files, journalLines: 0, appendable: false }
  const text = await readFile(journalOf(file), 'utf8').catch(() => '')
  // Only lines a newline ends are whole: what follows the last one was cut by a kill.
  const lines = text.split('\n')
  const tail = lines.pop()
  let head: Partial<JournalHead> | null = null
  try {
    head = lines.length ? (JSON.parse(lines[0]!) as Partial<JournalHead>) : null
  } catch {
    head = null
  }
  // The journal of an older record (a kill between the record and its new journal): the record holds it all.
  if (head?.versions !== SAVED_VERSIONS || head.after !== saved.journal) return { files, journalLines: 0, appendable: false }
  let applied = 0
  for (const line of lines.slice(1)) {
    let change: JournalLine
    try {
      change = JSON.parse(line) as JournalLine
    } catch {
      return { files, journalLines: applied, appendable: false }
    }
    if (!Array.isArray(change) || typeof change[0] !== 'string' || (change[1] !== null && !isEntry(change[1]))) return { files, journalLines: applied, appendable: false }
    if (change[1] === null) files.delete(change[0])
    else files.set(change[0], change[1])
    applied++
  }
  return { files, journalLines: applied, appendable: tail === '' }
}

export class ManifestFile {
  /** Lines in the journal after its head. */
  private journalLines = 0
  /** Whether the journal on disk follows the record on disk and ends on a whole line. */
  private appendable = false

  /** `minLines`: see JOURNAL_MIN_LINES (tests write the whole record more often). */
  constructor(
    readonly file: string,
    private readonly minLines = JOURNAL_MIN_LINES,
  ) {}

  /** The saved entries (record and journal), or none. */
  async load(): Promise<Map<string, MirroredFile>> {
    await removeLeftoverTemps(this.file)
    await removeLeftoverTemps(journalOf(this.file))
    const read = await readManifestFile(this.file)
    this.journalLines = read?.journalLines ?? 0
    this.appendable = read?.appendable ?? false
    return read?.files ?? new Map()
  }

  /**
   * Saves `changes` (null: removed), appended to the journal, or the whole of `all` (which holds
   * them) once the journal is as long as the mirror. `changes` and `all` are read before the first await.
   */
  async save(changes: ReadonlyMap<string, MirroredFile | null>, all: ReadonlyMap<string, MirroredFile>): Promise<void> {
    if (changes.size === 0 && this.appendable) return
    if (this.appendable && this.journalLines + changes.size <= Math.max(this.minLines, all.size)) {
      let text = ''
      for (const change of changes) text += `${JSON.stringify(change satisfies JournalLine)}\n`
      this.journalLines += changes.size
      try {
        await appendFile(journalOf(this.file), text)
      } catch (error) {
        // What was appended of it is unknown: the next save writes the whole record.
        this.appendable = false
        throw error
      }
      return
    }
    const id = randomUUID()
    const record = JSON.stringify({ versions: SAVED_VERSIONS, journal: id, files: Object.fromEntries(all) } satisfies SavedManifest)
    this.appendable = false
    await mkdir(path.dirname(this.file), { recursive: true })
    await writeFileAtomic(this.file, record)
    await writeFileAtomic(journalOf(this.file), `${JSON.stringify({ versions: SAVED_VERSIONS, after: id } satisfies JournalHead)}\n`)
    this.journalLines = 0
    this.appendable = true
  }
}
