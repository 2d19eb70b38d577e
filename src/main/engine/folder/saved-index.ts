// The index as saved between runs, and the check it passes when read back: a file edited by hand
// or half written by a failing disk must not become entries that break every list later (a short
// version buffer did). Checked by hand: zod is the app's, and the client command must not load it.
import { readFile } from 'node:fs/promises'
import type { EventSink } from '../../../shared/events'
import { relativePathProblem } from '../../../shared/paths'
import { FileTable } from './file-table'
import { applyJournal, readJournal, type JournalRead } from './record-journal'
import { sameIdentity, type FolderIdentity } from './folder-identity'

/** What the saved versions are: absent in indexes of SHA-256 versions (before protocol 5). */
export const SAVED_VERSIONS = 'blocks-5'

export interface SavedIndex {
  versions: typeof SAVED_VERSIONS
  root: string
  /** Which folder was indexed (absent in indexes saved before it was kept). */
  folder?: FolderIdentity
  files: SavedEntry[]
  /** The journal that follows this record (record-journal.ts); none before journals. */
  journal?: string
}

export type SavedEntry = [path: string, version: string, size: number, mtimeMs: number, ino: number]

/**
 * The mtime of an entry its stats cannot vouch for (hashed while the file kept changing; saved
 * while racy): no file has it, so the folder server aborts the file and any look hashes it.
 */
export const UNTRUSTED_MTIME = -1

export interface LoadedEntry {
  path: string
  version: Buffer
  size: number
  mtimeMs: number
  ino: number
}

/**
 * What a saved index says: its entries and folder; 'other-folder' for an index of another shared
 * folder (not wrong, only not ours); 'older-versions' for one of SHA-256 versions (before
 * protocol 5); or what is wrong with it.
 */
