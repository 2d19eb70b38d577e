// Putting a kept version back: copied into a folder the user picks (never a mirror, which the next
// sync makes match its peer again), checked against its version before it gets its name. The copy
// is made under a `.part` name, which the built-in ignore list keeps out of a shared folder's index.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, realpathSync, renameSync, rmSync, statSync } from 'node:fs'
import { linkOrCopy } from '../util/hard-links'
import path from 'node:path'
import { Transform } from 'node:stream'
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { localDate, restoredName } from '../../../shared/restored-name'
import type { KeptVersion } from './history-reader'
import { loadBlockHash } from '../blocks/block-hash'
import { VersionHasher } from '../blocks/version-hasher'

/** What to do when the folder has a file of that name: refuse, replace it, or pick a free name. */
export type OnExisting = 'refuse' | 'replace' | 'keep-both'

export type RestoreProblem = 'not-a-folder' | 'inside-mirror' | 'exists' | 'changed' | 'no-free-name'

export class RestoreError extends Error {
  constructor(
    readonly code: RestoreProblem,
    message: string,
    /** The file the restore would have made (for 'exists'). */
    readonly target?: string,
  ) {
    super(message)
    this.name = 'RestoreError'
  }
}

/** Names tried beside the original before giving up (`name (restored DATE 2).ext`, …). */
const FREE_NAMES = 100

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

function realOrSame(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/**
 * The real path of the folder to restore into; refused when it is not a folder or lies inside
 * the mirror root (the next sync would remove the file again).
 */
export function restoreFolder(to: string, mirrorRoot: string): string {
  let real: string
  try {
    real = realpathSync(to)
    if (!statSync(real).isDirectory()) throw new RestoreError('not-a-folder', `not restoring into ${to}: it is not a folder`)
  } catch (error) {
    if (error instanceof RestoreError) throw error
    throw new RestoreError('not-a-folder', `not restoring into ${to}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such folder' : (error as Error).message}`)
  }
  if (isInside(real, realOrSame(mirrorRoot))) {
    throw new RestoreError(
      'inside-mirror',
      `not restoring into ${to}: it is inside the mirror folder ${mirrorRoot}, which the next sync makes match its peer again (the file would be removed); pick a folder outside it`,
    )
  }
  return real
}

/**
 * Copies `version` into the folder `to` under its own name (or, with 'keep-both' and that name
 * taken, the first free `restoredName`), checked against its recorded version (or SHA-256). The file appears whole or
 * not at all, and never over an existing one unless 'replace'.
 */
export async function restoreVersion(version: KeptVersion, mirrorRoot: string, to: string, onExisting: OnExisting, now = new Date()): Promise<{ target: string; renamed: boolean }> {
  const folder = restoreFolder(to, mirrorRoot)
  const name = path.posix.basename(version.path)
  const temp = path.join(folder, `.dbs-restore-${process.pid}-${randomBytes(4).toString('hex')}.part`)
  try {
    const recorded = version.version ?? version.sha256 ?? ''
    const digest = await copyHashing(version.file, temp, version.version ? 'version' : 'sha256')
    if (digest !== recorded) {
      throw new RestoreError(
        'changed',
        `the kept copy of ${version.path} no longer has the content recorded for it (${digest.slice(0, 12)}…, recorded ${recorded.slice(0, 12)}…); not restored`,
      )
    }
    return place(temp, folder, name, onExisting, localDate(now))
  } finally {
    rmSync(temp, { force: true })
  }
}

function place(temp: string, folder: string, name: string, onExisting: OnExisting, date: string): { target: string; renamed: boolean } {
  const target = path.join(folder, name)
  if (onExisting === 'replace') {
    renameSync(temp, target)
    return { target, renamed: false }
  }
  const tries = onExisting === 'keep-both' ? FREE_NAMES : 0
  for (let attempt = 0; attempt <= tries; attempt++) {
    const candidate = attempt === 0 ? target : path.join(folder, restoredName(name, date, attempt))
    try {
      // A link fails on a name taken, even by a file that appeared meanwhile; so does an exclusive
      // copy, where the disk has no hard links.
      linkOrCopy(temp, candidate)
      return { target: candidate, renamed: attempt > 0 }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  if (onExisting === 'refuse') throw new RestoreError('exists', `${target} exists`, target)
  throw new RestoreError('no-free-name', `not restored: ${target} and ${FREE_NAMES} restored copies of it exist in ${folder}; move some away`)
}

/**
 * Copies `from` to a new file `to`, returning the version (or, for a copy kept before versions
 * were made of blocks, the SHA-256) of what was copied; '' when it changed size meanwhile.
 */
async function copyHashing(from: string, to: string, kind: 'version' | 'sha256'): Promise<string> {
  await loadBlockHash()
  const source = await open(from, 'r')
  try {
    const { size } = await source.stat()
    const hash = kind === 'version' ? new VersionHasher(size) : createHash('sha256')
    let taken = 0
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        taken += chunk.length
        if (taken <= size) hash.update(chunk)
        done(null, chunk)
      },
    })
    await pipeline(source.createReadStream({ autoClose: false }), tap, createWriteStream(to, { flags: 'wx' }))
    if (taken !== size) return ''
    return hash instanceof VersionHasher ? hash.digest().toString('hex') : hash.digest('hex')
  } finally {
    await source.close()
  }
}
