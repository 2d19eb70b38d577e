// What the index saves of itself and when the opening scan is worth a save
// (engine/folder/saved-index.ts), as pure functions, and a saved index read back.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { FolderIdentity } from '../../src/main/engine/folder/folder-identity'
import type { IndexedFile } from '../../src/main/engine/folder/file-hashing'
import { readSavedIndex, savedIndexOf, UNTRUSTED_MTIME, worthSavingAfterOpen } from '../../src/main/engine/folder/saved-index'

const folder: FolderIdentity = { dev: 1, ino: 2, birthtimeMs: 3 }
const other: FolderIdentity = { dev: 1, ino: 9, birthtimeMs: 3 }
const fileAt = (path: string, extra: Partial<IndexedFile> = {}): IndexedFile => ({ path, version: randomBytes(32), size: 10, mtimeMs: 1000, ino: 7, ...extra })
const tableOf = (...files: IndexedFile[]): Map<string, IndexedFile> => new Map(files.map((f) => [f.path, f]))

describe('savedIndexOf', () => {
  it('keeps each entry with its stats, untrusted when racy or a snapshot, and reads back as it was', () => {
    const plain = fileAt('a.txt')
    const racy = fileAt('b/racy.txt')
    const snapshot = fileAt('c.log', { snapshot: true })
    const saved = savedIndexOf('/root', folder, [plain, racy, snapshot], (rel) => rel === 'b/racy.txt')
    expect(saved.files.map(([path, , , mtimeMs]) => [path, mtimeMs])).toEqual([
      ['a.txt', 1000],
      ['b/racy.txt', UNTRUSTED_MTIME],
      ['c.log', UNTRUSTED_MTIME],
    ])
    const back = readSavedIndex(JSON.stringify(saved), '/root')
    if (typeof back === 'string' || 'problem' in back) throw new Error(`not read back: ${JSON.stringify(back)}`)
    expect(back.folder).toEqual(folder)
    expect(back.entries[0]).toEqual({ path: 'a.txt', version: plain.version, size: 10, mtimeMs: 1000, ino: 7 })
  })
})

describe('worthSavingAfterOpen', () => {
  const kept = fileAt('kept')
  const loaded = tableOf(kept)
  it.each<[string, Map<string, unknown>, FolderIdentity | null, Map<string, IndexedFile>, FolderIdentity, boolean]>([
    ['the very entries loaded, same folder', loaded, folder, tableOf(kept), folder, false],
    ['both empty, no index before', new Map(), null, new Map(), folder, false],
    ['both empty, same folder', new Map(), folder, new Map(), folder, false],
    ['an entry hashed again (another object, same content)', loaded, folder, tableOf({ ...kept }), folder, true],
    ['a file more', loaded, folder, tableOf(kept, fileAt('new')), folder, true],
    ['a file gone', loaded, folder, new Map(), folder, true],
    ['another folder', loaded, other, tableOf(kept), folder, true],
    ['no folder kept in the saved index', loaded, null, tableOf(kept), folder, true],
    ['a first scan that found files', new Map(), null, tableOf(kept), folder, true],
  ])('%s: %s', (_what, saved, savedFolder, files, now, worth) => {
    expect(worthSavingAfterOpen(saved, savedFolder, files, now)).toBe(worth)
  })
})
