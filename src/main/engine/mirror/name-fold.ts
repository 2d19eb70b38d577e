// Whether the disk under the mirrors tells apart names that differ only in upper/lower case
// (macOS, Windows, exFAT) or in Unicode normalization (macOS): there, `README.md` and
// `Readme.md` of a Linux peer are one file, and every comparison of names must fold them alike.
import { randomBytes } from 'node:crypto'
import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** A path as the disk compares it: two paths with the same fold are one file there. */
export type NameFold = (rel: string) => string

export interface DiskFolds {
  case: boolean
  unicode: boolean
}

/** The fold of a disk that folds as `folds` says, or null for one that tells every name apart. */
export function nameFold(folds: DiskFolds): NameFold | null {
  if (folds.case && folds.unicode) return (rel) => rel.normalize('NFC').toLowerCase()
  if (folds.case) return (rel) => rel.toLowerCase()
  if (folds.unicode) return (rel) => rel.normalize('NFC')
  return null
}

/**
 * Asks the disk under `dir` (which must exist) by making a file and looking it up under a name
 * that differs in case, then one in the other normalization. Anything unclear counts as not folding.
 */
export function probeDiskFolds(dir: string): DiskFolds {
  const stem = `.dbs-fold-${process.pid}-${randomBytes(4).toString('hex')}`
  return {
    case: sameFileUnder(path.join(dir, `${stem}-a`), path.join(dir, `${stem}-A`)),
    unicode: sameFileUnder(path.join(dir, `${stem}-\u00e9`), path.join(dir, `${stem}-e\u0301`)),
  }
}

function sameFileUnder(made: string, other: string): boolean {
  try {
    writeFileSync(made, '', { flag: 'wx' })
  } catch {
    return false
  }
  // The name is new and random: found under the other spelling, it can only be the file just made
  // (inode numbers do not tell, FUSE disks number each lookup anew).
  try {
    return lstatSync(other, { throwIfNoEntry: false }) !== undefined
  } finally {
    rmSync(made, { force: true })
  }
}

/** The fold of the disk under `dir` (made if missing); null, with the problem said, where it cannot be asked. */
export function foldOfDisk(dir: string, problem: (message: string) => void): NameFold | null {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    problem(`asking the disk under ${dir} how it compares names: ${(error as Error).message}`)
    return null
  }
  return nameFold(probeDiskFolds(dir))
}
