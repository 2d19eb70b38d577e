// Where deleted mirror files wait a moment (a rename may follow as a create): over real files.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Recycler } from '../../src/main/engine/mirror/recycler'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

describe('Recycler', () => {
  it('keeps a deleted file by its version and hands it over once', async () => {
    const mirror = tempDir('mirror-')
    const recycler = new Recycler(path.join(tempDir('state-'), 'recently-deleted'))
    await recycler.start()
    writeFileSync(path.join(mirror, 'a.txt'), 'a')
    await recycler.keep(path.join(mirror, 'a.txt'), 'v1')
    expect(existsSync(path.join(mirror, 'a.txt'))).toBe(false)
    const held = recycler.take('v1')
    expect(held && existsSync(held)).toBe(true)
    expect(recycler.take('v1')).toBeNull()
    await recycler.clear()
  })

  it('a file already gone, or behind a folder that is a file now, is nothing to keep: no error', async () => {
    const mirror = tempDir('mirror-')
    const recycler = new Recycler(path.join(tempDir('state-'), 'recently-deleted'))
    await recycler.start()
    await expect(recycler.keep(path.join(mirror, 'gone.txt'), 'v1')).resolves.toBeUndefined()
    // The peer made folder `sub` a file, and that file is in place before its old files go.
    writeFileSync(path.join(mirror, 'sub'), 'a file now')
    await expect(recycler.keep(path.join(mirror, 'sub', 'old.txt'), 'v2')).resolves.toBeUndefined()
    expect(recycler.take('v2')).toBeNull()
    expect(readdirSync(mirror)).toEqual(['sub'])
    await recycler.clear()
  })

  it('a folder standing where the file was is left in place, not taken for the file', async () => {
    const mirror = tempDir('mirror-')
    const recycler = new Recycler(path.join(tempDir('state-'), 'recently-deleted'))
    await recycler.start()
    mkdirSync(path.join(mirror, 'a'))
    writeFileSync(path.join(mirror, 'a', 'b.txt'), 'the peer made `a` a folder')
    await recycler.keep(path.join(mirror, 'a'), 'v1')
    expect(recycler.take('v1')).toBeNull()
    expect(statSync(path.join(mirror, 'a', 'b.txt')).isFile()).toBe(true)
    await recycler.clear()
  })

  it('a held file that became a folder is removed without an unhandled rejection', async () => {
    const mirror = tempDir('mirror-')
    const dir = path.join(tempDir('state-'), 'recently-deleted')
    const recycler = new Recycler(dir)
    await recycler.start()
    writeFileSync(path.join(mirror, 'a.txt'), 'a')
    await recycler.keep(path.join(mirror, 'a.txt'), 'v1')
    const [held] = readdirSync(dir)
    rmSync(path.join(dir, held!))
    mkdirSync(path.join(dir, held!, 'inner'), { recursive: true })
    // A rejection nobody handles ends the process (and fails this run).
    await recycler.clear()
    await new Promise((resolve) => setImmediate(resolve))
    expect(readdirSync(dir)).toEqual([])
  })
})
