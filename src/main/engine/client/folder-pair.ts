// The shared folder and the mirror folder, checked as the disk has them: symlinks resolved, and a
// mirror folder yet to be made judged by where it would be made. Mirrors are never served, so
// neither folder may be, contain, or lie inside the other, however the paths are spelled. The one
// place the CLI, the engine and the app's Settings take these rules from.
import { existsSync, realpathSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { STATE_FOLDER } from '../mirror/mirror-coordinator'

/**
 * The nearest of `p` and its ancestors that exists, whether it is a folder, and the names below
 * it that do not exist yet.
 */
function nearestExisting(p: string): { path: string; isFolder: boolean; missing: string[] } {
  const missing: string[] = []
  let current = path.resolve(p)
  for (;;) {
    try {
      return { path: current, isFolder: statSync(current).isDirectory(), missing: missing.reverse() }
    } catch {
      const parent = path.dirname(current)
      if (parent === current) return { path: current, isFolder: true, missing: missing.reverse() }
      missing.push(path.basename(current))
      current = parent
    }
  }
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
export function realish(p: string): string {
  const { path: existing, missing } = nearestExisting(p)
  try {
    return path.join(realpathSync(existing), ...missing)
  } catch {
    return path.resolve(p)
  }
}

/** True when `inner` is `outer` or lies inside it (both absolute and normalized). */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

/**
 * Why this folder cannot be shared, or null: the root folder or the system's temp folder itself
 * (folders inside the temp folder are fine).
 */
export function sharedFolderProblem(dir: string): string | null {
  const shared = realish(dir)
  const why = 'everything in it would be shared, and its churn never stops; share a folder inside it'
  if (shared === path.parse(shared).root) return `the shared folder ${shared} is the root folder: ${why}`
  if (shared === realish(os.tmpdir())) return `the shared folder ${shared} is the system's temp folder: ${why}`
  return null
}

/** The mirror folder `p` lies inside (not `p` itself): its nearest ancestor holding `.dropbox-sync`, or null. */
export function enclosingMirror(p: string): string | null {
  let current = realish(p)
  for (let parent = path.dirname(current); parent !== current; parent = path.dirname(current)) {
    current = parent
    if (existsSync(path.join(current, STATE_FOLDER))) return current
  }
  return null
}

/** Why this pair of folders cannot work, or null. */
export function folderPairProblem(dir: string, mirrorDir: string): string | null {
  const unshareable = sharedFolderProblem(dir)
  if (unshareable) return unshareable
  const blocker = nearestExisting(mirrorDir)
  if (!blocker.isFolder) {
    return blocker.path === path.resolve(mirrorDir)
      ? `the mirror folder ${blocker.path} is a file, not a folder`
      : `the mirror folder ${path.resolve(mirrorDir)} cannot be made: ${blocker.path} is a file`
  }
  const shared = realish(dir)
  const mirrors = realish(mirrorDir)
  if (shared === mirrors) return 'the mirror folder cannot be the shared folder'
  if (within(mirrors, shared)) return `the mirror folder ${mirrors} is inside the shared folder ${shared}; mirrors are never shared`
  if (within(shared, mirrors)) return `the shared folder ${shared} is inside the mirror folder ${mirrors}`
  return nestedMirrorProblem(mirrorDir)
}

/** A mirror folder inside another one (its root or a peer's folder in it), which syncs over what lies in it. */
export function nestedMirrorProblem(mirrorDir: string): string | null {
  const outer = enclosingMirror(mirrorDir)
  return outer && `the mirror folder ${realish(mirrorDir)} is inside ${outer}, another mirror folder (it holds ${STATE_FOLDER}); mirrors cannot nest, choose one outside it`
}

/**
 * Why this config folder cannot go with this pair, or null: inside the shared folder its private
 * key would reach every peer (which could then be this device); inside the mirror folder a sync
 * could remove it.
 */
export function configFolderProblem(configDir: string, dir: string, mirrorDir: string): string | null {
  const config = realish(configDir)
  const shared = realish(dir)
  const mirrors = realish(mirrorDir)
  if (within(config, shared)) return `the config folder ${config} is inside the shared folder ${shared}: its private key would reach every peer`
  if (within(config, mirrors)) return `the config folder ${config} is inside the mirror folder ${mirrors}, which syncs change`
  return null
}
