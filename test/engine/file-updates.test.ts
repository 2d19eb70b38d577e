// How index entries are announced (engine/folder/file-updates.ts): one file, and a whole index
// replaced by another (the shared folder back), every file said again and each one gone deleted.
import { describe, expect, it } from 'vitest'
import type { IndexedFile } from '../../src/main/engine/folder/file-hashing'
import { replacedIndex, upsertOf } from '../../src/main/engine/folder/file-updates'

const v = (n: number): Buffer => Buffer.alloc(32, n)
const fileAt = (path: string, n: number, snapshot?: boolean): IndexedFile => ({ path, version: v(n), size: n, mtimeMs: 5, ino: 6, ...(snapshot === undefined ? {} : { snapshot }) })
const tableOf = (...files: IndexedFile[]): Map<string, IndexedFile> => new Map(files.map((f) => [f.path, f]))

describe('upsertOf', () => {
  it.each<[boolean | undefined, boolean]>([
    [undefined, false],
    [false, false],
    [true, true],
  ])('a file with snapshot %s is announced with snapshot %s, without its stats', (snapshot, said) => {
    expect(upsertOf(fileAt('a', 1, snapshot))).toEqual({ op: 'upsert', path: 'a', version: v(1), size: 1, snapshot: said })
  })
})

describe('replacedIndex', () => {
  it.each<[string, Map<string, IndexedFile>, Map<string, IndexedFile>, string[]]>([
    ['nothing before or after', tableOf(), tableOf(), []],
    ['the same files: each said again', tableOf(fileAt('a', 1)), tableOf(fileAt('a', 1)), ['upsert a']],
    ['a file changed, one made', tableOf(fileAt('a', 1)), tableOf(fileAt('a', 2), fileAt('b', 3)), ['upsert a', 'upsert b']],
    ['files gone', tableOf(fileAt('a', 1), fileAt('b/c', 2)), tableOf(fileAt('a', 1)), ['upsert a', 'delete b/c']],
    ['everything gone', tableOf(fileAt('a', 1)), tableOf(), ['delete a']],
  ])('%s', (_what, before, next, said) => {
    const changes = replacedIndex(before, next)
    expect(changes.map((c) => `${c.op} ${c.path}`)).toEqual(said)
    for (const change of changes) if (change.op === 'upsert') expect(change.version).toEqual(next.get(change.path)!.version)
  })
})
