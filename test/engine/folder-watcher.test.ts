// The shared folder's watcher over real folders: one watch per folder, none per file, links not
// followed, and what changes reported by path.
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderWatcher } from '../../src/main/engine/folder/folder-watcher'
import { removeTempDirs, tempDir } from '../helpers/temp'

const watchers: FolderWatcher[] = []

afterEach(() => {
  for (const w of watchers.splice(0)) w.close()
  removeTempDirs()
})

function start(root: string): { watcher: FolderWatcher; seen: string[]; problems: string[] } {
  const seen: string[] = []
  const problems: string[] = []
  const watcher = new FolderWatcher(root, { changed: (rel) => seen.push(rel), problem: (m) => problems.push(m) })
  watchers.push(watcher)
  return { watcher, seen, problems }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('FolderWatcher', () => {
  it('watches every folder once and no file, and reports changes by relative path', async () => {
    const root = tempDir('watch-')
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true })
    mkdirSync(path.join(root, 'c'))
    for (let i = 0; i < 50; i++) writeFileSync(path.join(root, 'a', `f${i}`), 'x')
    const { watcher, seen, problems } = start(root)
    await watcher.start()
    expect(watcher.folders).toBe(4)
    writeFileSync(path.join(root, 'a', 'b', 'new.txt'), 'new')
    writeFileSync(path.join(root, 'top.txt'), 'top')
    await until(() => seen.includes('a/b/new.txt') && seen.includes('top.txt'), 'both changes reported')
    expect(problems).toEqual([])
  })

  it('does not follow a link to a folder outside', async () => {
    const root = tempDir('watch-')
    const outside = tempDir('outside-')
    symlinkSync(outside, path.join(root, 'link'))
    const { watcher, seen } = start(root)
    await watcher.start()
    expect(watcher.folders).toBe(1)
    writeFileSync(path.join(outside, 'secret.txt'), 'x')
    writeFileSync(path.join(root, 'mine.txt'), 'x')
    await until(() => seen.includes('mine.txt'), 'the folder’s own change reported')
    expect(seen.some((rel) => rel.includes('secret'))).toBe(false)
  })

  it('watches a folder again when another takes its place, and drops what is gone', async () => {
    const root = tempDir('watch-')
    mkdirSync(path.join(root, 'x', 'y'), { recursive: true })
    const { watcher } = start(root)
    await watcher.start()
    expect(watcher.folders).toBe(3)
    const x = statSync(path.join(root, 'x'))
    await watcher.watchTree('x', x)
    expect(watcher.folders).toBe(3)
    watcher.unwatchTree('x')
    expect(watcher.folders).toBe(1)
    await watcher.watchTree('x', x)
    expect(watcher.folders).toBe(3)
    // Another folder at the same path, with the freed inode (as ext4 gives it back) but another
    // birth time: the old watches go, new ones come.
    await watcher.watchTree('x', { dev: x.dev, ino: x.ino, birthtimeMs: x.birthtimeMs + 1 })
    expect(watcher.folders).toBe(3)
    watcher.close()
    expect(watcher.folders).toBe(0)
  })
})
