// The mirror history's size cap, kept as versions come in (not only at the hourly prune): the
// engine's store on real files, with a cap of a few hundred bytes.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HISTORY_FILES, readHistoryIndex } from '../../src/main/engine/mirror/history-index'
import { historyRootOf } from '../../src/main/engine/mirror/history-reader'
import { HistoryStore } from '../../src/main/engine/mirror/history-store'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

describe('the history cap', () => {
  it('drops the oldest versions as soon as newer ones take the history past it, files and index alike', async () => {
    const mirrorRoot = tempDir('cap-mirrors-')
    const folder = 'bob-AAAAAAA'
    mkdirSync(path.join(mirrorRoot, folder))
    const root = historyRootOf(mirrorRoot)
    const problems: string[] = []
    const store = new HistoryStore(root, { keepMs: 86_400_000, capBytes: 250, problem: (m) => problems.push(m) })
    await store.start()
    const ids: string[] = []
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      const file = path.join(mirrorRoot, folder, name)
      writeFileSync(file, name.repeat(20))
      const id = store.link(folder, '127.0.0.1:4001', name, file, '00'.repeat(32), 'deleted')
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
