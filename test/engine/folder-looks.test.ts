// The index's looks at the whole folder (engine/folder/folder-looks.ts): overlapping looks said
// once, the ignored count of the last finished walk, and the periodic rescan, ended by dispose.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderLooks } from '../../src/main/engine/folder/folder-looks'
import { until } from '../helpers/until'

const owned: FolderLooks[] = []
function looks(said: boolean[] = []): FolderLooks {
  const made = new FolderLooks((looking) => said.push(looking))
  owned.push(made)
  return made
}
afterEach(() => {
  for (const made of owned.splice(0)) made.dispose()
})

describe('FolderLooks', () => {
  it('says the first look beginning and the last ending, however they overlap, and scanning in between', async () => {
    const said: boolean[] = []
    const l = looks(said)
    let endFirst: () => void = () => {}
    const first = l.run(() => new Promise<string>((resolve) => (endFirst = () => resolve('first'))))
    expect(l.scanning).toBe(true)
    const second = l.run(async () => 'second')
    expect(await second).toBe('second')
    expect(said).toEqual([true])
    expect(l.scanning).toBe(true)
    endFirst()
    expect(await first).toBe('first')
    expect(said).toEqual([true, false])
    expect(l.scanning).toBe(false)
  })

  it('ends a look that fails, and hands its error on', async () => {
    const said: boolean[] = []
    const l = looks(said)
    await expect(l.run(() => Promise.reject(new Error('unreadable')))).rejects.toThrow('unreadable')
    expect(said).toEqual([true, false])
    expect(l.scanning).toBe(false)
  })

  it.each<[string, Array<'begins' | 'one' | 'done'>, number]>([
    ['nothing walked yet', ['begins', 'one', 'one'], 0],
    ['one walk', ['begins', 'one', 'one', 'done'], 2],
    ['a walk with nothing ignored after one with some', ['begins', 'one', 'done', 'begins', 'done'], 0],
    ['a walk under way after a finished one', ['begins', 'one', 'one', 'one', 'done', 'begins', 'one'], 3],
  ])('counts what the last finished walk ignored: %s', (_what, steps, ignored) => {
    const l = looks()
    for (const step of steps) {
      if (step === 'begins') l.walkBegins()
      else if (step === 'one') l.ignoredOne()
      else l.walkDone()
    }
    expect(l.ignored).toBe(ignored)
  })

  it('rescans periodically until disposed, and a second schedule replaces the first', async () => {
    const l = looks()
    let first = 0
    let second = 0
    l.rescanEvery(5, () => first++)
    await until(() => first >= 2, 'two rescans')
    l.rescanEvery(5, () => second++)
    const firstSeen = first
    await until(() => second >= 2, 'two rescans of the second schedule')
    expect(first).toBe(firstSeen)
    l.dispose()
    const secondSeen = second
    await sleep(50)
    expect(second).toBe(secondSeen)
  })
})
