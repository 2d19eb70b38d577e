// The mirror history's size cap, kept as versions come in (not only at the hourly prune): the
// engine's store on real files, with a cap of a few hundred bytes.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HISTORY_FILES, readHistoryIndex } from '../../src/main/engine/mirror/history-index'
import { historyStoreOn, PEER_FOLDER } from '../helpers/history-store'
import { removeTempDirs } from '../helpers/temp'

afterEach(() => removeTempDirs())

describe('the history cap', () => {
  it('drops the oldest versions as soon as newer ones take the history past it, files and index alike', async () => {
    const { store, root, problems, keep } = await historyStoreOn(250)
    const folder = PEER_FOLDER
    const ids: string[] = []
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      const id = keep(name, name.repeat(20))
      expect(id).not.toBeNull()
      ids.push(id!)
      // Distinct times, so "oldest" is well defined.
      await new Promise((r) => setTimeout(r, 5))
    }
    // 3 × 100 bytes over a cap of 250: the oldest goes, without waiting for the hourly prune.
    await expect.poll(() => readHistoryIndex(path.join(root, folder)).map((e) => e.path), { timeout: 5000 }).toEqual(['b.txt', 'c.txt'])
    expect(existsSync(path.join(root, folder, HISTORY_FILES, ids[0]!))).toBe(false)
    expect(existsSync(path.join(root, folder, HISTORY_FILES, ids[2]!))).toBe(true)
    await store.stop()
    expect(problems).toEqual([])
  })
})
