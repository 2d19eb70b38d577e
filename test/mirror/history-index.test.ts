// What the mirror history lets go (expiry, then the cap, oldest first), and the control
// protocol's parsing and socket path: tables, no disk.
import { describe, expect, it } from 'vitest'
import { selectForRemoval } from '../../src/main/engine/mirror/history-index'
import { controlSocketPath, parseControlRequest, peerKey } from '../../src/main/engine/control/control-protocol'

const DAY = 24 * 60 * 60 * 1000

describe('selectForRemoval', () => {
  const now = 100 * DAY
  const e = (key: string, daysAgo: number, size: number) => ({ key, at: now - daysAgo * DAY, size })
  it.each([
    { name: 'nothing old, under the cap', entries: [e('a', 1, 10), e('b', 2, 10)], keep: 30, cap: 100, removed: [] },
    { name: 'past the keep time', entries: [e('a', 31, 10), e('b', 29, 10)], keep: 30, cap: 100, removed: ['a'] },
    { name: 'over the cap: oldest first until under', entries: [e('new', 1, 40), e('old', 3, 40), e('mid', 2, 40)], keep: 30, cap: 80, removed: ['old'] },
    { name: 'over the cap by far', entries: [e('new', 1, 40), e('old', 3, 40), e('mid', 2, 40)], keep: 30, cap: 39, removed: ['old', 'mid', 'new'] },
    { name: 'expired ones count first', entries: [e('gone', 40, 100), e('a', 2, 50), e('b', 1, 50)], keep: 30, cap: 100, removed: ['gone'] },
    { name: 'exactly at the cap stays', entries: [e('a', 2, 50), e('b', 1, 50)], keep: 30, cap: 100, removed: [] },
  ])('$name', ({ entries, keep, cap, removed }) => {
    expect([...selectForRemoval(entries, now, keep * DAY, cap)].sort()).toEqual([...removed].sort())
  })
})

describe('peerKey', () => {
  it.each([
    ['127.0.0.1:4000', '127.0.0.1:4000'],
    [' 10.0.0.2:1 ', '10.0.0.2:1'],
    ['[fd00::1]:4000', '[fd00::1]:4000'],
    ['127.0.0.1_4000', '127.0.0.1:4000'],
    ['fd00--1_4000', '[fd00::1]:4000'],
    ['127.0.0.1:0', null],
    ['127.0.0.1:70000', null],
    ['host:4000', null],
    ['127.0.0.1', null],
    ['', null],
  ])('%j → %j', (text, key) => {
    expect(peerKey(text)).toBe(key)
  })
})

describe('parseControlRequest', () => {
  it.each([
    ['{"command":"pause"}', { request: { command: 'pause' } }],
    ['{"command":"resume","peer":"127.0.0.1_4000"}', { request: { command: 'resume', peer: '127.0.0.1_4000' } }],
    ['{"command":"pause","peer":" bob laptop "}', { request: { command: 'pause', peer: 'bob laptop' } }],
    ['{"command":"rescan"}', { request: { command: 'rescan' } }],
    ['{"command":"confirm","peer":"127.0.0.1:4000"}', { request: { command: 'confirm', peer: '127.0.0.1:4000' } }],
    ['garbage', /not a request/],
    ['[1,2]', /not a request/],
    ['null', /not a request/],
    ['{"command":"shutdown"}', /unknown command/],
    ['{"command":"pause","extra":1}', /unknown field/],
    ['{"command":"confirm"}', /needs the peer/],
    ['{"command":"rescan","peer":"127.0.0.1:1"}', /takes no peer/],
    ['{"command":"pause","peer":"  "}', /the peer is empty/],
    [`{"command":"pause","peer":"${'x'.repeat(301)}"}`, /longer than 300/],
    ['{"command":"pause","peer":5}', /must be a string/],
  ])('%s', (line, want) => {
    const got = parseControlRequest(line)
    if (want instanceof RegExp) expect('error' in got && got.error).toMatch(want)
    else expect(got).toEqual(want)
  })
})

describe('controlSocketPath', () => {
  it('is in the config folder, in a folder of its own', () => {
    expect(controlSocketPath('/home/me/.config/dropbox-sync')).toBe('/home/me/.config/dropbox-sync/control/control.sock')
  })

  it('goes to the temp folder, named by a hash of the config folder, when the path is too long for a socket', () => {
    const long = `/home/me/${'deep/'.repeat(20)}config`
    const socket = controlSocketPath(long)
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(100)
    expect(socket).toMatch(/\/dropbox-sync-[^/]+\/[0-9a-f]{24}\.sock$/)
    expect(controlSocketPath(`${long}/`)).toBe(socket)
    expect(controlSocketPath(`${long}2`)).not.toBe(socket)
  })
})
