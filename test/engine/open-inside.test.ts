// Looks and opens inside a shared folder, on real files: a folder on the way swapped for a link
// never leads out, whether the swap comes between two turns of the event loop or within one
// (where the folders opened in the turn are kept).
import { closeSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { identityOf } from '../../src/main/engine/folder/folder-identity'
import { GONE_CODES } from '../../src/main/engine/folder/lstat-or-why'
import { InsideFolder } from '../../src/main/engine/folder/open-inside'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

const INSIDE = 'inside the shared folder\n'
const SECRET = 'OUTSIDE-SECRET\n'

function folders(): { root: string; outside: string; inside: InsideFolder } {
  const root = tempDir('inside-')
  mkdirSync(path.join(root, 'a', 'sw'), { recursive: true })
  writeFileSync(path.join(root, 'a', 'sw', 'secret.txt'), INSIDE)
  const outside = tempDir('outside-')
  writeFileSync(path.join(outside, 'secret.txt'), SECRET)
  const identity = identityOf(lstatSync(root))
  return { root, outside, inside: new InsideFolder(root, () => identity) }
}

function read(inside: InsideFolder, rel: string): string {
  const fd = inside.openFile(rel)
  try {
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

function swapForLink(root: string, outside: string): void {
  renameSync(path.join(root, 'a', 'sw'), path.join(root, 'a', 'sw.moved'))
  symlinkSync(outside, path.join(root, 'a', 'sw'))
}

describe('inside the folder', () => {
  it('a folder swapped for a link between two turns: the path counts as gone, and nothing outside is opened', async () => {
    const { root, outside, inside } = folders()
    expect(read(inside, 'a/sw/secret.txt')).toBe(INSIDE)
    await nextTurn()
    swapForLink(root, outside)
    await nextTurn()
    expect(inside.lstat('a/sw/secret.txt')).toBe('absent')
    expect(() => inside.openFile('a/sw/secret.txt')).toThrow(expect.objectContaining({ code: expect.stringMatching([...GONE_CODES].join('|')) }))
    expect(() => inside.readFolder('a/sw')).toThrow()
    // The folder itself, moved, is still read where it is now.
    expect(read(inside, 'a/sw.moved/secret.txt')).toBe(INSIDE)
  })

  it('a folder swapped for a link within the turn it was opened in: looks go on in the folder opened, never through the link', () => {
    const { root, outside, inside } = folders()
    expect(inside.lstat('a/sw/secret.txt')).not.toBe('absent')
    swapForLink(root, outside)
    // Same turn: the folder kept is the one moved aside, inside the shared folder still.
    expect(read(inside, 'a/sw/secret.txt')).toBe(INSIDE)
    expect(inside.readFolder('a/sw').map((entry) => entry.name)).toEqual(['secret.txt'])
  })

  it('the shared folder itself swapped for a link is not looked into', async () => {
    const { root, inside } = folders()
    expect(read(inside, 'a/sw/secret.txt')).toBe(INSIDE)
    await nextTurn()
    renameSync(root, `${root}-moved`)
    symlinkSync(`${root}-moved`, root)
    expect(inside.lstat('a/sw/secret.txt')).toBe('absent')
    expect(() => inside.openFile('a/sw/secret.txt')).toThrow()
    rmSync(root)
    renameSync(`${root}-moved`, root)
  })
})
