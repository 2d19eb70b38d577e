// The shared folder's index on disk (engine/folder/index-on-disk.ts): a record and a journal of
// the paths changed since. What a save writes after a change, and what a load gives back, also
// after a journal cut by a kill and a line that names one path for another's entry.
import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { IndexedFile } from '../../src/main/engine/folder/file-hashing'
import { FileTable } from '../../src/main/engine/folder/file-table'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import type { FolderIdentity } from '../../src/main/engine/folder/folder-identity'
import { IndexOnDisk } from '../../src/main/engine/folder/index-on-disk'
import { journalOf } from '../../src/main/engine/folder/record-journal'
import { loadSavedIndex, UNTRUSTED_MTIME } from '../../src/main/engine/folder/saved-index'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const folder: FolderIdentity = { dev: 1, ino: 2, birthtimeMs: 3 }
const fileAt = (rel: string, mtimeMs = 1000): IndexedFile => ({ path: rel, version: randomBytes(32), size: 10, mtimeMs, ino: 7 })
const never = (): boolean => false

/** The saved index read back as a plain object by path (what a restart starts from). */
async function loaded(statePath: string): Promise<Record<string, { version: string; mtimeMs: number }>> {
  const { files } = await loadSavedIndex(statePath, '/root', () => {})
  return Object.fromEntries([...files].map(([rel, f]) => [rel, { version: f.version.toString('hex'), mtimeMs: f.mtimeMs }]))
}
const asSaved = (files: Map<string, IndexedFile>, untrusted = new Set<string>()): Record<string, { version: string; mtimeMs: number }> =>
  Object.fromEntries([...files].map(([rel, f]) => [rel, { version: f.version.toString('hex'), mtimeMs: untrusted.has(rel) ? UNTRUSTED_MTIME : f.mtimeMs }]))

async function savedTable(count: number): Promise<{ disk: IndexOnDisk; files: FileTable<IndexedFile>; statePath: string }> {
  const statePath = path.join(tempDir('index-disk-'), 'index.json')
  const disk = new IndexOnDisk(statePath, '/root')
  const files = new FileTable<IndexedFile>()
  for (let i = 0; i < count; i++) files.set(`d${i % 10}/f${i}.txt`, fileAt(`d${i % 10}/f${i}.txt`))
  await disk.save(files, folder, never)
  return { disk, files, statePath }
}

