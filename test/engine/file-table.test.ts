// The index's table of files, which counts the files below each folder.
import { describe, expect, it } from 'vitest'
import { enclosingFolders, FileTable, liesBelow } from '../../src/main/engine/folder/file-table'

describe('FileTable', () => {
  it('counts the files below each folder as they come and go', () => {
    const table = new FileTable<number>()
    table.set('a/b/c.txt', 1)
    table.set('a/b/d.txt', 2)
    table.set('a/e.txt', 3)
    table.set('top.txt', 4)
    table.set('a/e.txt', 5) // replaced, not added
    expect([table.filesBelow('a'), table.filesBelow('a/b'), table.filesBelow(''), table.filesBelow('top.txt')]).toEqual([3, 2, 4, 0])
    table.delete('a/b/c.txt')
    table.delete('a/b/missing.txt')
    expect([table.filesBelow('a'), table.filesBelow('a/b')]).toEqual([2, 1])
    table.delete('a/b/d.txt')
    expect(table.filesBelow('a/b')).toBe(0)
    table.clear()
    expect([table.filesBelow('a'), table.size]).toEqual([0, 0])
  })

  it('names the folders a path lies in, outermost first', () => {
    expect(enclosingFolders('a/b/c.txt')).toEqual(['a', 'a/b'])
    expect(enclosingFolders('top.txt')).toEqual([])
  })

  it.each<[string, string[], boolean]>([
    ['a/b.txt', [], false],
    ['a/b.txt', [''], true],
    ['a/b.txt', ['a'], true],
    ['a/b/c.txt', ['a'], true],
    ['a/b/c.txt', ['a/b'], true],
    // The folder itself does not lie in itself; a folder of a longer name is another.
    ['a', ['a'], false],
    ['ab/c.txt', ['a'], false],
    ['top.txt', ['a', 'b'], false],
  ])('%s lies below one of %o: %s', (rel, folders, below) => {
    expect(liesBelow(rel, new Set(folders))).toBe(below)
  })
})
