// A peer's listed files on a disk that folds names (mirror/listed-files.ts), which spelling the
// mirror holds when two clash, and the manifest's view of the one file each name is there.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ListedFiles, clashWinner } from '../../src/main/engine/mirror/listed-files'
import { MirrorManifest } from '../../src/main/engine/mirror/mirror-manifest'
import { nameFold } from '../../src/main/engine/folder/disk-names'

const entry = (rel: string): { path: string; version: string; size: number } => ({ path: rel, version: 'aa'.repeat(32), size: 1 })
const folds = nameFold({ case: true, unicode: true })!

describe('ListedFiles', () => {
  it('knows the other spellings of a name as paths come and go, and none where names are told apart', () => {
    const listed = new ListedFiles(folds)
    for (const rel of ['README.md', 'Readme.md', 'docs/a.txt', 'DOCS/A.txt', 'readme.MD', 'e\u0301.txt']) listed.set(rel, entry(rel))
    expect(listed.spellingsOf('README.md').sort()).toEqual(['Readme.md', 'readme.MD'])
    expect(listed.spellingsOf('docs/A.TXT').sort()).toEqual(['DOCS/A.txt', 'docs/a.txt'])
    expect(listed.spellingsOf('\u00e9.txt')).toEqual(['e\u0301.txt'])
    expect(listed.spellingsOf('e\u0301.txt')).toEqual([])
    listed.set('README.md', entry('README.md')) // set again: still one spelling
    listed.delete('readme.MD')
    expect(listed.spellingsOf('Readme.md')).toEqual(['README.md'])
    listed.delete('README.md')
    expect(listed.spellingsOf('Readme.md')).toEqual([])
    expect(listed.has('Readme.md')).toBe(true)
    expect(listed.size).toBe(4)

    const apart = new ListedFiles(null)
    apart.set('README.md', entry('README.md'))
    apart.set('Readme.md', entry('Readme.md'))
    expect(apart.spellingsOf('README.md')).toEqual([])
  })
})

describe('clashWinner', () => {
  it.each<[string, string[], string | undefined, string | undefined]>([
    // [this path, its other spellings listed, the spelling the mirror holds, the one mirrored instead of it]
    ['a.txt', [], undefined, undefined],
    ['Readme.md', ['README.md'], undefined, 'README.md'], // the first in code-unit order
    ['README.md', ['Readme.md'], undefined, undefined],
    ['README.md', ['Readme.md'], 'Readme.md', 'Readme.md'], // held already: it stays
    ['Readme.md', ['README.md'], 'Readme.md', undefined],
    ['README.md', ['Readme.md'], 'readme.md', undefined], // held one no longer listed: order decides
    ['b', ['C', 'a'], undefined, 'C'],
  ])('%s beside %j, mirror holding %s: %s', (rel, spellings, held, winner) => {
    expect(clashWinner(rel, spellings, held)).toBe(winner)
  })
})

describe('MirrorManifest on a disk that folds names', () => {
  it('holds one path per file on disk: the spelling placed last, found under any spelling', () => {
    const manifest = new MirrorManifest(path.join('/nonexistent', 'peer'), path.join('/nonexistent', 'm.json'), folds)
    manifest.set('case.txt', 'aa'.repeat(32), 1, 1)
    expect(manifest.holderOf('CASE.TXT')).toBe('case.txt')
    manifest.set('CASE.txt', 'aa'.repeat(32), 1, 2)
    expect([...manifest.files.keys()]).toEqual(['CASE.txt'])
    expect(manifest.holderOf('case.txt')).toBe('CASE.txt')
    expect(manifest.pathWith('aa'.repeat(32))).toBe('CASE.txt')
    manifest.delete('case.txt') // not held: nothing changes
    expect(manifest.holderOf('case.txt')).toBe('CASE.txt')
    manifest.delete('CASE.txt')
    expect(manifest.holderOf('case.txt')).toBeUndefined()

    const apart = new MirrorManifest(path.join('/nonexistent', 'peer'), path.join('/nonexistent', 'm.json'))
    apart.set('case.txt', 'aa'.repeat(32), 1, 1)
    apart.set('CASE.txt', 'aa'.repeat(32), 1, 2)
    expect(apart.holderOf('CASE.txt')).toBe('CASE.txt')
    expect(apart.holderOf('Case.txt')).toBeUndefined()
    expect(apart.files.size).toBe(2)
  })
})
