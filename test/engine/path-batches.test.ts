// The watcher's reports gathered into batches, and a burst large enough to suggest lost events.
import { describe, expect, it } from 'vitest'
import { isBurst, PathBatches } from '../../src/main/engine/folder/path-batches'

describe('path batches', () => {
  it.each([
    [0, false],
    [999, false],
    [1000, true],
    [50_000, true],
  ])('%i paths in one batch are a burst: %s', (paths, burst) => {
    expect(isBurst(paths)).toBe(burst)
  })

  it('hands on paths reported together as one batch, each once, and nothing once closed', async () => {
    const batches: string[][] = []
    const paths = new PathBatches(
      (batch) => batches.push(batch),
      () => {},
    )
    paths.add('a')
    paths.add('b')
    paths.add('a')
    const deadline = Date.now() + 5000
    while (batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(batches).toEqual([['a', 'b']])
    paths.add('c')
    paths.close()
    await new Promise((r) => setTimeout(r, 100))
    expect(batches).toHaveLength(1)
  })
})
