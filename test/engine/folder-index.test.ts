// The shared folder's index over real files: it survives restarts, re-hashing only what changed,
// and pushes changes as they happen.
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderIndex, MAX_UNSHAREABLE_REPORTED } from '../../src/main/engine/folder/folder-index'
import type { IndexChange } from '../../src/main/engine/protocol/messages'
import { contentVersion } from '../helpers/fake-peer'
import { EventLog } from '../helpers/events'
import { writeThroughMmap } from '../helpers/mmap'
import { canMount } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { aged, closeIndexes, open, openIndex, setup, watchChanges } from '../helpers/folder-index'

afterEach(async () => {
  await closeIndexes()
  removeTempDirs()
})

/** Whether a folder made in the temp folder gets a birth time (0 where the file system keeps none). */
function keepsBirthTimes(): boolean {
  const probe = mkdtempSync(path.join(tmpdir(), 'birth-'))
  try {
    return statSync(probe).birthtimeMs !== 0
  } finally {
    rmSync(probe, { recursive: true })
  }
}

/** A folder indexed once and its index closed, as a client stopped: the next open starts from its save. */
async function indexedThenClosed(): Promise<{ root: string; state: string }> {
  const { root, state } = setup()
  const { index } = await openIndex(root, state)
  await index.close()
  open.splice(open.indexOf(index), 1)
  return { root, state }
}




/**
 * A shared folder (from setup) with a tmpfs mounted on its folder `name`, for `run`; unmounted
 * afterwards whatever happens (the test may unmount it itself).
 */
async function withDiskInside(name: string, run: (ctx: { root: string; state: string; disk: string }) => Promise<void>): Promise<void> {
  const { root, state } = setup()
  const disk = path.join(root, name)
  mkdirSync(disk)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk])
  try {
    await run({ root, state, disk })
  } finally {
    spawnSync('umount', [disk])
  }
}

