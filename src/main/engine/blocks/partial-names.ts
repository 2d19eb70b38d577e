// The names of partial files (see partial-file.ts) and their tidying: which temp file is a partial,
// of which file and version, and when one is given up.
import { createHash } from 'node:crypto'
import { lstat, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { pathInMirror, removeFromMirror, TEMP_PREFIX } from '../mirror/mirror-path'

export const PARTIAL_PREFIX = `${TEMP_PREFIX}part-`
/** A partial untouched this long is given up: sweepPartials and the strays sweep remove it. */
export const PARTIAL_MAX_AGE_MS = 24 * 60 * 60 * 1000

const PARTIAL_NAME = new RegExp(`^${PARTIAL_PREFIX.replaceAll('.', '\\.')}[0-9a-f]{16}-[0-9a-f]{8}$`)

/** The partial's name for `rel` at `version`: 16 hex of the version, 8 of a hash of the file name. */
export function partialName(rel: string, version: Buffer): string {
  const nameHash = createHash('sha256').update(path.posix.basename(rel)).digest('hex')
  return `${PARTIAL_PREFIX}${version.toString('hex').slice(0, 16)}-${nameHash.slice(0, 8)}`
}

/** Where the partial of `rel` at `version` lies: beside `target`, its final path. */
export function partialBeside(target: string, rel: string, version: Buffer): string {
  return path.join(path.dirname(target), partialName(rel, version))
}

/**
 * Removes the partials beside `rel`'s final path that are of another version than `version`: a
 * newer version supersedes them, and nothing would ever resume them.
 */
export async function removeOtherPartials(folder: string, rel: string, version: Buffer): Promise<void> {
  const where = pathInMirror(folder, rel)
  if ('problem' in where) return
  const keep = partialName(rel, version)
  const ofThisName = keep.slice(keep.lastIndexOf('-'))
  const dir = path.dirname(where.path)
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name !== keep && isPartialTemp(name) && name.endsWith(ofThisName)) await rm(path.join(dir, name), { force: true })
  }
}

export function isPartialTemp(name: string): boolean {
  return PARTIAL_NAME.test(name)
}

/** A partial a later try may still resume: the strays sweep leaves it. */
export function isYoungPartial(name: string, mtimeMs: number, now: number, maxAgeMs = PARTIAL_MAX_AGE_MS): boolean {
  return isPartialTemp(name) && now - mtimeMs < maxAgeMs
}

/**
 * Removes the partials under a mirror folder untouched for `maxAgeMs` (and the folders that
 * leaves empty), never through a link. Returns how many went.
 */
export async function sweepPartials(folder: string, now = Date.now(), maxAgeMs = PARTIAL_MAX_AGE_MS): Promise<number> {
  let removed = 0
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const abs = path.join(dir, entry.name)
      if (entry.isDirectory()) await walk(abs)
      else if (entry.isFile() && isPartialTemp(entry.name)) {
        const stats = await lstat(abs).catch(() => null)
        if (!stats || isYoungPartial(entry.name, stats.mtimeMs, now, maxAgeMs)) continue
        await removeFromMirror(abs, folder)
        removed++
      }
    }
  }
  await walk(folder)
  return removed
}
