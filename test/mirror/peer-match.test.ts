// Which peer PEER names (`dropbox-sync ctl`, the app's buttons): by device name, device ID (whole
// or from its first group on), mirror folder, or address; an ambiguous or unknown one is one line
// listing what it could be. A table, no disk.
import { describe, expect, it } from 'vitest'
import { describePeer, matchPeer, type KnownPeer } from '../../src/main/engine/control/peer-match'
import { formatDeviceId } from '../../src/shared/device-id'

function device(bytes: number[], fields: Omit<KnownPeer, 'id' | 'idText'>): KnownPeer {
  const id = Buffer.alloc(32, 0x11)
  Buffer.from(bytes).copy(id)
  return { id: id.toString('hex'), idText: formatDeviceId(id), ...fields }
}

// A and C share their first 5 bytes: their first group (and an eighth character) is the same.
const A = device([1, 2, 3, 4, 5, 0x00], { name: 'bob laptop', folder: 'bob-laptop-AEBAGBA', endpoint: '10.0.0.2:4001', adopted: '10.0.0.2_4000' })
const B = device([0xf0, 0x0d], { name: 'Alice', folder: 'Alice-6AGRCEI', endpoint: '[fd00::1]:4002' })
const C = device([1, 2, 3, 4, 5, 0xff], { name: 'alice', folder: 'alice-AEBAGBA2' })
const PEERS = [A, B, C]
const compact = (peer: KnownPeer): string => peer.idText.replace(/-/g, '')

describe('matchPeer', () => {
  it.each<[string, string, KnownPeer]>([
    ['its name', 'bob laptop', A],
    ['its name in other letters case', ' BOB LAPTOP ', A],
    ['its whole device ID', A.idText, A],
    ['its device ID without dashes, in lower case', compact(A).toLowerCase(), A],
    ['the first group of a unique ID', B.idText.slice(0, 7), B],
    ['enough of an ID to tell it from one with the same first group', compact(C).slice(0, 9), C],
    ['its mirror folder', 'Alice-6AGRCEI', B],
    ['its mirror folder in other case', 'alice-6agrcei', B],
    ['its address', '10.0.0.2:4001', A],
    ['its IPv6 address', '[fd00::1]:4002', B],
    ["its address as an earlier version's folder", 'fd00--1_4002', B],
    ['the earlier folder it took over', '10.0.0.2_4000', A],
  ])('finds a peer by %s', (_what, text, want) => {
    expect(matchPeer(text, PEERS)).toEqual({ peer: want })
  })

  it.each<[string, string, RegExp[]]>([
    ['a name two devices share (case aside)', 'alice', [/^"alice" could be any of 2 peers: /, /Alice \(ID 6AGRCEI, mirror Alice-6AGRCEI, at \[fd00::1\]:4002\)/, /alice \(ID AEBAGBA, mirror alice-AEBAGBA2\)/, /by its device ID or mirror folder$/]],
    ['a first group two devices share', A.idText.slice(0, 7), [/could be any of 2 peers/, /bob laptop/, /alice/]],
    ['a name nobody has', 'carol', [/^no peer matches "carol" \(its device name, device ID, mirror folder or IP:PORT\); this client knows: /, /bob laptop \(ID AEBAGBA, mirror bob-laptop-AEBAGBA, at 10\.0\.0\.2:4001\)/]],
    ['an address nobody is at', '10.0.0.9:1', [/^no peer matches "10\.0\.0\.9:1"/]],
    ['a device ID of no peer', formatDeviceId(Buffer.alloc(32, 0x77)), [/^no peer matches/]],
    ['nothing', '   ', [/^name the peer: its device name, device ID, mirror folder or IP:PORT$/]],
  ])('refuses %s in one line naming what it could be', (_what, text, patterns) => {
    const got = matchPeer(text, PEERS)
    expect('error' in got).toBe(true)
    const error = (got as { error: string }).error
    expect(error).not.toContain('\n')
    for (const pattern of patterns) expect(error).toMatch(pattern)
  })

  it('says when the client knows no peers, and lists at most ten of many', () => {
    expect(matchPeer('bob', [])).toEqual({ error: 'no peer matches "bob": this client knows no peers yet' })
    const many = Array.from({ length: 12 }, (_, i) => device([0x20 + i], { name: `peer ${i}` }))
    const { error } = matchPeer('bob', many) as { error: string }
    expect(error.match(/\(ID /g)).toHaveLength(10)
    expect(error).toMatch(/; and 2 more$/)
  })

  it('describes a peer by name, short ID, mirror folder and address, each when known', () => {
    expect(describePeer(A)).toBe('bob laptop (ID AEBAGBA, mirror bob-laptop-AEBAGBA, at 10.0.0.2:4001)')
    expect(describePeer({ id: B.id, idText: B.idText, name: '' })).toBe('(no name) (ID 6AGRCEI)')
  })
})
