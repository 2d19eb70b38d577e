// Reading and restoring the mirror history without a client: names a restored copy takes, the pages
// the History screen shows (tables), and restores from a history the engine's own store wrote, into
// real folders.
import { randomBytes } from 'node:crypto'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { historyPage, keptVersion, keptVersions, mirrorHistories, historyRootOf } from '../../src/main/engine/mirror/history-reader'
import { RestoreError, restoreVersion } from '../../src/main/engine/mirror/history-restore'
import { localDate, restoredName } from '../../src/shared/restored-name'
import { HistoryStore } from '../../src/main/engine/mirror/history-store'
import { DEVICES_FILE, DeviceFolders } from '../../src/main/engine/mirror/device-folders'
import { STATE_FOLDER } from '../../src/main/engine/mirror/mirror-coordinator'
import { formatDeviceId } from '../../src/shared/device-id'
import { deviceFolderName } from '../../src/shared/paths'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

describe('restoredName', () => {
  it.each([
    ['report.txt', 1, 'report (restored 2026-12-06).txt'],
    ['report.txt', 2, 'report (restored 2026-12-06 2).txt'],
    ['archive.tar.gz', 1, 'archive.tar (restored 2026-12-06).gz'],
    ['Makefile', 1, 'Makefile (restored 2026-12-06)'],
    ['.bashrc', 1, '.bashrc (restored 2026-12-06)'],
    ['.config.json', 3, '.config (restored 2026-12-06 3).json'],
    ['name with spaces.md', 1, 'name with spaces (restored 2026-12-06).md'],
  ])('%j, try %i → %j', (name, attempt, expected) => {
    expect(restoredName(name, '2026-12-06', attempt)).toBe(expected)
  })

  it('dates in local time', () => {
    expect(localDate(new Date(2026, 11, 6, 23, 59))).toBe('2026-12-06')
    expect(localDate(new Date(2027, 0, 1, 0, 0))).toBe('2027-01-01')
  })
})

describe('historyPage', () => {
  const v = (id: string, at: number, p = `${id}.txt`) => ({ id, at, path: p })
  const ALL = [v('a', 1), v('b', 2), v('c', 3), v('d', 3), v('e', 5, 'docs/Report.txt')]
  const ids = (page: { entries: Array<{ id: string }> }) => page.entries.map((e) => e.id)

  it.each([
    { name: 'newest first, ties by id', filter: '', before: null, limit: 10, want: ['e', 'd', 'c', 'b', 'a'], total: 5, more: false },
    { name: 'a first page', filter: '', before: null, limit: 2, want: ['e', 'd'], total: 5, more: true },
    { name: 'the next page goes on after the last entry', filter: '', before: { at: 3, id: 'd' }, limit: 2, want: ['c', 'b'], total: 5, more: true },
    { name: 'the last page', filter: '', before: { at: 2, id: 'b' }, limit: 2, want: ['a'], total: 5, more: false },
    { name: 'after an entry that is gone, from where it was', filter: '', before: { at: 4, id: 'x' }, limit: 10, want: ['d', 'c', 'b', 'a'], total: 5, more: false },
    { name: 'past the oldest', filter: '', before: { at: 0, id: 'z' }, limit: 10, want: [], total: 5, more: false },
    { name: 'a filter, any case, counted', filter: ' report ', before: null, limit: 10, want: ['e'], total: 1, more: false },
    { name: 'a filter matching nothing', filter: 'nothing', before: null, limit: 10, want: [], total: 0, more: false },
  ])('$name', ({ filter, before, limit, want, total, more }) => {
    const page = historyPage(ALL, { filter, before, limit })
    expect({ ids: ids(page), total: page.total, more: page.more }).toEqual({ ids: want, total, more })
  })

  it('leaves the list it was given as it was', () => {
    const list = [...ALL]
    historyPage(list, { filter: '', before: null, limit: 10 })
    expect(list).toEqual(ALL)
  })
})

/** A mirror root whose history the engine's store has written: `files` deleted from the peer folder `folder`. */
async function historyWith(folder: string, files: Record<string, Buffer>): Promise<{ mirrorRoot: string }> {
  const mirrorRoot = tempDir('restore-mirrors-')
  const peerMirror = path.join(mirrorRoot, folder)
  mkdirSync(peerMirror, { recursive: true })
  const store = new HistoryStore(historyRootOf(mirrorRoot), { keepMs: 86_400_000, capBytes: 1e12, problem: (m) => expect.fail(m) })
  await store.start()
  for (const [rel, bytes] of Object.entries(files)) {
    const file = path.join(peerMirror, rel)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, bytes)
    expect(store.link(folder, '127.0.0.1:4001', rel, file, versionOfBytes(bytes).toString('hex'), 'deleted')).not.toBeNull()
  }
  await store.stop()
  return { mirrorRoot }
}

