// A table saved as a whole record now and then, with a journal of the changes since, a line per
// path: a save costs what changed. The journal's first line names its record, so a kill leaves one whole pair.
import { randomUUID } from 'node:crypto'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { removeLeftoverTemps, writeFileAtomic } from './atomic-write'

/** The record is written again once the journal holds this many lines, or as many as the table has entries. */
export const JOURNAL_MIN_LINES = 4096

/** The journal beside the record at `file`. */
export function journalOf(file: string): string {
  return `${file}.journal`
}

/** The journal's first line. */
interface JournalHead {
  versions: string
  after: string
}

/** A journal line: a path and its entry, or null for a path removed. */
export type JournalLine<E> = [string, E | null]

export interface JournalRead<E> {
  /** The whole lines after the head, in order. */
  changes: Array<JournalLine<E>>
  /** Whether lines may be appended: the journal follows this record and ends on a whole line. */
  appendable: boolean
}

/**
 * The journal of the record at `file` that names `after` as its journal (none: a record from
 * before journals). Only lines a newline ends are whole; reading stops at the first that does not
 * check out.
 */
export async function readJournal<E>(file: string, after: unknown, versions: string, isEntry: (value: unknown) => value is E): Promise<JournalRead<E>> {
  const none: JournalRead<E> = { changes: [], appendable: false }
  if (typeof after !== 'string') return none
  const text = await readFile(journalOf(file), 'utf8').catch(() => '')
  const lines = text.split('\n')
  const tail = lines.pop()
  let head: Partial<JournalHead> | null = null
  try {
    head = lines.length ? (JSON.parse(lines[0]!) as Partial<JournalHead>) : null
  } catch {
    head = null
  }
  // The journal of an older record (a kill between the record and its new journal): the record holds it all.
  if (head?.versions !== versions || head.after !== after) return none
  const changes: Array<JournalLine<E>> = []
  for (const line of lines.slice(1)) {
    let change: unknown
    try {
      change = JSON.parse(line)
    } catch {
      return { changes, appendable: false }
    }
    if (!Array.isArray(change) || change.length !== 2 || typeof change[0] !== 'string' || (change[1] !== null && !isEntry(change[1]))) return { changes, appendable: false }
    changes.push(change as JournalLine<E>)
  }
  return { changes, appendable: tail === '' }
}

/** Applies a journal's changes to `table`, in order. */
export function applyJournal<E>(table: { set(key: string, value: E): unknown; delete(key: string): unknown }, changes: Iterable<JournalLine<E>>): void {
  for (const [rel, entry] of changes) {
    if (entry === null) table.delete(rel)
    else table.set(rel, entry)
  }
}

export class RecordJournal<E> {
  /** Lines in the journal after its head. */
  private lines = 0
  /** Whether the journal on disk follows the record on disk and ends on a whole line. */
  private appendable = false

  /** `minLines`: see JOURNAL_MIN_LINES (tests write the whole record more often). */
  constructor(
    readonly file: string,
    private readonly versions: string,
    private readonly minLines = JOURNAL_MIN_LINES,
  ) {}

  /** Temp files of saves a kill cut short: gone before anything is read. */
  async removeLeftovers(): Promise<void> {
    await removeLeftoverTemps(this.file)
    await removeLeftoverTemps(journalOf(this.file))
  }

  /** What was read at load: appends go on after it, if it may be appended to. */
  loaded(read: { lines: number; appendable: boolean } | null): void {
    this.lines = read?.lines ?? 0
    this.appendable = read?.appendable ?? false
  }

  /** The next save writes the whole record (the table was replaced, or the record says more than its entries). */
  rewrite(): void {
    this.appendable = false
  }

  /**
   * Saves `changes` (null: removed), appended to the journal, or the record `record(journalId)`
   * (which holds them, and names the journal) once the journal is as long as the table (`size`
   * entries). `changes` and the record are taken before the first await.
   */
  async save(changes: ReadonlyMap<string, E | null>, size: number, record: (journal: string) => string): Promise<void> {
    if (changes.size === 0 && this.appendable) return
    if (this.appendable && this.lines + changes.size <= Math.max(this.minLines, size)) {
      let text = ''
      for (const change of changes) text += `${JSON.stringify(change)}\n`
      this.lines += changes.size
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
    const text = record(id)
    this.appendable = false
    await mkdir(path.dirname(this.file), { recursive: true })
    await writeFileAtomic(this.file, text)
    await writeFileAtomic(journalOf(this.file), `${JSON.stringify({ versions: this.versions, after: id } satisfies JournalHead)}\n`)
    this.lines = 0
    this.appendable = true
  }
}
