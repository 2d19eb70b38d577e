// Files written whole or not at all, and the temp files a writer killed mid-write leaves behind.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { removeLeftoverTemps, writeFileAtomic } from '../../src/main/engine/folder/atomic-write'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { MirrorManifest } from '../../src/main/engine/mirror/mirror-manifest'
import { EventLog } from '../helpers/events'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

/** The process ID of a process that ran and is gone. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!

/** What a writer killed mid-write leaves beside `file`, and what others keep there. */
function leftovers(file: string): { dead: string; alive: string; others: string[] } {
  const dir = path.dirname(file)
  const base = path.basename(file)
  const dead = `${base}.tmp-${deadPid()}-k1ll3d`
  const alive = `${base}.tmp-${process.pid}-wr1t1ng`
  const others = [`${base}.tmp-notapid`, `other.json.tmp-${deadPid()}-x`, base]
  for (const name of [dead, alive, ...others]) writeFileSync(path.join(dir, name), 'x')
  return { dead, alive, others }
}

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file', async () => {
    const file = path.join(tempDir('atomic-'), 'state.json')
    await writeFileAtomic(file, 'one')
    await writeFileAtomic(file, 'two')
    expect([readFileSync(file, 'utf8'), readdirSync(path.dirname(file))]).toEqual(['two', ['state.json']])
  })

  it("removes the temp files of writers no longer running, and only theirs", async () => {
    const file = path.join(tempDir('atomic-'), 'state.json')
    const { dead, alive, others } = leftovers(file)
    await removeLeftoverTemps(file)
    const left = readdirSync(path.dirname(file))
    expect(left).not.toContain(dead)
    expect(left.sort()).toEqual([alive, ...others].sort())
  })

  it('a folder index and a mirror manifest clear their leftovers as they load', async () => {
    const state = tempDir('state-')
    const root = tempDir('shared-')
    const indexFile = path.join(state, 'index.json')
    const index = new FolderIndex(root, indexFile, new EventLog().sink)
    await index.open()
    await index.close()
    const fromIndex = leftovers(indexFile)
    const mirror = tempDir('mirror-')
    mkdirSync(path.join(mirror, 'peer'))
    const manifestFile = path.join(mirror, 'manifest.json')
    const fromManifest = leftovers(manifestFile)

    const again = new FolderIndex(root, indexFile, new EventLog().sink)
    await again.open()
    await again.close()
    await new MirrorManifest(path.join(mirror, 'peer'), manifestFile).load()
    expect(readdirSync(state)).not.toContain(fromIndex.dead)
    expect(readdirSync(mirror)).not.toContain(fromManifest.dead)
    expect(readdirSync(state)).toContain(fromIndex.alive)
  })
})
