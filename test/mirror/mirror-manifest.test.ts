// The record of what a mirror holds: when it is saved, and what survives a restart.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { saveDueIn as dueIn } from '../../src/main/engine/folder/index-saves'
import { journalOf, readManifestFile } from '../../src/main/engine/mirror/manifest-file'
import { MirrorManifest, SAVE_AT_LEAST_EVERY_MS, SAVE_QUIET_MS } from '../../src/main/engine/mirror/mirror-manifest'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { until } from '../helpers/until'

afterEach(() => removeTempDirs())

/** When the manifest's save is due: the index's rule with the manifest's times. */
const saveDueIn = (now: number, first: number, last: number) => dueIn(now, first, last, SAVE_QUIET_MS, SAVE_AT_LEAST_EVERY_MS)

describe('saveDueIn', () => {
  it('waits for changes to stop for SAVE_QUIET_MS', () => {
    expect(saveDueIn(1000, 1000, 1000)).toBe(SAVE_QUIET_MS)
    expect(saveDueIn(1500, 1000, 1400)).toBe(SAVE_QUIET_MS - 100)
    expect(saveDueIn(1000 + SAVE_QUIET_MS, 1000, 1000)).toBe(0)
  })

  it('saves anyway once the oldest unsaved change is SAVE_AT_LEAST_EVERY_MS old, however busy', () => {
    const first = 10_000
    // A change every millisecond: never quiet, still due when the oldest one is old enough.
    expect(saveDueIn(first + SAVE_AT_LEAST_EVERY_MS - 200, first, first + SAVE_AT_LEAST_EVERY_MS - 201)).toBe(200)
    expect(saveDueIn(first + SAVE_AT_LEAST_EVERY_MS, first, first + SAVE_AT_LEAST_EVERY_MS - 1)).toBe(0)
    expect(saveDueIn(first + 2 * SAVE_AT_LEAST_EVERY_MS, first, first + 2 * SAVE_AT_LEAST_EVERY_MS)).toBe(0)
  })
})

/** Writes `content` at `rel` in `folder`, and gives the mtime it got (what the manifest records). */
const putIn = (folder: string) => (rel: string, content: string): number => {
  writeFileSync(path.join(folder, rel), content)
  return statSync(path.join(folder, rel)).mtimeMs
}

describe('MirrorManifest', () => {
  it('flushes what was set and deleted; a fresh load keeps only entries that still match the disk', async () => {
    const folder = tempDir('mirror-')
    const file = path.join(tempDir('state-'), 'mirrors', 'peer.json')
    mkdirSync(path.join(folder, 'dir'))
    const put = putIn(folder)
    const manifest = new MirrorManifest(folder, file)
    manifest.set('a.txt', 'aa'.repeat(32), 1, put('a.txt', 'a'))
    manifest.set('dir/b.txt', 'bb'.repeat(32), 2, put('dir/b.txt', 'bb'))
    manifest.set('gone.txt', 'cc'.repeat(32), 1, put('gone.txt', 'c'))
    manifest.delete('gone.txt')
    await manifest.flush()
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { versions: string; files: object }
    expect(saved.versions).toBe('blocks-5')
    expect(Object.keys(saved.files).sort()).toEqual(['a.txt', 'dir/b.txt'])
    // Changed on disk behind the manifest's back: forgotten on load, fetched again later.
    writeFileSync(path.join(folder, 'dir', 'b.txt'), 'changed')
    const reloaded = new MirrorManifest(folder, file)
    await reloaded.load()
    expect([...reloaded.files.keys()]).toEqual(['a.txt'])
    expect(reloaded.pathWith('aa'.repeat(32))).toBe('a.txt')
  })

  it('saves later changes as a journal, loads them back, and drops from disk what a load forgot', async () => {
    const folder = tempDir('mirror-')
    const file = path.join(tempDir('state-'), 'mirrors', 'peer.json')
    const put = putIn(folder)
    const first = new MirrorManifest(folder, file)
    first.set('a.txt', 'aa'.repeat(32), 1, put('a.txt', 'a'))
    first.set('b.txt', 'bb'.repeat(32), 2, put('b.txt', 'bb'))
    await first.flush()
    const record = readFileSync(file, 'utf8')
    first.set('c.txt', 'cc'.repeat(32), 3, put('c.txt', 'ccc'))
    first.delete('a.txt')
    await first.flush()
    // The record stays as it was; the journal beside it holds the two changes.
    expect(readFileSync(file, 'utf8')).toBe(record)
    expect(readFileSync(journalOf(file), 'utf8').trim().split('\n')).toHaveLength(3)
    writeFileSync(path.join(folder, 'b.txt'), 'changed by hand')
    const second = new MirrorManifest(folder, file)
    await second.load()
    expect([...second.files.keys()].sort()).toEqual(['c.txt'])
    await second.flush()
    const third = new MirrorManifest(folder, file)
    await third.load()
    expect([...third.files.keys()]).toEqual(['c.txt'])
    // What the load forgot is off the record on disk too.
    expect((await readManifestFile(file))!.files.has('b.txt')).toBe(false)
  })

  it('says a save the disk refuses once, naming the file, and saves by itself once the disk takes it', async () => {
    const folder = tempDir('mirror-')
    const state = tempDir('state-')
    // A file where the manifest's folder should be: every save fails (ENOTDIR), even as root.
    writeFileSync(path.join(state, 'mirrors'), 'in the way')
    const file = path.join(state, 'mirrors', 'peer.json')
    const problems: string[] = []
    const manifest = new MirrorManifest(folder, file, null, (message) => problems.push(message))
    const put = putIn(folder)
    manifest.set('a.txt', '11'.repeat(32), 1, put('a.txt', 'a'))
    await until(() => problems.length > 0, 'the failed save said', 15_000)
    manifest.set('b.txt', '22'.repeat(32), 1, put('b.txt', 'b'))
    // The next try (the change's save, then the retry) fails too, and is not said again.
    await new Promise((resolve) => setTimeout(resolve, SAVE_QUIET_MS + 1500))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(`cannot save the record of the mirror ${folder} in ${file}`)
    rmSync(path.join(state, 'mirrors'))
    mkdirSync(path.join(state, 'mirrors'))
    // No change since: the retry saves what is waiting.
    await until(() => statSync(file, { throwIfNoEntry: false }) !== undefined, 'the manifest saved', 20_000)
    expect([...(await readManifestFile(file))!.files.keys()].sort()).toEqual(['a.txt', 'b.txt'])
    expect(problems).toHaveLength(1)
    await manifest.flush()
  })

  it('forgets a manifest of SHA-256 versions (before protocol 5): its files are checked on disk instead', async () => {
    const folder = tempDir('mirror-')
    const file = path.join(tempDir('state-'), 'manifest.json')
    writeFileSync(path.join(folder, 'a.txt'), 'a')
    const { mtimeMs } = statSync(path.join(folder, 'a.txt'))
    writeFileSync(file, JSON.stringify({ 'a.txt': { version: 'aa'.repeat(32), size: 1, mtimeMs } }))
    const manifest = new MirrorManifest(folder, file)
    await manifest.load()
    expect(manifest.files.size).toBe(0)
  })
})
