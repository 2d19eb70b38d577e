// What the shared folder does not share: `.syncignore` at its root, in gitignore syntax (parsed by
// the `ignore` package), after a built-in list of editor, system and download litter, so a `!`
// line in the file overrides a default. Paths are relative, '/'-separated; folders are asked
// about with a trailing slash, so `build/` matches the folder and, through it, all below. Where
// there is no file, the defaults alone are one test of a path's names (ignore-names.ts).
import { randomBytes } from 'node:crypto'
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Ignore } from 'ignore'
import { writeFileAtomic } from './atomic-write'
import { namePatternsTest } from './ignore-names'

export const IGNORE_FILE = '.syncignore'

/** A larger file is refused as not an ignore file (it would be read on every change to it). */
export const MAX_IGNORE_FILE_BYTES = 1024 * 1024

/**
 * Applied before the file's lines. Only names that are litter wherever they appear: swap, backup
 * and lock files of editors and office suites, folder litter of macOS, Windows and desktop trash,
 * downloads still under way; and the file itself (see docs/ARCHITECTURE.md).
 */
export const DEFAULT_IGNORES: readonly string[] = [
  // Vim's swap files and the file it writes to test a folder; Emacs's backups, autosaves, locks.
  '*.swp',
  '*.swo',
  '4913',
  '*~',
  '\\#*#',
  '.#*',
  // LibreOffice's and Microsoft Office's lock files.
  '.~lock.*#',
  '~$*',
  // Folder litter of macOS, Windows and desktop trash cans on removable disks.
  '.DS_Store',
  '[Tt]humbs.db',
  '[Dd]esktop.ini',
  '.Trash-*',
  '.Trashes',
  // Downloads under way (Firefox, Chrome, and dropbox-sync's own temp and partial files, TEMP_PREFIX:
  // a mirror copied into a shared folder mid-transfer must not spread them into peers' temp names).
  '*.part',
  '*.crdownload',
  '.dbs-tmp-*',
  `/${IGNORE_FILE}`,
]

/**
 * Answers kept per set of rules. The `ignore` package also caches every path it is asked about:
 * both start afresh once this many paths were asked, so neither grows without bound.
 */
const ANSWERS_KEPT = 50_000

type IgnoreFactory = typeof import('ignore')

let factory: IgnoreFactory | null = null

/**
 * Loaded on first use: the client command statically loads only commander (a start-up test).
 * Required, not imported: import() of this CommonJS package first lexes its whole file for named
 * exports, on the way to every start's first listen.
 */
function loadIgnore(): IgnoreFactory {
  factory ??= createRequire(import.meta.url)('ignore') as IgnoreFactory
  return factory
}

/** The defaults alone, as one test of a path's names; undefined until first asked for. */
let defaultsAlone: ((rel: string) => boolean) | null | undefined

export class IgnoreRules {
  private matcher: Ignore | null = null
  /**
   * Where the defaults alone are the rules (no file) and each is a name: asked instead of the
   * package, with no answer kept. Null: the package answers.
   */
  private readonly names: ((rel: string) => boolean) | null
  /**
   * By path (a folder's with a trailing slash). The index asks about every file as it walks, and
   * the folder server again for every file a peer asks for; the rules are the same until they
   * change, which makes new rules (a new IgnoreRules).
   */
  private readonly answers = new Map<string, boolean>()

  /**
   * `fileText`: the ignore file's text as read, or null where there is none. `make`: the package,
   * loaded only where it answers.
   */
  constructor(
    private readonly make: () => IgnoreFactory,
    readonly fileText: string | null,
  ) {
    if (fileText === null && defaultsAlone === undefined) defaultsAlone = namePatternsTest(DEFAULT_IGNORES)
    this.names = fileText === null ? (defaultsAlone ?? null) : null
    if (!this.names) this.matcher = this.build()
  }