export function readSavedIndex(text: string, root: string): { entries: LoadedEntry[]; folder: FolderIdentity | null; journal?: unknown } | 'other-folder' | 'older-versions' | { problem: string } {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message})` }
  }
  if (!isObject(data)) return { problem: 'it is not a JSON object' }
  if (data.root !== root) return typeof data.root === 'string' ? 'other-folder' : { problem: 'its root is not a path' }
  if (data.versions !== SAVED_VERSIONS) return 'older-versions'
  if (!Array.isArray(data.files)) return { problem: 'its files are not a list' }
  let folder: FolderIdentity | null = null
  if (data.folder !== undefined) {
    const f = data.folder
    if (!isObject(f) || !isNumber(f.dev) || !isNumber(f.ino) || !isNumber(f.birthtimeMs)) return { problem: 'its folder is not a device, inode and birth time' }
    folder = { dev: f.dev, ino: f.ino, birthtimeMs: f.birthtimeMs }
  }
  const entries: LoadedEntry[] = []
  for (const [i, entry] of (data.files as unknown[]).entries()) {
    const problem = entryProblem(entry)
    if (problem) return { problem: `entry ${i}: ${problem}` }
    entries.push(loadedEntryOf(entry as SavedEntry))
  }
  return { entries, folder, journal: data.journal }
}

function loadedEntryOf([path, version, size, mtimeMs, ino]: SavedEntry): LoadedEntry {
  return { path, version: Buffer.from(version, 'hex'), size, mtimeMs, ino }
}

/** A journal line's entry: as an entry of the record, for the path it is the line of. */
const isSavedEntry = (value: unknown): value is SavedEntry => entryProblem(value) === null

/**
 * The index saved at `statePath` for the folder at `root`: its files and which folder it was.
 * None when there is none, or it is of another folder, or it cannot be used (said as an error).
 */
export async function loadSavedIndex(statePath: string, root: string, onEvent: EventSink): Promise<{ files: FileTable<LoadedEntry>; folder: FolderIdentity | null; journal: JournalRead<SavedEntry> | null }> {
  const files = new FileTable<LoadedEntry>()
  let text: string
  try {
    text = await readFile(statePath, 'utf8')
  } catch {
    // No index yet, or an unreadable one: everything is hashed afresh.
    return { files, folder: null, journal: null }
  }
  const saved = readSavedIndex(text, root)
  // Another folder's, or versions of an older kind: not wrong, only of no use.
  if (saved === 'other-folder' || saved === 'older-versions') return { files, folder: null, journal: null }
  if ('problem' in saved) {
    // Nothing in it is trusted: a full scan, as on a first start.
    onEvent({ type: 'error', code: 'index-invalid', message: `the saved index ${statePath} is not used: ${saved.problem}; every file is hashed afresh` })
    return { files, folder: null, journal: null }
  }
  for (const entry of saved.entries) files.set(entry.path, entry)
  // Each line checked as an entry of the record is; a line for another path than its entry's is not one.
  const journal = await readJournal(statePath, saved.journal, SAVED_VERSIONS, isSavedEntry)
  const cut = journal.changes.findIndex(([rel, entry]) => entry !== null && entry[0] !== rel)
  if (cut !== -1) journal.changes.length = cut
  applyJournal(files, journal.changes.map(([rel, entry]) => [rel, entry && loadedEntryOf(entry)] as const))
  return { files, folder: saved.folder, journal: cut === -1 ? journal : { changes: journal.changes, appendable: false } }
}

/**
 * What is saved of the index `files` of the folder at `root`, which is `folder`. An entry its
 * stats cannot vouch for (`untrusted`: racy, or a snapshot) is stored so that a restart hashes it again.
 */
export function savedIndexOf(root: string, folder: FolderIdentity, files: Iterable<LoadedEntry & { snapshot?: boolean }>, untrusted: (rel: string) => boolean, journal?: string): SavedIndex {
  const entries: SavedEntry[] = []
  for (const f of files) entries.push(savedEntryOf(f, untrusted))
  return { versions: SAVED_VERSIONS, root, folder, files: entries, ...(journal === undefined ? {} : { journal }) }
}

/** One entry as saved (in the record, or a journal line). */
export function savedEntryOf(f: LoadedEntry & { snapshot?: boolean }, untrusted: (rel: string) => boolean): SavedEntry {
  return [f.path, f.version.toString('hex'), f.size, untrusted(f.path) || f.snapshot ? UNTRUSTED_MTIME : f.mtimeMs, f.ino]
}

/**
 * Whether the opening scan's index is worth a save: not when it is the very index loaded (same
 * folder, every entry the one loaded, as a scan keeps an unchanged file's), nor when both are empty.
 */
export function worthSavingAfterOpen(saved: Map<string, unknown>, savedFolder: FolderIdentity | null, files: Map<string, { path: string }>, folder: FolderIdentity): boolean {
  const unchanged = savedFolder !== null && sameIdentity(savedFolder, folder) && files.size === saved.size && [...files.values()].every((f) => saved.get(f.path) === f)
  const nothingYet = files.size === 0 && saved.size === 0
  return !unchanged && !nothingYet
}

function entryProblem(entry: unknown): string | null {
  if (!Array.isArray(entry) || entry.length !== 5) return 'the entry is not a list of path, version, size, mtime and inode'
  const [path, version, size, mtimeMs, ino] = entry as unknown[]
  if (typeof path !== 'string') return 'the path is not a string'
  const problem = relativePathProblem(path)
  if (problem) return `the path ${JSON.stringify(path)} may not be shared: ${problem}`
  if (typeof version !== 'string' || !/^[0-9a-f]{64}$/i.test(version)) return `the version of ${JSON.stringify(path)} is not 64 hex digits`
  if (!isCount(size) || !Number.isSafeInteger(size)) return `the size of ${JSON.stringify(path)} is not a whole number of bytes`
  if (!isCount(mtimeMs) && mtimeMs !== UNTRUSTED_MTIME) return `the mtime of ${JSON.stringify(path)} is not a time`
  if (!isCount(ino)) return `the inode of ${JSON.stringify(path)} is not a number`
  return null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** A finite number, not below 0. */
function isCount(value: unknown): value is number {
  return isNumber(value) && value >= 0
}
