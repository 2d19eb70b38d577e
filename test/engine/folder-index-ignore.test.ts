// The shared folder's index under `.syncignore`, over real files and a real watcher: what is
// ignored is neither indexed nor watched, edits take effect, a bad file or a skipped line is said
// once, and a file written while the client runs is judged once it holds still.
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import type { FolderWatcher } from '../../src/main/engine/folder/folder-watcher'
import { closeIndexes, open, openIndex, setup, watchChanges } from '../helpers/folder-index'
import { EventLog } from '../helpers/events'
import { removeTempDirs } from '../helpers/temp'

afterEach(async () => {
  await closeIndexes()
  removeTempDirs()
})

/** Writes `chunks` to `file` in turn, as a program that is not atomic does, a pause after each. */
async function writeSlowly(file: string, chunks: Buffer[]): Promise<void> {
  const fd = openSync(file, 'w')
  try {
    for (const chunk of chunks) {
      writeSync(fd, chunk)
      await sleep(20)
    }
  } finally {
    closeSync(fd)
  }
}

describe('FolderIndex and .syncignore', () => {
  const paths = (index: FolderIndex): string[] => index.list().map((f) => f.path).sort()
  const SETUP_FILES = ['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt', 'f6.txt', 'f7.txt', 'f8.txt', 'f9.txt', 'sub/nested.txt']
  /** Whether the index watches the folder at `rel` (the watcher is its own; tests look in). */
  const watches = (index: FolderIndex, rel: string): boolean => (index as unknown as { watcher: FolderWatcher }).watcher.isWatching(rel)
  /** Everything the watcher had to say before this is through: a file made now and seen. */
  async function settled(index: FolderIndex, root: string, waitFor: (check: () => boolean) => Promise<void>): Promise<void> {
    const marker = `marker-${Math.random().toString(36).slice(2)}.txt`
    writeFileSync(path.join(root, marker), marker)
    await waitFor(() => index.get(marker) !== undefined)
    rmSync(path.join(root, marker))
    await waitFor(() => index.get(marker) === undefined)
  }

  it('ignored files are neither indexed nor announced, at start or made while running; they are counted', async () => {
    const { root, state } = setup()
    writeFileSync(path.join(root, '.syncignore'), '*.log\nbuild/\n')
    writeFileSync(path.join(root, 'x.log'), 'log')
    mkdirSync(path.join(root, 'build'))
    writeFileSync(path.join(root, 'build', 'out.bin'), 'out')
    writeFileSync(path.join(root, 'sub', '.DS_Store'), 'junk')
    const { index, log } = await openIndex(root, state)
    expect(paths(index)).toEqual(SETUP_FILES)
    // .syncignore, x.log, build (a folder counts once: it is not looked into) and sub/.DS_Store.
    expect(index.ignored).toBe(4)
    const { seen, waitFor } = watchChanges(index)
    writeFileSync(path.join(root, 'y.log'), 'log')
    writeFileSync(path.join(root, 'build', 'more.bin'), 'more')
    writeFileSync(path.join(root, 'sub', '.notes.txt.swp'), 'swap')
    mkdirSync(path.join(root, 'sub', 'build'))
    writeFileSync(path.join(root, 'sub', 'build', 'deep.bin'), 'deep')
    writeFileSync(path.join(root, 'f0.txt'), 'edited')
    await waitFor(() => seen.some((c) => c.path === 'f0.txt'))
    index.rescan()
    await settled(index, root, waitFor)
    expect(seen.map((c) => c.path).filter((p) => !p.startsWith('marker-'))).toEqual(['f0.txt'])
    expect(paths(index)).toEqual(SETUP_FILES)
    // And y.log, sub/.notes.txt.swp, sub/build.
    expect(index.ignored).toBe(7)
    expect(log.count('error')).toBe(0)
  })

  it('editing .syncignore takes effect at once: newly ignored files are deleted, unignored ones announced', async () => {
    const { root, state } = setup()
    writeFileSync(path.join(root, 'x.log'), 'log')
    writeFileSync(path.join(root, 'notes.swp'), 'swap')
    const { index, log } = await openIndex(root, state)
    expect(index.get('x.log')).toBeDefined()
    expect(index.get('notes.swp')).toBeUndefined()
    const { seen, waitFor } = watchChanges(index)
    const has = (op: string, rel: string): boolean => seen.some((c) => c.op === op && c.path === rel)

    writeFileSync(path.join(root, '.syncignore'), '*.log\nsub/\n')
    await waitFor(() => has('delete', 'x.log') && has('delete', 'sub/nested.txt'))
    expect(paths(index)).toEqual(SETUP_FILES.filter((p) => !p.startsWith('sub/')))
    expect(index.ignored).toBe(4)
    // An ignored folder is not watched: what is made in it costs nothing and says nothing.
    expect(watches(index, 'sub')).toBe(false)
    writeFileSync(path.join(root, 'sub', 'new.txt'), 'new')

    seen.length = 0
    writeFileSync(path.join(root, '.syncignore'), '*.log\n!*.swp\n')
    await waitFor(() => has('upsert', 'sub/nested.txt') && has('upsert', 'sub/new.txt') && has('upsert', 'notes.swp'))
    expect(watches(index, 'sub')).toBe(true)
    expect(index.get('x.log')).toBeUndefined()
    // Watched again: a file made there now comes.
    writeFileSync(path.join(root, 'sub', 'later.txt'), 'later')
    await waitFor(() => has('upsert', 'sub/later.txt'))

    seen.length = 0
    rmSync(path.join(root, '.syncignore'))
    await waitFor(() => has('upsert', 'x.log') && has('delete', 'notes.swp'))
    expect(seen.filter((c) => c.path !== 'x.log' && c.path !== 'notes.swp')).toEqual([])
    expect(log.count('error')).toBe(0)
  })

  it('an ignored folder is not walked or watched: names inside it that could not be shared raise nothing', async () => {
    const { root, state } = setup()
    writeFileSync(path.join(root, '.syncignore'), 'build/\n')
    mkdirSync(path.join(root, 'build', 'deeper'), { recursive: true })
    writeFileSync(Buffer.concat([Buffer.from(`${root}/build/bad-`), Buffer.from([0xff]), Buffer.from('.txt')]), 'x')
    mkdirSync(Buffer.concat([Buffer.from(`${root}/build/deeper/bad-`), Buffer.from([0xfe])]))
    writeFileSync(path.join(root, 'build', 'back\\slash.txt'), 'x')
    const { index, log } = await openIndex(root, state)
    expect(watches(index, 'build')).toBe(false)
    expect(watches(index, 'build/deeper')).toBe(false)
    const { waitFor } = watchChanges(index)
    // One made while running, deeper down, likewise.
    mkdirSync(path.join(root, 'sub', 'build'))
    writeFileSync(path.join(root, 'sub', 'build', 'back\\slash.txt'), 'x')
    index.rescan()
    await settled(index, root, waitFor)
    expect(watches(index, 'sub/build')).toBe(false)
    expect(log.events).toEqual([])
    expect(paths(index)).toEqual(SETUP_FILES)
  })

  it('a bad .syncignore keeps the rules in force, with one error; fixed, it takes effect', async () => {
    const { root, state } = setup()
    const file = path.join(root, '.syncignore')
    writeFileSync(path.join(root, 'x.log'), 'log')
    writeFileSync(path.join(root, '.DS_Store'), 'junk')
    // Bad from the start: the defaults, and one error naming the file.
    writeFileSync(file, Buffer.from([0x2a, 0x2e, 0x6c, 0x6f, 0x67, 0xff, 0x0a]))
    const { index, log } = await openIndex(root, state)
    expect(log.events).toEqual([{ type: 'error', code: 'ignore-file-invalid', message: expect.stringMatching(/\.syncignore.*not valid UTF-8/) }])
    expect(index.get('x.log')).toBeDefined()
    expect(index.get('.DS_Store')).toBeUndefined()
    const { seen, waitFor } = watchChanges(index)

    writeFileSync(file, '*.log\n')
    await waitFor(() => seen.some((c) => c.op === 'delete' && c.path === 'x.log'))

    // Too large: the rules of the last good file stay, said once however often it is looked at.
    seen.length = 0
    writeFileSync(file, `${'#'.repeat(1024 * 1024)}\n`)
    await log.until(() => log.count('error') === 2)
    expect(log.events[1]).toMatchObject({ code: 'ignore-file-invalid', message: expect.stringContaining(file) })
    index.rescan()
    await settled(index, root, waitFor)
    expect(log.count('error')).toBe(2)
    expect(seen.filter((c) => !c.path.startsWith('marker-'))).toEqual([])
    expect(index.get('x.log')).toBeUndefined()
    expect(paths(index)).toEqual(SETUP_FILES)
  })

  it('a skipped line in a file written by hand is said once, naming it; the other lines apply; fixed, it is forgotten', async () => {
    const { root, state } = setup()
    const file = path.join(root, '.syncignore')
    writeFileSync(path.join(root, 'x.log'), 'log')
    writeFileSync(file, '*.log\n!\n')
    const { index, log } = await openIndex(root, state)
    expect(log.events).toEqual([{ type: 'error', code: 'ignore-lines-skipped', message: expect.stringContaining(`${file}: line 2 ("!") is a "!" with no pattern after it`) }])
    expect(index.get('x.log')).toBeUndefined()
    const { waitFor } = watchChanges(index)

    // Another skipped line while running: said, once however often the file is looked at.
    writeFileSync(path.join(root, 'x.tmp'), 'tmp')
    writeFileSync(file, '*.log\n!\n*.tmp\nfoo\\\n')
    await log.until(() => log.count('error') === 2)
    expect(log.events[1]).toMatchObject({ code: 'ignore-lines-skipped', message: expect.stringMatching(/line 2 .*; line 4 \("foo\\"\) ends in a backslash/) })
    await waitFor(() => index.get('x.tmp') === undefined)
    index.rescan()
    await settled(index, root, waitFor)
    expect(log.count('error')).toBe(2)

    // Fixed: nothing said; broken the same way again: said again.
    writeFileSync(file, '*.log\n')
    await waitFor(() => index.get('x.tmp') !== undefined)
    writeFileSync(file, '*.log\n!\n')
    await log.until(() => log.count('error') === 3)
    expect(log.events[2]).toEqual(log.events[0])
  })

  it('a 2 MiB .syncignore written in pieces while running is one error, for the file as it ends', async () => {
    const { root, state } = setup()
    const file = path.join(root, '.syncignore')
    writeFileSync(path.join(root, 'x.log'), 'log')
    writeFileSync(file, '*.log\n')
    const { index, log } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    // Every piece so far starts with the rules in force, so a look in mid-write never shares x.log.
    const chunks = Array.from({ length: 32 }, (_, i) => Buffer.from(i === 0 ? `*.log\n${'#'.repeat(64 * 1024 - 6)}` : '#'.repeat(64 * 1024)))
    await writeSlowly(file, chunks)
    await log.until(() => log.count('error') > 0)
    index.rescan()
    await settled(index, root, waitFor)
    expect(log.events).toEqual([
      { type: 'error', code: 'ignore-file-invalid', message: `${file} is not used: it is larger than 1 MiB (${2 * 1024 * 1024} bytes); the previous rules stay in force` },
    ])
    expect(index.get('x.log')).toBeUndefined()
  })

  it('a valid .syncignore written in pieces, each cut where the part would be wrong, ends with its rules and no error', async () => {
    const { root, state } = setup()
    const file = path.join(root, '.syncignore')
    for (const name of ['x.tmp', 'keep-é.tmp', 'space name']) writeFileSync(path.join(root, name), name)
    const { index, log } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    const full = Buffer.from('*.tmp\n!keep-é.tmp\nspace\\ name\n')
    // Cut after the "!", inside the "é", after the backslash.
    const cuts = [0, full.indexOf('!') + 1, full.indexOf('é') + 1, full.indexOf('\\') + 1, full.length]
    await writeSlowly(file, cuts.slice(1).map((end, i) => full.subarray(cuts[i], end)))
    await waitFor(() => index.get('x.tmp') === undefined && index.get('space name') === undefined)
    index.rescan()
    await settled(index, root, waitFor)
    expect(index.get('keep-é.tmp')).toBeDefined()
    expect(log.events).toEqual([])
  })

  it('a .syncignore changed between its first read and the watch taking over is still taken, with no event to say so', async () => {
    const { root, state } = setup()
    const file = path.join(root, '.syncignore')
    writeFileSync(file, '*.txt\n!\n')
    // The first read's error comes while the index opens, before it watches: the fix lands in between.
    const log = new EventLog()
    const index = new FolderIndex(root, state, (event) => {
      log.sink(event)
      if (event.type === 'error' && event.code === 'ignore-lines-skipped') writeFileSync(file, 'f0.txt\n')
    })
    open.push(index)
    await index.open()
    await log.until(() => index.ignoreProblem === null && paths(index).length === SETUP_FILES.length - 1, 10_000, 'the fixed rules in force')
    expect(paths(index)).toEqual(SETUP_FILES.filter((rel) => rel !== 'f0.txt'))
  })
})
