// Removing and renaming in a mirror never goes through a link planted in it: over real files,
// real links, and a folder outside the mirror that must stay as it was.
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { clearWay, wayIsReal } from '../../src/main/engine/mirror/mirror-way'
import { MirrorWriter, removeEmptyParents, removeFromMirror } from '../../src/main/engine/mirror/mirror-path'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { foldersOf, treeOf } from '../helpers/tree'

afterEach(() => removeTempDirs())

/** A mirror with a real folder, a file, and links of every kind; and a folder outside it. */
function plant(): { mirror: string; outside: string } {
  const outside = tempDir('outside-')
  writeFileSync(path.join(outside, 'x'), 'not the mirror’s')
  mkdirSync(path.join(outside, 'e'))
  const mirror = tempDir('mirror-')
  mkdirSync(path.join(mirror, 'real', 'deeper'), { recursive: true })
  writeFileSync(path.join(mirror, 'real', 'x'), 'mirrored')
  writeFileSync(path.join(mirror, 'file'), 'a file where a folder was')
  symlinkSync(outside, path.join(mirror, 'link'))
  symlinkSync(outside, path.join(mirror, 'real', 'link'))
  symlinkSync(path.join(outside, 'gone'), path.join(mirror, 'dangling'))
  symlinkSync(mirror, path.join(mirror, 'loop'))
  return { mirror, outside }
}

const isLink = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ?? false

describe('the way to a path in a mirror', () => {
  // target, whether the folders on its way all stand as real folders, the link on the way (if any)
  const cases: Array<[string, boolean, string | null]> = [
    ['top', true, null],
    ['real/x', true, null],
    ['real/deeper/x', true, null],
    ['missing/x', false, null],
    ['file/x', false, null],
    ['link/x', false, 'link'],
    ['link/e/f', false, 'link'],
    ['real/link/x', false, 'real/link'],
    ['dangling/x', false, 'dangling'],
    ['loop/real/x', false, 'loop'],
  ]

  it.each(cases)('%s: real %s, planted link %s', (rel, real, link) => {
    const { mirror, outside } = plant()
    const target = path.join(mirror, ...rel.split('/'))
    const before = { files: treeOf(outside), folders: foldersOf(outside) }
    expect(wayIsReal(target, mirror)).toBe(real)
    // Looking changes nothing.
    if (link) expect(isLink(path.join(mirror, link))).toBe(true)
    expect(clearWay(target, mirror)).toBe(real)
    // Clearing removes the link itself, never what it points to; a file on the way is not ours to judge.
    if (link) expect(existsSync(path.join(mirror, link)) || isLink(path.join(mirror, link))).toBe(false)
    expect(existsSync(path.join(mirror, 'file'))).toBe(true)
    expect({ files: treeOf(outside), folders: foldersOf(outside) }).toEqual(before)
  })
})

describe('removing from a mirror through a planted link', () => {
  it('removes the link, nothing outside: neither the file nor the folders left empty', async () => {
    const { mirror, outside } = plant()
    const before = { files: treeOf(outside), folders: foldersOf(outside) }
    await removeFromMirror(path.join(mirror, 'link', 'x'), mirror)
    await removeFromMirror(path.join(mirror, 'real', 'link', 'x'), mirror)
    await removeEmptyParents(path.join(mirror, 'link', 'e', 'f'), mirror)
    expect({ files: treeOf(outside), folders: foldersOf(outside) }).toEqual(before)
    expect(isLink(path.join(mirror, 'link')) || isLink(path.join(mirror, 'real', 'link'))).toBe(false)
    expect(existsSync(path.join(mirror, 'real', 'x'))).toBe(true)
  })

  it.each(['link', 'real/link', 'dangling'])('a write whose folder is a planted link (%s) replaces the link with a real folder', (link) => {
    const { mirror, outside } = plant()
    const before = { files: treeOf(outside), folders: foldersOf(outside) }
    const writer = new MirrorWriter()
    const target = path.join(mirror, ...link.split('/'), 'new.txt')
    const temp = writer.prepare(target, mirror)
    writeFileSync(temp, 'new')
    writer.commit(temp, target)
    expect(lstatSync(path.join(mirror, ...link.split('/'))).isDirectory()).toBe(true)
    expect(existsSync(target)).toBe(true)
    expect({ files: treeOf(outside), folders: foldersOf(outside) }).toEqual(before)
  })
})
