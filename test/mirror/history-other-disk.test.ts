// A disk mounted inside a mirror (another file system than the history beside the mirrors): a
// version it deletes or overwrites cannot be hard-linked into the history, so it is copied there.
// Needs the temp folder and /dev/shm on different file systems, as on a stock Linux machine.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MirrorWriter } from '../../src/main/engine/mirror/mirror-path'
import { linkOrCopy } from '../../src/main/engine/util/hard-links'
import { historyStoreOn, PEER_FOLDER } from '../helpers/history-store'
import { removeTempDirs, tempDir } from '../helpers/temp'

const SHM = '/dev/shm'
const twoFileSystems = statSync(SHM, { throwIfNoEntry: false })?.dev !== undefined && statSync(SHM).dev !== statSync(tmpdir()).dev

const onShm: string[] = []
afterEach(() => {
  for (const dir of onShm.splice(0)) rmSync(dir, { recursive: true, force: true })
  removeTempDirs()
})

function shmDir(): string {
  const dir = mkdtempSync(path.join(SHM, 'dbs-other-disk-'))
  onShm.push(dir)
  return dir
}

describe.skipIf(!twoFileSystems)('a version on another file system than the history', () => {
  it('linkOrCopy copies what it cannot link across file systems', () => {
    const from = path.join(shmDir(), 'a.txt')
    writeFileSync(from, 'on the other disk')
    const to = path.join(tempDir('history-'), 'kept')
    linkOrCopy(from, to)
    expect(readFileSync(to, 'utf8')).toBe('on the other disk')
    expect(() => linkOrCopy(from, to)).toThrow(/EEXIST/)
  })

  it('a deleted file is kept in the history as a copy', async () => {
    const { store, problems, dir } = await historyStoreOn(1024 ** 3)
    const file = path.join(shmDir(), 'gone.txt')
    writeFileSync(file, 'deleted at the peer')
    const id = store.link(PEER_FOLDER, '127.0.0.1:4001', 'gone.txt', file, '00'.repeat(32), 'deleted')
    expect(problems).toEqual([])
    expect(id).not.toBeNull()
    expect(readFileSync(path.join(dir, 'files', id!), 'utf8')).toBe('deleted at the peer')
    await store.stop()
  })

  it('an overwritten file is kept in the history as a copy, and the new version takes its place', () => {
    const mirror = shmDir()
    const target = path.join(mirror, 'doc.txt')
    writeFileSync(target, 'old version')
    const temp = path.join(mirror, '.dbs-tmp-new')
    writeFileSync(temp, 'new version')
    const history = tempDir('history-')
    mkdirSync(path.join(history, 'files'))
    const keepAs = path.join(history, 'files', 'reserved')
    new MirrorWriter().commit(temp, target, keepAs)
    expect(readFileSync(target, 'utf8')).toBe('new version')
    expect(readFileSync(keepAs, 'utf8')).toBe('old version')
  })
})
