// The shared folder's index is kept under the mirror folder (MIRROR/.dropbox-sync/index.json): a
// real client whose mirror disk fills up says so once, naming the file, goes on sharing, and saves
// the index by itself once there is room, with no further change in the folder.
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { startClient, startServer, write } from '../helpers/mirror-clients'
import { canMount, mounted, unmountAll } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => {
  killAll()
  unmountAll()
  removeTempDirs()
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** What the index on disk says now: its record and its journal, as text. */
function savedIndex(mirrorRoot: string): string {
  const file = path.join(mirrorRoot, '.dropbox-sync', 'index.json')
  const read = (name: string): string => {
    try {
      return readFileSync(name, 'utf8')
    } catch {
      return ''
    }
  }
  return read(file) + read(`${file}.journal`)
}

describe.skipIf(!canMount('tmpfs'))('the index on a disk that fills up', () => {
  it('one error naming the index file however many saves fail, sharing goes on, and it is saved once there is room', async () => {
    const mirrorRoot = mounted('tmpfs', 'size=2m')!
    const dir = tempDir('shared-')
    write(dir, 'first.txt', 'first\n')
    const serverPort = await startServer()
    const client = await startClient(serverPort, dir, '--mirror', mirrorRoot)
    await client.cli.until(() => savedIndex(mirrorRoot).includes('first.txt'), 15_000, 'the first save')

    // Everything else on that disk: the index cannot grow by a byte.
    const ballast = path.join(mirrorRoot, 'ballast.bin')
    try {
      writeFileSync(ballast, randomBytes(4 * 1024 * 1024))
    } catch {
      // ENOSPC once the disk is full: what was written fills it.
    }
    // Changes a save apart (one is due half a second after the last change), each more than the
    // page the journal's last lines may have left free.
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 40; j++) write(dir, `late-${i}/${'long-name-'.repeat(8)}${j}.txt`, `late ${i} ${j}\n`)
      await sleep(1500)
    }
    const saveErrors = () => client.cli.events.filter((e) => e.type === 'error' && e.code === 'index-save-failed')
    await client.cli.until(() => saveErrors().length > 0, 15_000, 'an index-save-failed error')
    // Long enough for the saves of every change and a few tries again.
    await sleep(5000)
    const errors = saveErrors()
    expect(errors, JSON.stringify(errors)).toHaveLength(1)
    expect(errors[0]!.type === 'error' && errors[0]!.message).toContain(path.join(mirrorRoot, '.dropbox-sync', 'index.json'))
    expect(errors[0]!.type === 'error' && errors[0]!.message).toMatch(/ENOSPC/)
    expect(savedIndex(mirrorRoot)).not.toContain('late-3/')

    rmSync(ballast)
    await client.cli.until(() => savedIndex(mirrorRoot).includes('late-3/'), 90_000, 'the index saved again')
    expect(saveErrors()).toHaveLength(1)
  }, 150_000)
})
