// The watch on a mirror folder: which paths it names as suspect, over real folders.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MirrorGuard } from '../../src/main/engine/mirror/mirror-guard'
import { TEMP_PREFIX } from '../../src/main/engine/mirror/mirror-path'
import { removeTempDirs, tempDir } from '../helpers/temp'

const guards: MirrorGuard[] = []

afterEach(() => {
  for (const guard of guards.splice(0)) guard.close()
  removeTempDirs()
})

async function guarded(folder: string, rescanEveryMs?: number): Promise<{ suspects: string[]; unwatched: string[]; until(rel: string): Promise<void> }> {
  const suspects: string[] = []
  const unwatched: string[] = []
  const guard = new MirrorGuard(
    folder,
    {
      suspect: (paths, fresh) => {
        suspects.push(...paths)
        unwatched.push(...fresh)
      },
      problem: (message) => suspects.push(`problem: ${message}`),
    },
    { rescanEveryMs },
  )
  guards.push(guard)
  await guard.start()
  return {
    suspects,
    unwatched,
    async until(rel) {
      const deadline = Date.now() + 5000
      while (!suspects.includes(rel)) {
        if (Date.now() > deadline) throw new Error(`${rel} never suspected; got ${JSON.stringify(suspects)}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
}

describe('MirrorGuard', () => {
  it('names files changed or deleted, folders removed, and watches folders made since, deep ones too', async () => {
    const folder = tempDir('mirror-')
    mkdirSync(path.join(folder, 'dir'))
    writeFileSync(path.join(folder, 'a.txt'), 'a')
    writeFileSync(path.join(folder, 'dir', 'b.txt'), 'b')
    const { suspects, unwatched, until } = await guarded(folder)
    writeFileSync(path.join(folder, 'dir', 'b.txt'), 'edited')
    await until('dir/b.txt')
    rmSync(path.join(folder, 'a.txt'))
    await until('a.txt')
    rmSync(path.join(folder, 'dir'), { recursive: true })
    await until('dir')
    mkdirSync(path.join(folder, 'new', 'deeper'), { recursive: true })
    await until('new')
    writeFileSync(path.join(folder, 'new', 'deeper', 'c.txt'), 'c')
    await until('new/deeper/c.txt')
    // Only the folder made since was not watched before it was named: what happened below it
    // until then (a file placed and deleted) is for the coordinator to look at.
    expect(unwatched).toEqual(['new'])
    // A transfer's temp file is no one's business but the transfer's.
    writeFileSync(path.join(folder, `${TEMP_PREFIX}1`), 'in flight')
    writeFileSync(path.join(folder, 'after.txt'), 'after')
    await until('after.txt')
    expect(suspects.filter((rel) => rel.includes(TEMP_PREFIX))).toEqual([])
    expect(suspects.filter((rel) => rel.startsWith('problem'))).toEqual([])
  })

  it('suspects the whole mirror once it starts (what changed while unwatched), then now and then, for what no watch reports', async () => {
    const folder = tempDir('mirror-')
    const { suspects } = await guarded(folder, 100)
    const deadline = Date.now() + 5000
    while (suspects.filter((rel) => rel === '').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(suspects.filter((rel) => rel === '').length).toBeGreaterThanOrEqual(3)
  })
})