describe('the index on disk', () => {
  it('after the first save, a change is a line in the journal; the record stays as written', async () => {
    const { disk, files, statePath } = await savedTable(500)
    const record = readFileSync(statePath, 'utf8')
    files.set('d1/f1.txt', fileAt('d1/f1.txt', 2000))
    files.set('new.txt', fileAt('new.txt'))
    files.delete('d2/f2.txt')
    files.set('racy.txt', fileAt('racy.txt', 3000))
    await disk.save(files, folder, (rel) => rel === 'racy.txt')
    expect(readFileSync(statePath, 'utf8')).toBe(record)
    // The head and one line per path changed.
    expect(readFileSync(journalOf(statePath), 'utf8').trim().split('\n')).toHaveLength(5)
    expect(await loaded(statePath)).toEqual(asSaved(files, new Set(['racy.txt'])))
    // Nothing changed: nothing written.
    await disk.save(files, folder, never)
    expect(readFileSync(journalOf(statePath), 'utf8').trim().split('\n')).toHaveLength(5)
  })

  it('another table (a folder indexed anew) or another folder is written whole', async () => {
    const { disk, files, statePath } = await savedTable(20)
    const fresh = new FileTable<IndexedFile>()
    for (const [rel, file] of files) if (rel !== 'd3/f3.txt') fresh.set(rel, file)
    await disk.save(fresh, folder, never)
    expect(readFileSync(journalOf(statePath), 'utf8').trim().split('\n')).toHaveLength(1)
    expect(await loaded(statePath)).toEqual(asSaved(fresh))
    const moved: FolderIdentity = { dev: 1, ino: 99, birthtimeMs: 3 }
    await disk.save(fresh, moved, never)
    expect((JSON.parse(readFileSync(statePath, 'utf8')) as { folder: FolderIdentity }).folder).toEqual(moved)
  })

  it('a journal cut by a kill loads its whole lines, and the next run writes the record whole before appending again', async () => {
    const { disk, files, statePath } = await savedTable(50)
    files.set('a.txt', fileAt('a.txt'))
    await disk.save(files, folder, never)
    const whole = { ...(await loaded(statePath)) }
    appendFileSync(journalOf(statePath), '["b.txt",["b.txt","00')
    expect(await loaded(statePath)).toEqual(whole)

    const next = new IndexOnDisk(statePath, '/root')
    const read = await loadSavedIndex(statePath, '/root', () => {})
    next.loaded(read.journal)
    next.follow(read.files, folder)
    read.files.set('c.txt', fileAt('c.txt'))
    await next.save(read.files, folder, never)
    // Not appended after the torn line: a new record, and a journal of its head alone.
    expect(readFileSync(journalOf(statePath), 'utf8').trim().split('\n')).toHaveLength(1)
    expect(Object.keys(await loaded(statePath))).toContain('c.txt')
    expect(Object.keys(await loaded(statePath))).toHaveLength(52)
  })

  it('a journal line naming one path for another path\'s entry ends what is read of the journal', async () => {
    const { files, statePath } = await savedTable(5)
    const journal = readFileSync(journalOf(statePath), 'utf8')
    const entry = (rel: string): unknown[] => [rel, randomBytes(32).toString('hex'), 1, 1, 1]
    writeFileSync(journalOf(statePath), `${journal}${JSON.stringify(['x.txt', entry('x.txt')])}\n${JSON.stringify(['y.txt', entry('../../etc/passwd')])}\n${JSON.stringify(['z.txt', entry('z.txt')])}\n`)
    const read = await loadSavedIndex(statePath, '/root', () => {})
    expect([...read.files.keys()].sort()).toEqual([...files.keys(), 'x.txt'].sort())
    expect(read.journal?.appendable).toBe(false)
  })

  it('a running index appends its changes after a start that found nothing changed; what it saved loads back without a close (as after a kill)', async () => {
    const root = tempDir('index-root-')
    for (let i = 0; i < 20; i++) writeFileSync(path.join(root, `f${i}.txt`), `file ${i}`)
    // Past their write's clock tick: a file hashed within it is saved untrusted and hashed again later.
    await new Promise((r) => setTimeout(r, 1100))
    const statePath = path.join(tempDir('index-state-'), 'index.json')
    const first = new FolderIndex(root, statePath, () => {})
    await first.open()
    await first.close()
    const record = readFileSync(statePath, 'utf8')

    const second = new FolderIndex(root, statePath, () => {})
    try {
      await second.open()
      const journalLines = (): number => (existsSync(journalOf(statePath)) ? readFileSync(journalOf(statePath), 'utf8').trim().split('\n').length : 0)
      const before = journalLines()
      writeFileSync(path.join(root, 'f3.txt'), 'changed, and longer than before')
      writeFileSync(path.join(root, 'new.txt'), 'new')
      // Saved once changes stop for a moment: a line per path changed (one more for a file looked
      // at again once its write's tick is over), the record as it was.
      const { files } = await (async () => {
        for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
          const read = await loadSavedIndex(statePath, root, () => {})
          if (read.files.get('f3.txt')?.size === 'changed, and longer than before'.length && read.files.has('new.txt')) return read
        }
        throw new Error('the changes were not saved')
      })()
      expect(journalLines()).toBeGreaterThanOrEqual(before + 2)
      expect(readFileSync(statePath, 'utf8')).toBe(record)
      expect(files.size).toBe(21)
      expect(files.get('f3.txt')).toMatchObject({ size: 'changed, and longer than before'.length })
      expect(files.get('new.txt')).toMatchObject({ size: 3 })
    } finally {
      await second.close()
    }
  })
})
