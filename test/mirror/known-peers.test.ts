// Which devices a client knows, merged from its three sources: a later source says more.
import { describe, expect, it } from 'vitest'
import { formatDeviceId } from '../../src/shared/device-id'
import { knownPeers } from '../../src/main/engine/mirror/known-peers'
import type { PeerState } from '../../src/main/engine/mirror/peer-state'

const A = 'aa'.repeat(32)
const B = 'bb'.repeat(32)
const text = (id: string): string => formatDeviceId(Buffer.from(id, 'hex'))
const mirrored = (id: string, name: string, key: string): PeerState => ({ ref: { id, key, folder: `/m/${name}-X` }, idText: text(id), name }) as unknown as PeerState

describe('knownPeers', () => {
  it.each([
    { name: 'on record only: its folder, no address', recorded: [[A, { name: 'alice', folder: 'alice-AAA' }]], mirrored: [], announced: [], want: [{ id: A, idText: text(A), name: 'alice', folder: 'alice-AAA' }] },
    { name: 'on record, adopted a legacy folder', recorded: [[A, { name: 'alice', folder: 'alice-AAA', adopted: '10.0.0.1_4000' }]], mirrored: [], announced: [], want: [{ id: A, idText: text(A), name: 'alice', folder: 'alice-AAA', adopted: '10.0.0.1_4000' }] },
    {
      name: 'mirrored this run: its address and its name now',
      recorded: [[A, { name: 'old', folder: 'old-AAA' }]],
      mirrored: [mirrored(A, 'alice', '127.0.0.1:4000')],
      announced: [],
      want: [{ id: A, idText: text(A), name: 'alice', folder: 'alice-X', endpoint: '127.0.0.1:4000' }],
    },
    {
      name: 'announced now (paused, never mirrored): name and address from the registry',
      recorded: [],
      mirrored: [],
      announced: [['127.0.0.1:5000', { endpoint: { ip: '127.0.0.1', port: 5000 }, id: B, name: 'bob' }]],
      want: [{ id: B, idText: text(B), name: 'bob', endpoint: '127.0.0.1:5000' }],
    },
    {
      name: 'announced at a new address: the announcement wins, the folder stays',
      recorded: [[A, { name: 'alice', folder: 'alice-AAA' }]],
      mirrored: [],
      announced: [['127.0.0.2:4001', { endpoint: { ip: '127.0.0.2', port: 4001 }, id: A, name: 'alice2' }]],
      want: [{ id: A, idText: text(A), name: 'alice2', folder: 'alice-AAA', endpoint: '127.0.0.2:4001' }],
    },
  ] as const)('$name', ({ recorded, mirrored: states, announced, want }) => {
    expect(knownPeers(recorded as never, states, announced as never)).toEqual(want)
  })
})