describe('FolderIndex', () => {
  it('indexes every regular file with its SHA-256 and size, and leaves links out', async () => {
    const { root, state } = setup()
    symlinkSync('/etc/passwd', path.join(root, 'link-out'))
    const { index } = await openIndex(root, state)
    expect(index.size).toBe(11)
    expect(index.get('sub/nested.txt')).toMatchObject({ size: 6, version: contentVersion('nested') })
    expect(index.get('link-out')).toBeUndefined()
    expect(JSON.parse(readFileSync(state, 'utf8')).root).toBe(root)
  })

  it('after a restart re-hashes only files whose size, mtime or inode changed', async () => {
    const { root, state } = setup()
    const first = await openIndex(root, state)
    expect(first.index.hashed).toBe(11)
    await first.index.close()
    open.splice(0)

    writeFileSync(path.join(root, 'f1.txt'), 'longer content now')
    const f2 = path.join(root, 'f2.txt')
    utimesSync(f2, new Date(), new Date(Date.now() + 5000))
    rmSync(path.join(root, 'f3.txt'))
    writeFileSync(path.join(root, 'added.txt'), 'new')
    aged(path.join(root, 'f1.txt'), path.join(root, 'added.txt'))
    const second = await openIndex(root, state)
    expect(second.index.hashed).toBe(3)
    expect(second.index.get('f1.txt')?.version).toEqual(contentVersion('longer content now'))
    expect(second.index.get('f3.txt')).toBeUndefined()
    expect(second.index.size).toBe(11)
  })

  /**
   * racy.txt in the setup's folder, written as a file system whose clock ticks in whole seconds
   * stamps it (FAT's ticks in two), a second ahead; `rewrite` writes it again within that tick:
   * same size, same mtime, same inode.
   */
  function withRacyFile(): { root: string; state: string; rewrite(): void } {
    const { root, state } = setup()
    const file = path.join(root, 'racy.txt')
    const tick = Math.floor(Date.now() / 1000) + 1
    const write = (content: string): void => {
      writeFileSync(file, content)
      utimesSync(file, tick, tick)
    }
    write('old bytes')
    return { root, state, rewrite: () => write('new bytes') }
  }

  it('a file hashed within the clock tick of its last write is hashed again after it: a rewrite its stats cannot show is found', async () => {
    const { root, state, rewrite } = withRacyFile()
    const { index } = await openIndex(root, state)
    expect(index.get('racy.txt')!.version).toEqual(contentVersion('old bytes'))
    expect(index.served.isRacy('racy.txt')).toBe(true)
    expect(index.served.isRacy('f1.txt')).toBe(false)
    rewrite()
    const { seen, waitFor } = watchChanges(index)
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'racy.txt'))
    expect(index.get('racy.txt')!.version).toEqual(contentVersion('new bytes'))
    expect(index.served.isRacy('racy.txt')).toBe(false)
  })

  it('a racy entry is not trusted after a restart either', async () => {
    const { root, state, rewrite } = withRacyFile()
    const first = await openIndex(root, state)
    expect(first.index.served.isRacy('racy.txt')).toBe(true)
    await first.index.close()
    open.splice(0)
    rewrite()
    const second = await openIndex(root, state)
    expect(second.index.get('racy.txt')!.version).toEqual(contentVersion('new bytes'))
    // Only it: the others' stats still vouch for them.
    expect(second.index.hashed).toBe(1)
  })

  it('a racy entry is saved as racy by a close within its tick', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    // Made while running: as a file system whose clock ticks in whole seconds stamps it.
    const file = path.join(root, 'racy.txt')
    const tick = Math.floor(Date.now() / 1000) + 1
    writeFileSync(file, 'old bytes')
    utimesSync(file, tick, tick)
    const { seen, waitFor } = watchChanges(index)
    await waitFor(() => seen.some((c) => c.path === 'racy.txt'))
    expect(index.served.isRacy('racy.txt')).toBe(true)
    await index.close()
    open.splice(0)
    writeFileSync(file, 'new bytes')
    utimesSync(file, tick, tick)
    const again = await openIndex(root, state)
    expect(again.index.get('racy.txt')!.version).toEqual(contentVersion('new bytes'))
  })

  /**
   * A 256 MiB file whose first byte is written with `byte()` every 5 ms while the index opens:
   * between the reads of every hash attempt (the hash gives a turn between its reads), the last
   * write during the last attempt, so no stats an attempt ends with are the file's.
   */
  async function openedWhileWritten(byte: () => number): Promise<{ index: FolderIndex; file: string; seen: IndexChange[]; waitFor(check: () => boolean): Promise<void> }> {
    const root = tempDir('index-')
    const file = path.join(root, 'db.img')
    writeFileSync(file, Buffer.alloc(256 * 1024 * 1024, 1))
    aged(file)
    const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), new EventLog().sink)
    open.push(index)
    const poke = setInterval(() => {
      const fd = openSync(file, 'r+')
      writeSync(fd, Buffer.from([byte()]), 0, 1, 0)
      closeSync(fd)
      if (index.hashed >= 4) clearInterval(poke)
    }, 5)
    const opened = index.open()
    const changes = watchChanges(index)
    await opened
    clearInterval(poke)
    return { index, file, ...changes }
  }

  it('a file written all through its hashing is not indexed with what the hash read: it is hashed again once it holds still', { timeout: 30_000 }, async () => {
    let n = 0
    const { index, file } = await openedWhileWritten(() => ++n & 0xff)
    const actual = contentVersion(readFileSync(file))
    const deadline = Date.now() + 15_000
    while (!index.get('db.img')!.version.equals(actual) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(index.get('db.img')!.version).toEqual(actual)
  })

  it('a file touched all through its hashing, its content the same, is announced again once it holds still', { timeout: 30_000 }, async () => {
    // The same byte again and again: the mtime moves, the content does not.
    const { index, file, seen, waitFor } = await openedWhileWritten(() => 1)
    // Peers were refused it meanwhile (it had no mtime a file has): they hear of it again.
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'db.img' && index.get('db.img')!.mtimeMs !== -1))
    expect(index.get('db.img')!.version).toEqual(contentVersion(readFileSync(file)))
  })

  it('a file touched for a while, its content the same, is not announced on every hash meanwhile: once, when it holds still', { timeout: 30_000 }, async () => {
    const root = tempDir('index-')
    const file = path.join(root, 'db.img')
    writeFileSync(file, Buffer.alloc(32 * 1024 * 1024, 1))
    aged(file)
    const { index } = await openIndex(root, path.join(tempDir('state-'), 'index.json'))
    const { seen, waitFor } = watchChanges(index)
    // For 2 s the same byte, again and again (each hash of it finds its mtime moved).
    const until = Date.now() + 2000
    await new Promise<void>((resolve) => {
      const poke = setInterval(() => {
        const fd = openSync(file, 'r+')
        writeSync(fd, Buffer.from([1]), 0, 1, 0)
        closeSync(fd)
        if (Date.now() < until) return
        clearInterval(poke)
        resolve()
      }, 2)
    })
    await waitFor(() => index.get('db.img')!.mtimeMs !== -1 && seen.some((c) => c.path === 'db.img'))
    await new Promise((r) => setTimeout(r, 1500))
    // Without the rule, one push per hash while it was written (some 15–40 here).
    expect(seen.filter((c) => c.path === 'db.img').length).toBeLessThanOrEqual(3)
  })

  it('ignores a saved index of another folder', async () => {
    const { root, state } = setup()
    await (await openIndex(root, state)).index.close()
    open.splice(0)
    const other = tempDir('other-')
    writeFileSync(path.join(other, 'x'), 'x')
    const { index } = await openIndex(other, state)
    expect(index.list().map((f) => f.path)).toEqual(['x'])
  })

  it('announces the last of several quick writes to one file', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const seen: IndexChange[] = []
    index.on('changes', (changes) => seen.push(...changes))
    const file = path.join(root, 'f0.txt')
    for (let i = 0; i < 8; i++) {
      writeFileSync(file, `quick write ${i}`)
      await new Promise((r) => setTimeout(r, 15))
    }
    const last = contentVersion('quick write 7')
    const deadline = Date.now() + 5000
    while (!seen.some((c) => c.op === 'upsert' && c.version.equals(last))) {
      if (Date.now() > deadline) throw new Error(`the last write was never announced: ${seen.length} changes`)
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(index.get('f0.txt')?.version).toEqual(last)
  })

  it('pushes created, changed, deleted and renamed files as they happen', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    writeFileSync(path.join(root, 'created.txt'), 'hello')
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'created.txt'))
    writeFileSync(path.join(root, 'f0.txt'), 'changed')
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'f0.txt' && c.version.equals(contentVersion('changed'))))
    rmSync(path.join(root, 'f5.txt'))
    await waitFor(() => seen.some((c) => c.op === 'delete' && c.path === 'f5.txt'))
    renameSync(path.join(root, 'sub'), path.join(root, 'moved'))
    await waitFor(
      () =>
        seen.some((c) => c.op === 'delete' && c.path === 'sub/nested.txt') &&
        seen.some((c) => c.op === 'upsert' && c.path === 'moved/nested.txt'),
    )
    expect(index.get('moved/nested.txt')?.version).toEqual(contentVersion('nested'))
    expect(index.get('sub/nested.txt')).toBeUndefined()
  })

  it('a shared folder moved away deletes nothing; when it is back, only what changed is pushed', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    renameSync(root, `${root}-away`)
    expect((await log.waitFor('error', { code: 'folder-missing' })).message).toBe(
      `the shared folder ${root} is gone; peers keep their mirrors of it, and sharing resumes when it is back (a new, empty folder in its place counts once it holds a file)`,
    )
    // Still the last index: the peers' mirrors are not emptied.
    expect(index.size).toBe(11)
    renameSync(`${root}-away`, root)
    writeFileSync(path.join(root, 'while-back.txt'), 'new')
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'while-back.txt'))
    expect(log.find('folder-restored', { folder: root })).toBeDefined()
    expect(seen.filter((c) => c.op === 'delete')).toEqual([])
    // Every file is announced again, changed or not: a peer refused one while it was away asks anew.
    expect(new Set(seen.filter((c) => c.op === 'upsert').map((c) => c.path))).toEqual(new Set([...Object.keys(Object.fromEntries(index.list().map((f) => [f.path, 1])))]))
    expect(index.size).toBe(12)
    // And it is watched again.
    writeFileSync(path.join(root, 'later.txt'), 'later')
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'later.txt'))
  })

  it('a shared folder deleted and made anew is indexed anew: what is gone is deleted, what is new pushed', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    rmSync(root, { recursive: true })
    mkdirSync(root)
    // As a person would: a moment later (a folder's times have a few milliseconds' grain).
    await new Promise((r) => setTimeout(r, 50))
    writeFileSync(path.join(root, 'fresh.txt'), 'fresh')
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'fresh.txt') && index.get('f0.txt') === undefined)
    expect(index.size).toBe(1)
    writeFileSync(path.join(root, 'watched.txt'), 'again')
    await waitFor(() => seen.some((c) => c.op === 'upsert' && c.path === 'watched.txt'))
    expect(log.find('error', { code: 'index-failed' })).toBeUndefined()
  })

  // Needs root and a kernel that lets this process mount a tmpfs (CI runs as root).
  it.skipIf(!canMount('tmpfs'))('an unmounted disk leaves an empty mount point: not the folder back; nothing is deleted until it is mounted again', async () => {
    const root = tempDir('mounted-')
    const state = path.join(tempDir('state-'), 'index.json')
    const mountWith = (files: string[]): void => {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root])
      for (const name of files) writeFileSync(path.join(root, name), `content of ${name}`)
    }
    mountWith(['a.txt', 'b.txt'])
    try {
      const { index, log } = await openIndex(root, state)
      const { seen, waitFor } = watchChanges(index)
      execFileSync('umount', [root])
      await log.waitFor('error', { code: 'folder-missing' })
      await new Promise((r) => setTimeout(r, 2500))
      expect(log.find('folder-restored')).toBeUndefined()
      expect(index.size).toBe(2)
      mountWith(['a.txt', 'b.txt'])
      await log.waitFor('folder-restored', {}, 5000)
      await waitFor(() => seen.some((c) => c.path === 'b.txt'))
      expect(seen.filter((c) => c.op === 'delete')).toEqual([])
    } finally {
      for (const index of open.splice(0)) await index.close()
      spawnSync('umount', [root])
    }
  })

  it('a new, empty folder where the shared one was is not taken for it; once it holds a file it is', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    renameSync(root, `${root}-away`)
    await log.waitFor('error', { code: 'folder-missing' })
    mkdirSync(root)
    // Longer than two looks at the folder (one a second).
    await new Promise((r) => setTimeout(r, 2500))
    expect(index.missing).toBe(true)
    expect(log.find('folder-restored')).toBeUndefined()
    expect(seen.filter((c) => c.op === 'delete')).toEqual([])
    expect(index.size).toBe(11)
    writeFileSync(path.join(root, 'first.txt'), 'a new start')
    await log.waitFor('folder-restored', {}, 5000)
    await waitFor(() => index.size === 1 && seen.some((c) => c.op === 'upsert' && c.path === 'first.txt'))
    expect(seen.filter((c) => c.op === 'delete')).toHaveLength(11)
  })

  it('a folder deleted and made anew, empty (it gets the freed inode back), is not the shared one back', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen } = watchChanges(index)
    renameSync(root, `${root}-away`)
    await log.waitFor('error', { code: 'folder-missing' })
    rmSync(`${root}-away`, { recursive: true })
    mkdirSync(root)
    // What a new disk or a tool may leave in it is no file to share either.
    mkdirSync(path.join(root, 'lost+found'))
    await new Promise((r) => setTimeout(r, 2500))
    expect(index.missing).toBe(true)
    expect(seen.filter((c) => c.op === 'delete')).toEqual([])
  })

  // Only where the file system keeps birth times; elsewhere an empty folder waits for a file.
  it.skipIf(!keepsBirthTimes())('the same folder moved back counts however empty it is', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    renameSync(root, `${root}-away`)
    await log.waitFor('error', { code: 'folder-missing' })
    rmSync(path.join(`${root}-away`, 'sub'), { recursive: true })
    for (let i = 0; i < 10; i++) rmSync(path.join(`${root}-away`, `f${i}.txt`))
    renameSync(`${root}-away`, root)
    await log.waitFor('folder-restored', {}, 5000)
    await waitFor(() => index.size === 0 && seen.filter((c) => c.op === 'delete').length >= 11)
    expect(seen.filter((c) => c.op === 'delete')).toHaveLength(11)
  })

  it('at start, an empty folder that is not the one indexed last time is not shared as empty; the folder itself is', async () => {
    const { root, state } = await indexedThenClosed()
    // As if its disk were not mounted yet: an empty folder at its path.
    renameSync(root, `${root}-disk`)
    mkdirSync(root)
    const { index, log } = await openIndex(root, state)
    const { seen } = watchChanges(index)
    expect((await log.waitFor('error', { code: 'folder-missing' })).message).toContain(`${root} holds no file to share and is not the folder shared last time (is its disk mounted?)`)
    expect(index.missing).toBe(true)
    // The last index stands for the peers: nothing is deleted.
    expect(index.size).toBe(11)
    rmSync(root, { recursive: true })
    renameSync(`${root}-disk`, root)
    await log.waitFor('folder-restored', {}, 5000)
    expect(index.missing).toBe(false)
    expect(index.size).toBe(11)
    expect(seen.filter((c) => c.op === 'delete')).toEqual([])
    // Nothing was hashed again: the saved hashes still matched.
    expect(index.hashed).toBe(0)
  })

  it('at start, a folder deleted and made anew while the client was stopped is not shared as empty', async () => {
    const { root, state } = await indexedThenClosed()
    rmSync(root, { recursive: true })
    mkdirSync(root)
    mkdirSync(path.join(root, 'lost+found'))
    const { index, log } = await openIndex(root, state)
    await log.waitFor('error', { code: 'folder-missing' })
    expect(index.size).toBe(11)
  })

  it('at start, an index saved before folders were told apart and an empty folder: waits for a file', async () => {
    const { root, state } = await indexedThenClosed()
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { folder?: unknown }
    expect(saved.folder).toBeDefined()
    delete saved.folder
    writeFileSync(state, JSON.stringify(saved))
    rmSync(root, { recursive: true })
    mkdirSync(root)
    const { index, log } = await openIndex(root, state)
    await log.waitFor('error', { code: 'folder-missing' })
    expect(index.size).toBe(11)
    writeFileSync(path.join(root, 'one.txt'), 'one')
    await log.waitFor('folder-restored', {}, 5000)
    expect(index.list().map((f) => f.path)).toEqual(['one.txt'])
  })

  it('shares names that start with two dots, made while running', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    writeFileSync(path.join(root, '..dots'), 'two dots')
    mkdirSync(path.join(root, '..d'))
    writeFileSync(path.join(root, '..d', 'in.txt'), 'inside')
    await waitFor(() => ['..dots', '..d/in.txt'].every((p) => seen.some((c) => c.op === 'upsert' && c.path === p)))
    writeFileSync(path.join(root, '..dots'), 'changed')
    await waitFor(() => index.get('..dots')?.size === 'changed'.length)
  })

  it('closes promptly while the folder is being looked for or taken back, and says nothing after', async () => {
    for (const waitMs of [0, 1000, 1100, 1200]) {
      const { root, state } = setup()
      const log = new EventLog()
      const index = new FolderIndex(root, state, log.sink)
      await index.open()
      renameSync(root, `${root}-away`)
      await log.waitFor('error', { code: 'folder-missing' })
      renameSync(`${root}-away`, root)
      await new Promise((r) => setTimeout(r, waitMs))
      const closed = index.close()
      const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 4000))])
      expect(outcome, `closing ${waitMs} ms after the folder came back`).toBe('closed')
      const events = log.events.length
      await new Promise((r) => setTimeout(r, 1200))
      expect(log.events.length).toBe(events)
    }
  })

  it('files deleted just before the folder itself went are deleted at the peers once a new folder stands there', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    for (let i = 0; i < 5; i++) rmSync(path.join(root, `f${i}.txt`))
    await new Promise((r) => setTimeout(r, 12))
    renameSync(root, `${root}-away`)
    await new Promise((r) => setTimeout(r, 1500))
    rmSync(`${root}-away`, { recursive: true })
    mkdirSync(root)
    await new Promise((r) => setTimeout(r, 50))
    writeFileSync(path.join(root, 'new.txt'), 'new')
    // However the deletions and the move fell, every file that is gone is announced gone.
    await waitFor(() => index.size === 1 && seen.some((c) => c.path === 'new.txt'))
    const deleted = new Set(seen.filter((c) => c.op === 'delete').map((c) => c.path))
    expect([...deleted].sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `f${i}.txt`), 'sub/nested.txt'].sort())
  })

  it('a shared folder swapped for a link says so', async () => {
    const { root, state } = setup()
    const { log } = await openIndex(root, state)
    renameSync(root, `${root}-real`)
    symlinkSync(`${root}-real`, root)
    const error = await log.waitFor('error', { code: 'folder-missing' })
    expect(error.message).toContain('a link stands at its path now, and links are not followed')
  })

  it('a folder swapped for a link at once is no longer shared', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    renameSync(path.join(root, 'sub'), path.join(root, 'sub-real'))
    symlinkSync('sub-real', path.join(root, 'sub'))
    await waitFor(() => index.get('sub/nested.txt') === undefined && index.get('sub-real/nested.txt') !== undefined)
  })

  it('reports a file made while running whose name cannot be shared', async () => {
    const { root, state } = setup()
    const { log } = await openIndex(root, state)
    writeFileSync(path.join(root, 'back\\slash.txt'), 'x')
    const error = await log.waitFor('error', { code: 'unshareable-path' })
    expect(error.message).toContain('backslash')
  })

  it('a folder tree moved in is indexed, and its deepest folder is watched from then on', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    const outside = tempDir('outside-')
    mkdirSync(path.join(outside, 'tree', 'a', 'b', 'c'), { recursive: true })
    writeFileSync(path.join(outside, 'tree', 'a', 'top.txt'), 'top')
    writeFileSync(path.join(outside, 'tree', 'a', 'b', 'c', 'deep.txt'), 'deep')
    renameSync(path.join(outside, 'tree'), path.join(root, 'tree'))
    await waitFor(() => index.get('tree/a/top.txt') !== undefined && index.get('tree/a/b/c/deep.txt') !== undefined)
    writeFileSync(path.join(root, 'tree', 'a', 'b', 'c', 'later.txt'), 'later')
    await waitFor(() => index.get('tree/a/b/c/later.txt')?.version.equals(contentVersion('later')) === true)
  })

  it('folders made and filled at once are indexed whole, however quickly the files follow', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    for (let i = 0; i < 20; i++) {
      mkdirSync(path.join(root, 'quick', `d${i}`, 'inner'), { recursive: true })
      writeFileSync(path.join(root, 'quick', `d${i}`, 'inner', 'f.txt'), `quick ${i}`)
    }
    await waitFor(() => Array.from({ length: 20 }, (_, i) => index.get(`quick/d${i}/inner/f.txt`)).every(Boolean))
    expect(index.get('quick/d19/inner/f.txt')?.version).toEqual(contentVersion('quick 19'))
  })

  it('a folder replaced by another of the same name: the old files go, the new ones come, and it is watched', async () => {
    const { root, state } = setup()
    mkdirSync(path.join(root, 'swap'))
    writeFileSync(path.join(root, 'swap', 'old.txt'), 'old')
    writeFileSync(path.join(root, 'swap', 'kept.txt'), 'kept before')
    const { index } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    const outside = tempDir('outside-')
    mkdirSync(path.join(outside, 'swap'))
    writeFileSync(path.join(outside, 'swap', 'kept.txt'), 'kept after')
    writeFileSync(path.join(outside, 'swap', 'new.txt'), 'new')
    // Moved aside and replaced in one go: only the parent's two events tell of it.
    renameSync(path.join(root, 'swap'), path.join(outside, 'old-swap'))
    renameSync(path.join(outside, 'swap'), path.join(root, 'swap'))
    // Waits for the announcement, made at the end of the look (the index changes as it goes).
    await waitFor(() => seen.some((c) => c.op === 'delete' && c.path === 'swap/old.txt') && index.get('swap/new.txt') !== undefined)
    expect(index.get('swap/old.txt')).toBeUndefined()
    expect(index.get('swap/kept.txt')?.version).toEqual(contentVersion('kept after'))
    writeFileSync(path.join(root, 'swap', 'then.txt'), 'then')
    await waitFor(() => index.get('swap/then.txt') !== undefined)
    // The folder moved out is no longer watched: a change in it is nothing of ours.
    writeFileSync(path.join(outside, 'old-swap', 'ghost.txt'), 'ghost')
    await new Promise((r) => setTimeout(r, 200))
    expect(index.list().some((f) => f.path.endsWith('ghost.txt'))).toBe(false)
  })

  it('a folder of 2,000 files copied in while running is indexed whole, and what was there stays', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    const outside = tempDir('outside-')
    for (let d = 0; d < 20; d++) {
      mkdirSync(path.join(outside, 'copied', `d${d}`), { recursive: true })
      for (let i = 0; i < 100; i++) writeFileSync(path.join(outside, 'copied', `d${d}`, `f${i}`), `copied ${d} ${i}`)
    }
    execFileSync('cp', ['-r', path.join(outside, 'copied'), root])
    await waitFor(() => index.size === 11 + 2000)
    expect(index.get('copied/d19/f99')?.version).toEqual(contentVersion('copied 19 99'))
    expect(index.get('sub/nested.txt')).toBeDefined()
  })

  it('files made while running, each just written, are hashed once and announced once (not again when their clock tick is over)', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    const hashed = index.hashed
    const outside = tempDir('outside-')
    mkdirSync(path.join(root, 'new'))
    // Whole when they appear (renamed in), so no look can find one half written.
    for (let i = 0; i < 200; i++) {
      writeFileSync(path.join(outside, `f${i}`), `new ${i}`)
      renameSync(path.join(outside, `f${i}`), path.join(root, 'new', `f${i}`))
    }
    await waitFor(() => index.size === 11 + 200)
    // Past any file's tick: a second hash, had it come, would have come by now.
    await new Promise((r) => setTimeout(r, 500))
    expect(index.hashed - hashed).toBe(200)
    expect(seen.filter((c) => c.path.startsWith('new/')).length).toBe(200)
    expect(index.get('new/f199')?.version).toEqual(contentVersion('new 199'))
  })

  it('a write through a memory mapping, which raises no watch event, is found by the rescan', async () => {
    const { root, state } = setup()
    const log = new EventLog()
    const index = new FolderIndex(root, state, log.sink, { rescanEveryMs: 300 })
    await index.open()
    open.push(index)
    const { waitFor } = watchChanges(index)
    // Same size, new bytes, written through mmap: only the mtime (set as the page is dirtied) tells.
    const file = path.join(root, 'f3.txt')
    writeThroughMmap(file, 'CONTENT')
    expect(readFileSync(file, 'utf8')).toBe('CONTENT 3')
    await waitFor(() => index.get('f3.txt')?.version.equals(contentVersion('CONTENT 3')) === true)
  })

  it('a rescan that finds nothing changed announces nothing', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { seen } = watchChanges(index)
    const hashed = index.hashed
    for (let i = 0; i < 3; i++) {
      index.rescan()
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(seen).toEqual([])
    expect(index.hashed).toBe(hashed)
    expect(index.size).toBe(11)
  })

  it('a folder deleted and made anew (the freed inode back) is watched anew', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    rmSync(path.join(root, 'sub'), { recursive: true })
    mkdirSync(path.join(root, 'sub'))
    await waitFor(() => index.get('sub/nested.txt') === undefined)
    // The old folder's watch is dead: only a new one sees what is made in the new folder.
    writeFileSync(path.join(root, 'sub', 'after.txt'), 'after')
    mkdirSync(path.join(root, 'sub', 'deeper'))
    writeFileSync(path.join(root, 'sub', 'deeper', 'x.txt'), 'x')
    await waitFor(() => index.get('sub/after.txt') !== undefined && index.get('sub/deeper/x.txt') !== undefined)
  })

  it('a folder that cannot be read keeps what is below it, and does not keep a replaced folder’s old files', async () => {
    const { root, state } = setup()
    mkdirSync(path.join(root, 'swap'))
    writeFileSync(path.join(root, 'swap', 'old.txt'), 'old')
    const { index, log } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    const outside = tempDir('outside-')
    mkdirSync(path.join(outside, 'swap'))
    writeFileSync(path.join(outside, 'swap', 'new.txt'), 'new')
    // A folder Node cannot open again (its name is not UTF-8) inside the replacement.
    mkdirSync(Buffer.concat([Buffer.from(`${outside}/swap/bad-`), Buffer.from([0xff])]))
    renameSync(path.join(root, 'swap'), path.join(outside, 'old-swap'))
    renameSync(path.join(outside, 'swap'), path.join(root, 'swap'))
    await waitFor(() => index.get('swap/new.txt') !== undefined && index.get('swap/old.txt') === undefined)
    await log.waitFor('error', { code: 'unshareable-path' })
  })

  it('hashes right when a file is larger or smaller than its size a moment ago', async () => {
    const { hashFile } = await import('../../src/main/engine/folder/hash')
    const file = path.join(tempDir('hash-'), 'grown.bin')
    const content = Buffer.alloc(2 * 1024 * 1024 + 3, 5)
    writeFileSync(file, content)
    for (const expected of [0, 1, 4096, content.length, content.length + 10, 8 * 1024 * 1024]) {
      const fd = openSync(file, 'r')
      const { version, size } = await hashFile(fd, expected).finally(() => closeSync(fd))
      expect(size).toBe(content.length)
      expect(version).toEqual(contentVersion(content))
    }
  })

  it.skipIf(!canMount('tmpfs'))('a disk mounted inside the shared folder and unmounted: its files stay until the empty mount point holds a file', () =>
    withDiskInside('disk', async ({ root, state, disk }) => {
      writeFileSync(path.join(disk, 'a.txt'), 'a')
      writeFileSync(path.join(disk, 'b.txt'), 'b')
      const { index, log } = await openIndex(root, state)
      const { seen, waitFor } = watchChanges(index)
      expect(index.get('disk/a.txt')).toBeDefined()
      execFileSync('umount', [disk])
      index.rescan()
      await log.waitFor('error', { code: 'folder-missing' })
      // Looked at again, an event naming the mount point, and one file asked about (as the folder
      // server does when a read finds it other than indexed): still nothing deleted.
      chmodSync(disk, 0o700)
      index.rescan()
      index.served.recheck('disk/a.txt')
      await new Promise((r) => setTimeout(r, 300))
      expect(seen.filter((c) => c.op === 'delete')).toEqual([])
      expect(index.get('disk/b.txt')).toBeDefined()
      // Holding a file again, the folder counts: what it lacks is gone.
      writeFileSync(path.join(disk, 'new.txt'), 'new')
      index.rescan()
      // Announced at the end of the look (the index itself changes as it goes).
      const deleted = (): string[] => seen.filter((c) => c.op === 'delete').map((c) => c.path).sort()
      await waitFor(() => deleted().length === 2 && index.get('disk/new.txt') !== undefined)
      expect(deleted()).toEqual(['disk/a.txt', 'disk/b.txt'])
    }))

  it.skipIf(!canMount('tmpfs'))('a disk unmounted inside the shared folder, its folders named as its mount point: nothing deleted', () =>
    withDiskInside('m', async ({ root, state, disk }) => {
      // Each dead watch reports its folder by the folder's own name, as if a child of that name.
      mkdirSync(path.join(disk, 'm', 'm'), { recursive: true })
      writeFileSync(path.join(disk, 'm', 'a.txt'), 'a')
      writeFileSync(path.join(disk, 'm', 'm', 'b.txt'), 'b')
      writeFileSync(path.join(disk, 'top.txt'), 'top')
      const { index, log } = await openIndex(root, state)
      const { seen } = watchChanges(index)
      execFileSync('umount', [disk])
      await log.waitFor('error', { code: 'folder-missing' })
      await new Promise((r) => setTimeout(r, 300))
      index.rescan()
      await new Promise((r) => setTimeout(r, 300))
      expect(seen.filter((c) => c.op === 'delete')).toEqual([])
      expect(index.get('m/m/m/b.txt')).toBeDefined()
    }))

  it.skipIf(!canMount('tmpfs'))('an empty mount point held, then removed: the folder made again there counts as any other', () =>
    withDiskInside('m', async ({ root, state, disk }) => {
      writeFileSync(path.join(disk, 'a.txt'), 'a')
      const { index, log } = await openIndex(root, state)
      const { waitFor } = watchChanges(index)
      execFileSync('umount', [disk])
      await log.waitFor('error', { code: 'folder-missing' })
      rmSync(disk, { recursive: true })
      await waitFor(() => index.get('m/a.txt') === undefined)
      mkdirSync(disk)
      writeFileSync(path.join(disk, 'z.txt'), 'z')
      await waitFor(() => index.get('m/z.txt') !== undefined)
      renameSync(disk, path.join(root, 'm.old'))
      mkdirSync(disk)
      index.rescan()
      await waitFor(() => index.get('m/z.txt') === undefined && index.get('m.old/z.txt') !== undefined)
    }))

  it('a folder made inside one of the same name is watched: what is deleted in it is deleted', async () => {
    const { root, state } = setup()
    const { index } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    // Its parent's event names it with the parent's own name, as events on the parent itself do.
    mkdirSync(path.join(root, 'sub', 'sub'))
    writeFileSync(path.join(root, 'sub', 'sub', 'f.txt'), 'f')
    await waitFor(() => index.get('sub/sub/f.txt') !== undefined)
    rmSync(path.join(root, 'sub', 'sub', 'f.txt'))
    await waitFor(() => index.get('sub/sub/f.txt') === undefined)
  })

  it('reports a file made while running whose name is not UTF-8', async () => {
    const { root, state } = setup()
    const { log } = await openIndex(root, state)
    writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x')
    const error = await log.waitFor('error', { code: 'unshareable-path' })
    expect(error.message).toContain('not valid UTF-8')
  })

  it('a file replaced by a folder of the same name: the file is deleted at the peers, the folder’s files come', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    rmSync(path.join(root, 'f1.txt'))
    mkdirSync(path.join(root, 'f1.txt'))
    writeFileSync(path.join(root, 'f1.txt', 'inner'), 'inner')
    // The index takes a path out before it announces the change (it first checks the folder is still there): wait for both.
    await waitFor(() => index.get('f1.txt/inner') !== undefined && index.get('f1.txt') === undefined && seen.some((c) => c.path === 'f1.txt'))
    expect(seen.filter((c) => c.path === 'f1.txt').map((c) => c.op), `changes ${JSON.stringify(seen)}; events ${JSON.stringify(log.events)}`).toEqual(['delete'])
  })

  it('a folder replaced by a file of the same name: what was below it is deleted, the file comes, and is watched as a file', async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { seen, waitFor } = watchChanges(index)
    rmSync(path.join(root, 'sub'), { recursive: true })
    writeFileSync(path.join(root, 'sub'), 'a file now')
    await waitFor(() => index.get('sub')?.version.equals(contentVersion('a file now')) === true && index.get('sub/nested.txt') === undefined && seen.some((c) => c.path === 'sub/nested.txt'))
    expect(seen.filter((c) => c.path === 'sub/nested.txt').map((c) => c.op), `changes ${JSON.stringify(seen)}; events ${JSON.stringify(log.events)}`).toEqual(['delete'])
    writeFileSync(path.join(root, 'sub'), 'written again')
    await waitFor(() => index.get('sub')?.version.equals(contentVersion('written again')) === true)
  })

  /** A folder indexed once, closed, and its saved index edited by `edit` (its JSON as parsed). */
  async function withSavedIndex(edit: (saved: { files: unknown[][] } & Record<string, unknown>) => unknown): Promise<{ root: string; state: string }> {
    const { root, state } = await indexedThenClosed()
    const edited = edit(JSON.parse(readFileSync(state, 'utf8')))
    writeFileSync(state, typeof edited === 'string' ? edited : JSON.stringify(edited))
    return { root, state }
  }

  for (const [what, edit, said] of [
    ['a version that is not 64 hex digits', (saved: { files: unknown[][] }) => ((saved.files[0]![1] = 'abc'), saved), 'version'],
    ['a path that may not be shared', (saved: { files: unknown[][] }) => ((saved.files[0]![0] = '../outside.txt'), saved), 'path'],
    ['a negative size', (saved: { files: unknown[][] }) => ((saved.files[0]![2] = -5), saved), 'size'],
    ['a size that is no number', (saved: { files: unknown[][] }) => ((saved.files[0]![2] = '12'), saved), 'size'],
    ['an mtime below the one for untrusted entries', (saved: { files: unknown[][] }) => ((saved.files[0]![3] = -7), saved), 'mtime'],
    ['an inode that is no number', (saved: { files: unknown[][] }) => ((saved.files[0]![4] = null), saved), 'inode'],
    ['an entry that is not a list', (saved: { files: unknown[] }) => ((saved.files[0] = { path: 'f0.txt' }), saved), 'entry'],
    ['files that are not a list', (saved: Record<string, unknown>) => ({ ...saved, files: 'f0.txt' }), 'files'],
    ['a folder identity that is no numbers', (saved: Record<string, unknown>) => ({ ...saved, folder: { dev: 'x' } }), 'folder'],
    ['not JSON at all', () => '{"root": tru', 'JSON'],
  ] as const) {
    it(`a saved index with ${what} is not trusted: everything is hashed afresh, with one warning`, async () => {
      const { root, state } = await withSavedIndex(edit as never)
      const { index, log } = await openIndex(root, state)
      expect(index.hashed).toBe(11)
      expect(index.size).toBe(11)
      expect(index.list().every((f) => f.version.length === 32)).toBe(true)
      expect(index.get('f0.txt')?.version).toEqual(contentVersion('content 0'))
      const warnings = log.events.filter((e) => e.type === 'error' && e.code === 'index-invalid')
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatchObject({ message: expect.stringContaining(state) })
      expect(warnings[0]).toMatchObject({ message: expect.stringContaining(said) })
    })
  }

  it('a saved index of SHA-256 versions (before protocol 5) is of no use: everything is hashed afresh, without a warning', async () => {
    const { root, state } = await withSavedIndex((saved: Record<string, unknown>) => {
      delete saved['versions']
      return saved
    })
    const { index, log } = await openIndex(root, state)
    expect(index.hashed).toBe(11)
    expect(index.get('f0.txt')?.version).toEqual(contentVersion('content 0'))
    expect(log.count('error')).toBe(0)
  })

  it('an untrusted mtime in a saved index is valid: that file alone is hashed again, without a warning', async () => {
    const { root, state } = await withSavedIndex((saved) => ((saved.files[0]![3] = -1), saved))
    const { index, log } = await openIndex(root, state)
    expect(index.hashed).toBe(1)
    expect(log.count('error')).toBe(0)
  })

  it('names that cannot be shared are reported up to a bound, once that is said; one gone is forgotten, and reported again when made again', { timeout: 60_000 }, async () => {
    const { root, state } = setup()
    const { index, log } = await openIndex(root, state)
    const { waitFor } = watchChanges(index)
    const reported = (): string[] => log.events.flatMap((e) => (e.type === 'error' && e.code === 'unshareable-path' ? [e.message] : []))
    writeFileSync(path.join(root, 'first\\bad.txt'), 'x')
    await log.until(() => reported().length === 1, 5000, 'the first name reported')
    rmSync(path.join(root, 'first\\bad.txt'))
    writeFileSync(path.join(root, 'marker.txt'), 'x')
    await waitFor(() => index.get('marker.txt') !== undefined)
    writeFileSync(path.join(root, 'first\\bad.txt'), 'again')
    await log.until(() => reported().length === 2, 5000, 'the name made again reported again')

    mkdirSync(path.join(root, 'many'))
    for (let i = 0; i < MAX_UNSHAREABLE_REPORTED + 50; i++) writeFileSync(path.join(root, 'many', `bad\\${i}`), '')
    writeFileSync(path.join(root, 'many', 'fine.txt'), 'x')
    await waitFor(() => index.get('many/fine.txt') !== undefined)
    index.rescan()
    writeFileSync(path.join(root, 'after-rescan.txt'), 'x')
    await waitFor(() => index.get('after-rescan.txt') !== undefined)
    // The first name twice (forgotten in between), then new ones until the bound: none after it.
    expect(reported().length).toBe(MAX_UNSHAREABLE_REPORTED + 1)
    expect(log.events.filter((e) => e.type === 'error' && e.code === 'unshareable-paths-not-reported')).toHaveLength(1)
  })

  it('a first start hashes each file once, and a restart none', async () => {
    const root = tempDir('many-')
    for (let d = 0; d < 5; d++) {
      mkdirSync(path.join(root, `d${d}`))
      for (let i = 0; i < 40; i++) writeFileSync(path.join(root, `d${d}`, `f${i}`), `file ${d} ${i}`)
      aged(...Array.from({ length: 40 }, (_, i) => path.join(root, `d${d}`, `f${i}`)))
    }
    writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 5, 7))
    aged(path.join(root, 'big.bin'))
    const state = path.join(tempDir('state-'), 'index.json')
    const first = (await openIndex(root, state)).index
    expect(first.size).toBe(201)
    expect(first.hashed).toBe(201)
    expect(first.get('big.bin')?.version).toEqual(contentVersion(Buffer.alloc(3 * 1024 * 1024 + 5, 7)))
    expect(first.get('d4/f39')?.size).toBe('file 4 39'.length)
    await first.close()
    open.splice(open.indexOf(first), 1)
    const again = (await openIndex(root, state)).index
    expect(again.size).toBe(201)
    expect(again.hashed).toBe(0)
  })
})
