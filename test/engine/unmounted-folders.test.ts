// Folders held as the mount point of a disk no longer mounted: what counts as read, what is said.
import { describe, expect, it } from 'vitest'
import { UnmountedFolders } from '../../src/main/engine/folder/unmounted-folders'
import type { EngineEvent } from '../../src/shared/events'

function held(...folders: string[]): { unmounted: UnmountedFolders; said: string[] } {
  const said: string[] = []
  const unmounted = new UnmountedFolders('/shared', (event: EngineEvent) => {
    if (event.type === 'error') said.push(`${event.code}: ${event.message.split(' ')[0]}`)
  })
  for (const folder of folders) unmounted.hold(folder)
  return { unmounted, said }
}

describe('unmounted folders', () => {
  it.each<[string, string[], string, string[], string[], string[]]>([
    // what, held, walked, found, unread after, held after
    ['still empty after a walk of it', ['m'], 'm', [], ['m'], ['m']],
    ['still empty after a walk of the whole folder', ['m'], '', ['a.txt'], ['m'], ['m']],
    ['holding a file again', ['m'], '', ['m/a.txt'], [], []],
    ['holding a file deep down', ['m'], 'm', ['m/x/y.txt'], [], []],
    ['not walked: left as it is', ['m'], 'other', ['other/a.txt'], [], ['m']],
    ['a file beside it with a longer name proves nothing', ['m'], '', ['mm/a.txt'], ['m'], ['m']],
  ])('%s', (_what, folders, walked, found, unread, after) => {
    const { unmounted } = held(...folders)
    const unreadNow = new Set<string>()
    unmounted.afterWalk(walked, new Set(found), unreadNow)
    expect([...unreadNow]).toEqual(unread)
    expect(folders.filter((f) => unmounted.has(f))).toEqual(after)
  })

  it('says a held folder once while it stays held, and again once held anew', () => {
    const { unmounted, said } = held('m')
    unmounted.afterWalk('', new Set(), new Set())
    unmounted.afterWalk('', new Set(), new Set())
    expect(said).toEqual(['folder-missing: /shared/m'])
    unmounted.forget('m')
    expect(unmounted.has('m')).toBe(false)
    unmounted.hold('m')
    unmounted.afterWalk('m', new Set(), new Set())
    expect(said).toHaveLength(2)
  })

  it.each<[string, string[], string, string[]]>([
    ['itself gone', ['m', 'n'], 'm', ['n']],
    ['a folder above it gone', ['d/m', 'n'], 'd', ['n']],
    ['a folder of a longer name gone', ['m'], 'mm', ['m']],
  ])('forgets one %s', (_what, folders, gone, after) => {
    const { unmounted } = held(...folders)
    unmounted.forget(gone)
    expect(folders.filter((f) => unmounted.has(f))).toEqual(after)
  })

  it.each<[string, Record<string, number>, string[], string[]]>([
    ['one still empty after a look at everything is unread', { m: 0 }, ['m'], ['m']],
    ['one holding files again counts', { m: 2 }, [], []],
  ])('%s', (_what, counts, unread, after) => {
    const { unmounted } = held(...Object.keys(counts))
    const unreadNow = new Set<string>()
    unmounted.afterScan((folder) => counts[folder] ?? 0, unreadNow)
    expect([...unreadNow]).toEqual(unread)
    expect(Object.keys(counts).filter((f) => unmounted.has(f))).toEqual(after)
  })

  it('a path below a held folder is held with it', () => {
    const { unmounted } = held('m')
    expect([unmounted.holdsPath('m/a.txt'), unmounted.holdsPath('mm/a.txt'), unmounted.holdsPath('a.txt')]).toEqual([true, false, false])
  })
})
