// Files still growing wait until they hold still (folder/settle-gate.ts): the pure rule as a
// table, and a real index watching a file appended to for two seconds.
import { appendFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { MAX_SETTLE_MS, SETTLE_BASE_MS, SNAPSHOT_AFTER_MS, settle, type SettleState } from '../../src/main/engine/folder/settle-gate'
import type { IndexChange } from '../../src/main/engine/protocol/messages'
import { contentVersion } from '../helpers/fake-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'

const NOW = 1_000_000
const still = (size: number, grown: number, waitingSince: number | null = null): SettleState => ({ size, grown, waitingSince })

describe('the settle rule', () => {
  it.each<[string, SettleState | undefined, number, number, number, SettleState]>([
    ['a file never seen: at once', undefined, 100, NOW, 0, still(100, 0)],
    ['rewritten at the same size: at once', still(100, 0), 100, NOW, 0, still(100, 0)],
    ['grown once, written just now: the base wait', still(100, 0), 200, NOW, SETTLE_BASE_MS, still(200, 1, NOW)],
    ['grown once, still for the base wait: now', still(100, 0), 200, NOW - SETTLE_BASE_MS, 0, still(200, 0)],
    ['grown a third time: four times the base', still(200, 2, NOW - 500), 300, NOW - 10, 4 * SETTLE_BASE_MS - 10, still(300, 3, NOW - 500)],
    ['no longer growing, not yet still long enough', still(300, 3, NOW - 500), 300, NOW - 100, 4 * SETTLE_BASE_MS - 100, still(300, 3, NOW - 500)],
    ['grown many times: the longest wait, no more', still(300, 20, NOW - 5000), 400, NOW, MAX_SETTLE_MS, still(400, 21, NOW - 5000)],
    ['growing for the snapshot time: now, a snapshot', still(300, 20, NOW - SNAPSHOT_AFTER_MS), 400, NOW, 0, still(400, 0)],
    ['shrunk (rewritten shorter): as still as before', still(300, 0), 100, NOW, 0, still(100, 0)],
  ])('%s', (_, state, size, mtimeMs, waitMs, next) => {
    expect(settle(state, size, mtimeMs, NOW)).toEqual({ waitMs, next })
  })
})

describe('an index watching a file still being written', () => {
  const open: FolderIndex[] = []
  afterEach(async () => {
    for (const index of open.splice(0)) await index.close()
    removeTempDirs()
  })

  it('announces it a few times at most, not once per look, and last as it ended', async () => {
    const root = tempDir('settle-')
    const index = new FolderIndex(root, path.join(tempDir('settle-state-'), 'index.json'), () => {})
    open.push(index)
    await index.open()
    const seen: IndexChange[] = []
    index.on('changes', (changes) => seen.push(...changes))
    const file = path.join(root, 'recording.bin')
    // Fifty appends over about two seconds: each one a look of the index's own.
    for (let i = 0; i < 50; i++) {
      appendFileSync(file, Buffer.alloc(64 * 1024, i))
      await sleep(40)
    }
    const whole = contentVersion(readFileSync(file))
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(50)) {
      const last = seen.filter((c) => c.op === 'upsert' && c.path === 'recording.bin').at(-1)
      if (last?.op === 'upsert' && last.version.equals(whole)) break
    }
    const versions = seen.filter((c) => c.op === 'upsert' && c.path === 'recording.bin')
    expect(versions.at(-1)).toMatchObject({ size: 50 * 64 * 1024 })
    expect((versions.at(-1) as Extract<IndexChange, { op: 'upsert' }>).version.equals(whole)).toBe(true)
    // The first look, one or two as it began to grow, and the whole: never one per append.
    expect(versions.length).toBeLessThanOrEqual(4)
  })
})
