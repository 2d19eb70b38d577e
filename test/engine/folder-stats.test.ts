// What the app shows of this machine's shared folder, from a real index over real files: its
// counts with what .syncignore leaves out, whether a look at the whole folder is under way, and a
// large file shown as preparing while it is hashed, before any peer can hear of it.
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { FolderStats } from '../../src/main/engine/folder/folder-stats'
import { PreparingFiles } from '../../src/main/engine/folder/preparing-files'
import type { FolderStateEvent, PreparingEvent } from '../../src/shared/events'
import { EventLog } from '../helpers/events'
import { removeTempDirs, tempDir } from '../helpers/temp'

const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  removeTempDirs()
})

/** An index with both reporters listening from before it opens, as the client sets them up. */
async function watched(root: string, statsEveryMs = 20): Promise<{ index: FolderIndex; log: EventLog; looks: boolean[] }> {
  const log = new EventLog()
  const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), log.sink)
  const looks: boolean[] = []
  index.on('look', (start) => looks.push(start))
  const stats = new FolderStats(index, log.sink, statsEveryMs)
  const preparing = new PreparingFiles(index, log.sink, 20)
  closers.push(
    () => index.close(),
    () => stats.close(),
    () => preparing.close(),
  )
  await index.open()
  stats.changed()
  return { index, log, looks }
}

const folderStates = (log: EventLog) => log.events.filter((e): e is FolderStateEvent => e.type === 'folder-state')
const preparings = (log: EventLog) => log.events.filter((e): e is PreparingEvent => e.type === 'preparing')
const last = <T>(list: T[]): T | undefined => list[list.length - 1]

describe('the shared folder as the app shows it', () => {
  it('counts the files and bytes shared and the paths the rules leave out, and says when it is looked at whole', async () => {
    const root = tempDir('share-')
    writeFileSync(path.join(root, 'a.txt'), 'hello')
    mkdirSync(path.join(root, 'sub'))
    writeFileSync(path.join(root, 'sub', 'b.txt'), 'world!')
    writeFileSync(path.join(root, 'x.log'), 'log')
    writeFileSync(path.join(root, '.DS_Store'), 'junk')
    mkdirSync(path.join(root, 'node_modules', 'pkg'), { recursive: true })
    writeFileSync(path.join(root, 'node_modules', 'pkg', 'index.js'), 'x')
    writeFileSync(path.join(root, '.syncignore'), '*.log\nnode_modules/\n')
    const { index, log, looks } = await watched(root)
    // The opening scan is a look at the whole folder.
    expect(looks).toEqual([true, false])
    expect(index.scanning).toBe(false)
    // x.log, .DS_Store (the built-in list), node_modules (a folder counts once) and .syncignore itself.
    const settled = { type: 'folder-state', folder: root, files: 2, bytes: 11, ignored: 4, scanning: false, missing: false, ignoreProblem: null }
    await log.until(() => JSON.stringify(last(folderStates(log))) === JSON.stringify(settled), 5000, 'the settled folder state')

    // Rules that share the logs again: a look at the whole folder, and the counts after it.
    writeFileSync(path.join(root, '.syncignore'), 'node_modules/\n')
    await log.until(() => last(folderStates(log))?.files === 3 && last(folderStates(log))?.scanning === false, 5000, 'x.log shared')
    expect(last(folderStates(log))).toEqual({ ...settled, files: 3, bytes: 14, ignored: 3 })
    expect(looks.length).toBeGreaterThanOrEqual(4)

    // A rescan is a look too; a file added without one is counted as it is announced.
    const before = looks.length
    const reported = folderStates(log).length
    index.rescan()
    await log.until(() => looks.length >= before + 2, 5000, 'the rescan')
    // However quickly it ended, the look is said once (a user who pressed Rescan sees it).
    await log.until(() => folderStates(log).slice(reported).some((e) => e.scanning), 5000, 'the rescan said')
    writeFileSync(path.join(root, 'c.txt'), '12345678')
    await log.until(() => last(folderStates(log))?.files === 4 && last(folderStates(log))?.scanning === false, 5000, 'c.txt counted')
    expect(last(folderStates(log))).toEqual({ ...settled, files: 4, bytes: 22, ignored: 3 })
    // Each look ends before the next begins.
    expect(looks).toEqual(looks.map((_, i) => i % 2 === 0))
    // Every report differs from the one before it.
    const reports = folderStates(log).map((e) => JSON.stringify(e))
    expect(reports.filter((r, i) => r === reports[i - 1])).toEqual([])
  })

  it('shows a large file as preparing while it is hashed, and an empty list when it is done; a small one never', async () => {
    const root = tempDir('share-')
    const { index, log } = await watched(root)
    writeFileSync(path.join(root, 'small.txt'), 'small')
    // Sparse: hashed in 1 MiB pieces with a turn between each, without a disk behind it.
    const size = 256 * 1024 * 1024
    writeFileSync(path.join(root, 'big.bin'), '')
    truncateSync(path.join(root, 'big.bin'), size)
    await log.until(() => index.get('big.bin')?.size === size && index.get('small.txt') !== undefined, 60_000, 'both files indexed')
    await log.until(() => last(preparings(log))?.files.length === 0, 5000, 'the end of preparing')
    const reports = preparings(log)
    const during = reports.filter((r) => r.files.length > 0)
    expect(during.length).toBeGreaterThan(0)
    for (const report of during) {
      expect(report.files).toEqual([{ path: 'big.bin', bytes: expect.any(Number), total: size }])
      expect(report.files[0]!.bytes).toBeLessThanOrEqual(size)
    }
    // It started before the hash was done: the first report is of a file partly hashed.
    expect(during[0]!.files[0]!.bytes).toBeLessThan(size)
    expect(reports.flatMap((r) => r.files.map((f) => f.path))).not.toContain('small.txt')
  })

  it('says a .syncignore problem fixed before its next report, then that it is gone: a screen can clear it only once it has seen it', async () => {
    const root = tempDir('share-')
    const file = path.join(root, '.syncignore')
    writeFileSync(file, '*.log\n')
    // Reports 3 s apart: the problem comes and goes between two of them.
    const { index, log } = await watched(root, 3000)
    await log.until(() => folderStates(log).length === 1, 5000, 'the first folder state')
    writeFileSync(file, '*.log\n!\n')
    const skipped = await log.waitFor('error', { code: 'ignore-lines-skipped' }, 5000)
    writeFileSync(file, '*.log\n')
    await log.until(() => index.ignoreProblem === null, 5000, 'the problem fixed')
    await log.until(() => folderStates(log).length === 3, 10_000, 'two more folder states')
    expect(folderStates(log).map((e) => e.ignoreProblem)).toEqual([null, skipped.message, null])
  })
})