  /** Whether `rel` (relative, '/'-separated, never '') is not to be shared. */
  ignores(rel: string, isFolder: boolean): boolean {
    if (this.names) return this.names(rel)
    const key = isFolder ? `${rel}/` : rel
    const known = this.answers.get(key)
    if (known !== undefined) return known
    if (this.answers.size >= ANSWERS_KEPT) {
      this.answers.clear()
      this.matcher = null
    }
    this.matcher ??= this.build()
    const answer = this.matcher.ignores(key)
    this.answers.set(key, answer)
    return answer
  }

  private build(): Ignore {
    // Case counts, as for git on Linux; paths are ours, never absolute.
    const matcher = this.make()({ ignoreCase: false, allowRelativePaths: true }).add(DEFAULT_IGNORES)
    return this.fileText === null ? matcher : matcher.add(this.fileText)
  }
}

/** The defaults, and the lines of `fileText` (null: no file) after them. */
export async function ignoreRules(fileText: string | null): Promise<IgnoreRules> {
  return new IgnoreRules(loadIgnore, fileText)
}

/** What a look at the ignore file found: its text, 'absent', or what is wrong with it. */
export type IgnoreRead = { text: string } | 'absent' | { problem: string }

/**
 * The ignore file at the folder's root: its text, 'absent', or what is wrong with it. A link is
 * not followed (no link is, anywhere in the folder); a byte order mark is dropped.
 */
export function readIgnoreFile(root: string): IgnoreRead {
  return lookAtIgnoreFile(root).read
}

/** A file's identity, size and mtime, which a write changes. */
function stampOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`
}

/**
 * readIgnoreFile, and the file's stamp (see stampOf): null where it changed while it was read, so
 * that two looks with the same stamp found the file as it was; 'absent' where there is none.
 */
export function lookAtIgnoreFile(root: string): { read: IgnoreRead; stamp: string | null } {
  const file = path.join(root, IGNORE_FILE)
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    if (code === 'ENOENT' || code === 'ENOTDIR') return { read: 'absent', stamp: 'absent' }
    const stamp = `${code}:${lstatStamp(file)}`
    if (code === 'ELOOP') return { read: { problem: 'it is a link, and links are not followed' }, stamp }
    return { read: { problem: `it cannot be read: ${message}` }, stamp }
  }
  try {
    const stats = fstatSync(fd)
    const before = stampOf(stats)
    const read = readOpened(fd, stats)
    const after = stampOf(fstatSync(fd))
    return { read, stamp: before === after ? before : null }
  } catch (error) {
    return { read: { problem: `it cannot be read: ${(error as Error).message}` }, stamp: null }
  } finally {
    closeSync(fd)
  }
}

function lstatStamp(file: string): string {
  try {
    return stampOf(lstatSync(file))
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown'
  }
}

function readOpened(fd: number, stats: Stats): IgnoreRead {
  if (!stats.isFile()) return { problem: 'it is not a regular file' }
  if (stats.size > MAX_IGNORE_FILE_BYTES) return { problem: `it is larger than 1 MiB (${stats.size} bytes)` }
  // Read to its end, not to the size just seen: a file that grew meanwhile is caught too.
  const chunks: Buffer[] = []
  let length = 0
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.max(stats.size + 1, 4096))
    const n = readSync(fd, chunk, 0, chunk.length, null)
    if (n === 0) break
    chunks.push(chunk.subarray(0, n))
    length += n
    if (length > MAX_IGNORE_FILE_BYTES) return { problem: 'it is larger than 1 MiB' }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, length)) }
  } catch {
    return { problem: 'it is not valid UTF-8' }
  }
}

/**
 * Replaces the ignore file at the folder's root with `text`, atomically; a watching index takes
 * the new rules from there. The temp file has a `.part` name, which the defaults keep unshared.
 */
export function writeIgnoreFile(root: string, text: string): Promise<void> {
  const temp = path.join(root, `${IGNORE_FILE}.${process.pid}-${randomBytes(4).toString('hex')}.part`)
  return writeFileAtomic(path.join(root, IGNORE_FILE), text, 0o666, temp)
}