describe('restoreVersion', () => {
  it('copies identical bytes under the file’s own name, then beside it under free names, never over a file', async () => {
    const content = randomBytes(200_000)
    const { mirrorRoot } = await historyWith('alice-ABCDEFG', { 'docs/report.txt': content })
    const [version] = keptVersions(mirrorRoot)
    expect(version).toMatchObject({ folder: 'alice-ABCDEFG', path: 'docs/report.txt', size: content.length, reason: 'deleted' })
    const to = tempDir('restore-to-')
    const now = new Date(2026, 11, 6, 12)

    expect(await restoreVersion(version!, mirrorRoot, to, 'keep-both', now)).toEqual({ target: path.join(to, 'report.txt'), renamed: false })
    expect(await restoreVersion(version!, mirrorRoot, to, 'keep-both', now)).toEqual({ target: path.join(to, 'report (restored 2026-12-06).txt'), renamed: true })
    expect(await restoreVersion(version!, mirrorRoot, to, 'keep-both', now)).toEqual({ target: path.join(to, 'report (restored 2026-12-06 2).txt'), renamed: true })
    for (const name of readdirSync(to)) expect(readFileSync(path.join(to, name)).equals(content)).toBe(true)
    // Nothing half-made is left behind.
    expect(readdirSync(to).sort()).toEqual(['report (restored 2026-12-06 2).txt', 'report (restored 2026-12-06).txt', 'report.txt'])

    writeFileSync(path.join(to, 'report.txt'), 'mine\n')
    const refused = await restoreVersion(version!, mirrorRoot, to, 'refuse').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RestoreError)
    expect(refused).toMatchObject({ code: 'exists', target: path.join(to, 'report.txt') })
    expect(readFileSync(path.join(to, 'report.txt'), 'utf8')).toBe('mine\n')
    await restoreVersion(version!, mirrorRoot, to, 'replace')
    expect(readFileSync(path.join(to, 'report.txt')).equals(content)).toBe(true)
  })

  it('refuses the mirror folder and anything in it, also through a link, and a path that is no folder', async () => {
    const { mirrorRoot } = await historyWith('bob-HIJKLMN', { 'a.txt': Buffer.from('a\n') })
    const version = keptVersion(mirrorRoot, 'bob-HIJKLMN', keptVersions(mirrorRoot)[0]!.id)!
    const link = path.join(tempDir('restore-link-'), 'to-mirror')
    symlinkSync(path.join(mirrorRoot, 'bob-HIJKLMN'), link)
    for (const to of [mirrorRoot, path.join(mirrorRoot, 'bob-HIJKLMN'), link]) {
      await expect(restoreVersion(version, mirrorRoot, to, 'keep-both')).rejects.toMatchObject({
        code: 'inside-mirror',
        message: expect.stringMatching(/inside the mirror folder .*next sync makes match its peer again/),
      })
    }
    expect(readdirSync(path.join(mirrorRoot, 'bob-HIJKLMN'))).toEqual(['a.txt'])
    const file = path.join(tempDir('restore-file-'), 'plain')
    writeFileSync(file, 'x')
    await expect(restoreVersion(version, mirrorRoot, file, 'keep-both')).rejects.toMatchObject({ code: 'not-a-folder' })
    await expect(restoreVersion(version, mirrorRoot, `${file}-missing`, 'keep-both')).rejects.toMatchObject({ code: 'not-a-folder', message: expect.stringMatching(/no such folder/) })
  })

  it('refuses a kept copy whose content changed since, and leaves nothing behind', async () => {
    const { mirrorRoot } = await historyWith('carol-OPQRSTU', { 'a.txt': Buffer.from('original\n') })
    const version = keptVersions(mirrorRoot)[0]!
    writeFileSync(version.file, 'tampered\n')
    const to = tempDir('restore-to-')
    await expect(restoreVersion(version, mirrorRoot, to, 'keep-both')).rejects.toMatchObject({ code: 'changed' })
    expect(readdirSync(to)).toEqual([])
  })
})

describe('mirrorHistories', () => {
  it('lists every peer mirror, with what its history keeps, and a history whose mirror is gone', async () => {
    const { mirrorRoot } = await historyWith('alice-ABCDEFG', { 'a.txt': Buffer.alloc(10), 'b/c.txt': Buffer.alloc(5) })
    mkdirSync(path.join(mirrorRoot, 'bob-HIJKLMN'))
    expect(mirrorHistories(mirrorRoot)).toEqual([
      { folder: 'alice-ABCDEFG', peer: '127.0.0.1:4001', versions: 2, bytes: 15, newest: expect.any(Number), device: null },
      { folder: 'bob-HIJKLMN', peer: null, versions: 0, bytes: 0, newest: null, device: null },
    ])
    expect(keptVersion(mirrorRoot, '..', 'x')).toBeUndefined()
    expect(keptVersion(mirrorRoot, 'bob-HIJKLMN', 'x')).toBeUndefined()
    expect(mirrorHistories(path.join(mirrorRoot, 'none'))).toEqual([])
  })

  it('names the device whose mirror each folder is, as the record of the mirror root (devices.json) has it', async () => {
    const hex = 'ab'.repeat(32)
    const folder = deviceFolderName('alice laptop', formatDeviceId(Buffer.from(hex, 'hex')))
    const { mirrorRoot } = await historyWith(folder, { 'a.txt': Buffer.alloc(3) })
    const devices = new DeviceFolders(path.join(mirrorRoot, STATE_FOLDER, DEVICES_FILE))
    devices.assign(hex, 'alice laptop')
    await devices.keep(hex)
    mkdirSync(path.join(mirrorRoot, '127.0.0.1_4002'))
    expect(mirrorHistories(mirrorRoot).map((m) => [m.folder, m.device])).toEqual([
      ['127.0.0.1_4002', null],
      [folder, { id: formatDeviceId(Buffer.from(hex, 'hex')), name: 'alice laptop' }],
    ])
  })
})
