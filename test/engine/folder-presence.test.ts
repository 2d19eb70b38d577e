// The shared folder's presence as a state machine: every step from every state.
import { describe, expect, it } from 'vitest'
import { isMissing, nextPresence, type Presence, type PresenceStep } from '../../src/main/engine/folder/folder-presence'
import { sameFolder, type FolderIdentity } from '../../src/main/engine/folder/folder-identity'

describe('folder presence', () => {
  it.each<[Presence, PresenceStep, Presence | null]>([
    ['present', 'lost', 'gone'],
    ['present', 'seen', null],
    ['present', 'returned', null],
    // Looked for and not found yet, or a return that failed: still gone, looked for again.
    ['gone', 'lost', 'gone'],
    ['gone', 'seen', 'returning'],
    ['gone', 'returned', null],
    // Gone again while it was indexed afresh.
    ['returning', 'lost', 'gone'],
    ['returning', 'seen', null],
    ['returning', 'returned', 'present'],
  ])('%s, then %s: %s', (now, step, next) => {
    expect(nextPresence(now, step)).toBe(next)
  })

  it.each<[Presence, boolean]>([
    ['present', false],
    ['gone', true],
    // Peers are not told it is missing while it is taken back.
    ['returning', false],
  ])('%s is missing: %s', (presence, missing) => {
    expect(isMissing(presence)).toBe(missing)
  })

  const then: FolderIdentity = { dev: 1, ino: 100, birthtimeMs: 5000 }
  it.each([
    ['the same folder', { dev: 1, ino: 100, birthtimeMs: 5000, ctimeMs: 9000 }, true],
    ['another device', { dev: 2, ino: 100, birthtimeMs: 5000, ctimeMs: 9000 }, false],
    ['another inode', { dev: 1, ino: 101, birthtimeMs: 5000, ctimeMs: 9000 }, false],
    ['made anew with the freed inode', { dev: 1, ino: 100, birthtimeMs: 7000, ctimeMs: 9000 }, false],
    // No birth time kept: Node reports the change time in its place, which proves nothing.
    ['no birth time kept (it reads as the change time)', { dev: 1, ino: 100, birthtimeMs: 9000, ctimeMs: 9000 }, true],
  ])('the folder shared is still there: %s', (_what, now, same) => {
    expect(sameFolder(then, now)).toBe(same)
  })
})
