// Versions placed in a mirror within the window: by mirror folder, forgotten once older.
import { describe, expect, it } from 'vitest'
import { RecentPlacements } from '../../src/main/engine/mirror/recent-placements'

describe('recent placements', () => {
  it.each<[string, Array<[string, string, number]>, [string, string, number], boolean]>([
    ['placed now', [['m', 'v1', 0]], ['m', 'v1', 0], true],
    ['at the window\'s end', [['m', 'v1', 0]], ['m', 'v1', 10], true],
    ['past it', [['m', 'v1', 0]], ['m', 'v1', 11], false],
    ['placed again later', [['m', 'v1', 0], ['m', 'v1', 8]], ['m', 'v1', 15], true],
    ['in another mirror', [['m', 'v1', 0]], ['n', 'v1', 0], false],
    ['another version', [['m', 'v1', 0]], ['m', 'v2', 0], false],
    ['an older one after a newer is forgotten', [['m', 'v1', 0], ['m', 'v2', 5]], ['m', 'v1', 11], false],
  ])('%s', (_what, records, [folder, version, now], recent) => {
    const placements = new RecentPlacements(10)
    for (const [f, v, at] of records) placements.record(f, v, at)
    expect(placements.recent(folder, version, now)).toBe(recent)
  })
})
