// How the disk under the mirrors treats names, asked of the disk itself: whether it tells apart
// names that differ only in upper/lower case (not on macOS, Windows, exFAT) or in Unicode
// normalization (not on macOS), where `README.md` and `Readme.md` of a Linux peer are one file;
// and which characters it refuses in a name (FAT, exFAT and Windows refuse `:*?"<>|`).
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

/** Characters some disks refuse in a name; each is asked of the disk at start (U+0001 for every control character). */
export const CHARACTERS_TO_ASK = ':*?"<>|\x01'
const CONTROLS = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('')

/** Which of CHARACTERS_TO_ASK the disk under `dir` refuses in a name (a file with it cannot be made). */
export function probeRefusedCharacters(dir: string): string {
  let refused = ''
  for (const char of CHARACTERS_TO_ASK) {
    const name = path.join(dir, `.dbs-name-${process.pid}-${randomBytes(4).toString('hex')}-${char}`)
    try {
      writeFileSync(name, '', { flag: 'wx' })
      rmSync(name, { force: true })
    } catch {
      refused += char === '\x01' ? CONTROLS : char
    }
  }
  return refused
}

/** A name Windows takes for a device (`CON`, `nul.txt`, `COM1.log`), whatever follows its first dot. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9\u00b9\u00b2\u00b3]|lpt[1-9\u00b9\u00b2\u00b3])(\..*)?$/i

export interface NameRules {
  /** The characters the disk refuses in a name ('' for none). */
  refused: string
  /** Windows' own rules too: device names, and no trailing dot or space (Windows drops them, so `a.` would be `a`). */
  windows: boolean
}

/** Why a disk with these rules cannot hold `rel`, or null when it can. */
export function refusedNameProblem(rel: string, rules: NameRules): string | null {
  if (rules.refused) {
    const found = [...new Set([...rel].filter((char) => rules.refused.includes(char)))]
    if (found.length > 0) {
      const shown = found.map((char) => (char < ' ' ? `U+${char.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}` : char)).join(' ')
      return `this disk refuses ${shown} in a name`
    }
  }
  if (!rules.windows) return null
  for (const name of rel.split('/')) {
    if (WINDOWS_DEVICE.test(name)) return `${name} is a device name on Windows`
    if (name.endsWith('.') || name.endsWith(' ')) return `Windows drops the dot or space that ends ${JSON.stringify(name)}`
  }
  return null
}

export interface DiskNames extends NameRules {
  /** Null where the disk tells every name apart. */
  fold: NameFold | null
}

/** How the disk under `dir` (made if missing) treats names; as a disk that refuses nothing where it cannot be asked (the problem said). */
export function askDisk(dir: string, problem: (message: string) => void): DiskNames {
  const windows = process.platform === 'win32'
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    problem(`asking the disk under ${dir} how it treats names: ${(error as Error).message}`)
    return { fold: null, refused: '', windows }
  }
  return { fold: nameFold(probeDiskFolds(dir)), refused: probeRefusedCharacters(dir), windows }
}

/**
 * Whether the disk of the shared folder `root` (device `dev`) folds case or Unicode forms; asked
 * beside its index (`stateDir`) when that is on the same disk, so no probe file shows in the folder.
 */
export function foldsNames(root: string, stateDir: string, dev: number): boolean {
  let dir = root
  try {
    mkdirSync(stateDir, { recursive: true })
    if (lstatSync(stateDir).dev === dev) dir = stateDir
  } catch {
    // Asked in the folder itself, then.
  }
  const folds = probeDiskFolds(dir)
  return folds.case || folds.unicode
}
