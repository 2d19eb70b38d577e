// respellFolders on real folders: the disk here tells names apart, so each case lays out what a
// folding disk would show (the folder as made) beside what the mirror's files now spell.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { nameFold } from '../../src/main/engine/folder/disk-names'
import { FileTable } from '../../src/main/engine/folder/file-table'
import { respellFolders } from '../../src/main/engine/mirror/folder-spellings'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

const caseFold = nameFold({ case: true, unicode: true })!

function layout(root: string, files: string[]): void {
  for (const rel of files) {
    mkdirSync(path.join(root, path.dirname(rel)), { recursive: true })
    writeFileSync(path.join(root, rel), rel)
  }
}

/** Every file below `root`, as the disk spells it. */
function onDisk(root: string, rel = ''): string[] {
  return readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((entry) => {
    const child = rel ? `${rel}/${entry.name}` : entry.name
    return entry.isDirectory() ? onDisk(root, child) : [child]
  }).sort()
}

const cases: Array<{ name: string; disk: string[]; held: string[]; placed: string[]; after: string[]; renamed: Array<[string, string]> }> = [
  { name: 'a folder renamed in case at the peer takes its files\' spelling', disk: ['Dir/a'], held: ['DIR/a'], placed: ['DIR'], after: ['DIR/a'], renamed: [['Dir', 'DIR']] },
  { name: 'enclosing folders first, each to its files\' spelling', disk: ['a/b/c'], held: ['A/B/c'], placed: ['A/B'], after: ['A/B/c'], renamed: [['a', 'A'], ['A/b', 'A/B']] },
  { name: 'files still held under the disk\'s spelling: the folder stays', disk: ['Dir/a', 'Dir/b'], held: ['Dir/a', 'DIR/b'], placed: ['DIR'], after: ['Dir/a', 'Dir/b'], renamed: [] },
  { name: 'a folder already spelled as its files: nothing', disk: ['DIR/a'], held: ['DIR/a'], placed: ['DIR'], after: ['DIR/a'], renamed: [] },
  { name: 'a folder the mirror holds nothing below: nothing', disk: ['Dir/a'], held: ['other'], placed: ['DIR'], after: ['Dir/a'], renamed: [] },
  { name: 'a folder not on disk: nothing', disk: ['x'], held: ['DIR/a'], placed: ['DIR'], after: ['x'], renamed: [] },
  { name: 'Unicode forms fold too (NFD on disk, NFC held)', disk: ['cafe\u0301/a'], held: ['caf\u00e9/a'], placed: ['caf\u00e9'], after: ['caf\u00e9/a'], renamed: [['cafe\u0301', 'caf\u00e9']] },
]

describe('respellFolders', () => {
  it.each(cases)('$name', ({ disk, held, placed, after, renamed }) => {
    const root = tempDir('spellings-')
    layout(root, disk)
    const table = new FileTable<true>()
    for (const rel of held) table.set(rel, true)
    const result = respellFolders(root, placed, table, caseFold)
    expect(result.failed).toEqual([])
    expect(result.renamed).toEqual(renamed)
    expect(onDisk(root)).toEqual(after)
  })

  it('never renames a link planted in the mirror, nor anything it leads to', () => {
    const root = tempDir('spellings-')
    const outside = tempDir('spellings-outside-')
    layout(outside, ['Dir/a'])
    symlinkSync(path.join(outside, 'Dir'), path.join(root, 'dir'))
    const table = new FileTable<true>()
    table.set('DIR/a', true)
    expect(respellFolders(root, ['DIR'], table, caseFold)).toEqual({ renamed: [], failed: [] })
    expect(readdirSync(root)).toEqual(['dir'])
    expect(readdirSync(outside)).toEqual(['Dir'])
  })
})
