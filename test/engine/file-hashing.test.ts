// The index's hashing policy as pure decisions: when stats vouch for an entry, what one hash of a
// file is worth, and when a hash is news to peers.
import { describe, expect, it } from 'vitest'
import { hashOutcome, isNews, sameStats, type FileStats, type IndexedFile } from '../../src/main/engine/folder/file-hashing'
import { UNTRUSTED_MTIME } from '../../src/main/engine/folder/saved-index'

const stats: FileStats = { size: 10, mtimeMs: 1_700_000_000_123.5, ino: 42 }

function entry(version: string, over: Partial<IndexedFile> = {}): IndexedFile {
  return { path: 'a.txt', version: Buffer.from(version.padEnd(32, '0')), ...stats, ...over }
}

describe('hashing policy', () => {
  it.each([
    ['the same stats', stats, true],
    ['another size', { ...stats, size: 11 }, false],
    ['another mtime', { ...stats, mtimeMs: stats.mtimeMs + 1 }, false],
    ['another inode (replaced)', { ...stats, ino: 43 }, false],
  ])('stats vouch for an entry only when all three match: %s', (_what, other, same) => {
    expect(sameStats(stats, other)).toBe(same)
  })

  it.each([
    // attempt, stats after the read, bytes read, outcome
    [0, stats, 10, 'held-still'],
    [4, stats, 10, 'held-still'],
    [0, { ...stats, mtimeMs: stats.mtimeMs + 5 }, 10, 'again'],
    [3, { ...stats, size: 20 }, 20, 'again'],
    // Read fewer bytes than the file holds after: written while read.
    [0, stats, 9, 'again'],
    [4, { ...stats, size: 20 }, 20, 'kept-changing'],
    [7, { ...stats, ino: 1 }, 10, 'kept-changing'],
  ] as const)('attempt %i, a file found as %o after reading %i bytes: %s', (attempt, after, size, outcome) => {
    expect(hashOutcome(attempt, stats, after, size)).toBe(outcome)
  })

  it.each([
    ['a new path', undefined, entry('a'), true],
    ['other content', entry('a'), entry('b'), true],
    ['another size, same hash (cannot be, but it is news)', entry('a'), entry('a', { size: 11 }), true],
    ['only touched', entry('a'), entry('a', { mtimeMs: 5 }), false],
    ['untrusted before, held still now', entry('a', { mtimeMs: UNTRUSTED_MTIME }), entry('a'), true],
    ['untrusted before and still', entry('a', { mtimeMs: UNTRUSTED_MTIME }), entry('a', { mtimeMs: UNTRUSTED_MTIME }), false],
    ['trusted before, untrusted now, same content', entry('a'), entry('a', { mtimeMs: UNTRUSTED_MTIME }), false],
    ['a snapshot before, held still now: the same version without the flag', entry('a', { snapshot: true }), entry('a'), true],
    ['a snapshot before and again, same content', entry('a', { snapshot: true }), entry('a', { snapshot: true }), false],
    ['held still before, a snapshot now of the same content', entry('a'), entry('a', { snapshot: true }), false],
  ])('a hash is news to peers: %s', (_what, before, file, news) => {
    expect(isNews(before, file)).toBe(news)
  })
})
