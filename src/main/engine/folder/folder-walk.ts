// The walk of the shared folder: every regular file below a folder, with its stats, leaving out
// what the ignore rules leave out and never following a link (every look goes through
// open-inside.ts). It holds no state of its own: what it passes over is told to its caller.
import type { Dirent } from 'node:fs'
import path from 'node:path'
import { relativePathProblem } from '../../../shared/paths'
import { Breather } from '../util/breather'
import { childPath } from './file-table'
import type { FileStats } from './file-hashing'
import { GONE_CODES } from './lstat-or-why'
import type { InsideFolder } from './open-inside'

/** What a walk needs to know, and whom it tells what it leaves out. */
export interface WalkRules {
  readonly inside: InsideFolder
  /** Whether the ignore rules leave `rel` out. */
  ignores(rel: string, isFolder: boolean): boolean
  /** A file or folder the rules left out was passed over (a folder counts once: it is not looked into). */
  ignored(): void
  /** A path that cannot be shared, and why. */
  unshareable(rel: string, problem: string): void
}

/**
 * Every shareable file below `dir` (the folder at `prefix` inside the shared one), with
 * synchronous calls (see hash.ts for why), giving the event loop a turn every few milliseconds,
 * the caller's work on each file included. A folder that could not be read, or in which a file
 * could not be looked at, goes into `unread`.
 */
export async function* walkFolder(
  rules: WalkRules,
  dir: string,
  prefix: string,
  unread = new Set<string>(),
  breather = new Breather(),
): AsyncGenerator<[string, FileStats]> {
  let entries: Dirent[]
  try {
    // A folder reached through a link (one on the way swapped for it) holds nothing here.
    entries = rules.inside.readFolder(prefix)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    // Gone meanwhile, or (a name that is not UTF-8 comes back with U+FFFD) never to be found. One
    // not readable now (its permissions) is said, or what it holds would just not reach peers.
    if (!GONE_CODES.has(code)) {
      unread.add(prefix)
      if (prefix !== '') rules.unshareable(prefix, `the folder cannot be read now (${code || String(error)})`)
    } else if (prefix.includes('\uFFFD')) rules.unshareable(prefix, 'the name is not valid UTF-8')
    return
  }
  for (const entry of entries) {
    await breather.breathe()
    const rel = childPath(prefix, entry.name)
    // An ignored folder is not looked into: a node_modules costs one lookup.
    if ((entry.isDirectory() || entry.isFile()) && rules.ignores(rel, entry.isDirectory())) {
      rules.ignored()
      continue
    }
    if (entry.isDirectory()) {
      yield* walkFolder(rules, path.join(dir, entry.name), rel, unread, breather)
    } else if (entry.isFile()) {
      const problem = relativePathProblem(rel)
      if (problem) {
        rules.unshareable(rel, problem)
        continue
      }
      const stats = rules.inside.lstatListed(rel)
      if (stats === 'unreadable') unread.add(prefix)
      else if (stats !== 'absent' && stats.isFile()) yield [rel, stats]
      // Node reads a name that is not UTF-8 with U+FFFD in it, and then cannot find it.
      else if (stats === 'absent' && entry.name.includes('\uFFFD')) rules.unshareable(rel, 'the name is not valid UTF-8')
    }
  }
}

/** Whether the folder at `root` holds, at any depth, one file a walk would yield. Stops at the first. */
export async function holdsAShareableFile(rules: WalkRules, root: string): Promise<boolean> {
  for await (const _file of walkFolder(rules, root, '')) return true
  return false
}
