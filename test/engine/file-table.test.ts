// The index's table of files, which counts the files below each folder.
import { describe, expect, it } from 'vitest'
import { enclosingFolders, FileTable, liesBelow } from '../../src/main/engine/folder/file-table'
import { FileTree } from '../../src/main/engine/folder/file-tree'

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

  it('keeps the sum of the sizes equal to a recount through sets, replacements, deletions and a clear', () => {
    for (const Table of [FileTable, FileTree]) {
      const table = new Table<{ size: number }>()
      let seed = 7
      const next = (n: number): number => (seed = (seed * 48271) % 2147483647) % n
      for (let step = 0; step < 2000; step++) {
        const rel = `d${next(3)}/f${next(20)}`
        const roll = next(10)
        if (roll < 6) table.set(rel, { size: next(1000) })
        else if (roll < 9) table.delete(rel)
        else if (next(20) === 0) table.clear()
        let recount = 0
        for (const value of table.values()) recount += value.size
        expect(table.bytes, `step ${step}`).toBe(recount)
      }
    }
    // Values without a size count nothing.
    const plain = new FileTable<number>()
    plain.set('a', 5)
    expect(plain.bytes).toBe(0)
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

describe('FileTree', () => {
  const below = (tree: FileTree<number>, rel: string) => [...tree.filesUnder(rel)].sort()

  it('lists the files below a folder, at any depth, as they come and go', () => {
    const tree = new FileTree<number>()
    for (const rel of ['a/b/c.txt', 'a/b/d.txt', 'a/e.txt', 'top.txt', 'ab/f.txt', 'a/b/g/h/i.txt']) tree.set(rel, 1)
    tree.set('a/e.txt', 2) // replaced, not added twice
    expect(below(tree, 'a')).toEqual(['a/b/c.txt', 'a/b/d.txt', 'a/b/g/h/i.txt', 'a/e.txt'])
    expect(below(tree, 'a/b/g')).toEqual(['a/b/g/h/i.txt'])
    expect(below(tree, '')).toEqual([...tree.keys()].sort())
    expect(below(tree, 'top.txt')).toEqual([])
    expect(below(tree, 'missing')).toEqual([])

    tree.delete('a/b/g/h/i.txt')
    tree.delete('a/b/missing.txt')
    expect(below(tree, 'a')).toEqual(['a/b/c.txt', 'a/b/d.txt', 'a/e.txt'])
    expect(below(tree, 'a/b/g')).toEqual([])
    tree.delete('a/b/c.txt')
    tree.delete('a/b/d.txt')
    expect(below(tree, 'a')).toEqual(['a/e.txt'])
    expect(tree.filesBelow('a')).toBe(1)
    // A folder emptied and filled again is listed again.
    tree.set('a/b/new.txt', 3)
    expect(below(tree, 'a/b')).toEqual(['a/b/new.txt'])
    tree.clear()
    expect([below(tree, ''), below(tree, 'a'), tree.size]).toEqual([[], [], 0])
  })

  it('agrees with a pass over every path after random changes', () => {
    const tree = new FileTree<number>()
    const names = ['a', 'b', 'a/b', 'a/c', 'b/a', 'a/b/c']
    let seed = 7
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    for (let i = 0; i < 2000; i++) {
      const rel = `${names[next(names.length)]}/f${next(8)}`
      if (next(3) === 0) tree.delete(rel)
      else tree.set(rel, i)
    }
    for (const folder of ['', ...names]) {
      const pass = [...tree.keys()].filter((rel) => folder === '' || rel.startsWith(`${folder}/`)).sort()
      expect(below(tree, folder), folder).toEqual(pass)
    }
  })
})
