// Whose mirror a History folder is, named as every screen names a peer: by the device on record,
// with its name and address now when it is here; by address for a folder with no device on record.
import { describe, expect, it } from 'vitest'
import { mirrorOwner } from '../../src/renderer/src/mirror-owner'

const ALICE = { id: 'AAAAAAA-AAAAAAA', name: 'alice laptop' }
const here = [
  { key: '10.0.0.5:4001', id: 'AAAAAAA-AAAAAAA', name: 'alice desktop' },
  { key: '10.0.0.6:4002', id: 'BBBBBBB-BBBBBBB', name: 'bob' },
  { key: '10.0.0.7:4003' },
]

describe('mirrorOwner', () => {
  const cases: Array<[string, Parameters<typeof mirrorOwner>[0], Parameters<typeof mirrorOwner>[1], string]> = [
    ['a device here: its name and address now (renamed since its folder was named)', { folder: 'alice-laptop-AAAAAAA', peer: '10.0.0.9:4000', device: ALICE }, here, 'alice desktop (10.0.0.5:4001)'],
    ['a device here whose name is not known yet: the recorded one', { folder: 'alice-laptop-AAAAAAA', peer: null, device: ALICE }, [{ key: '10.0.0.5:4001', id: ALICE.id }], 'alice laptop (10.0.0.5:4001)'],
    ['a device away: its recorded name, and where its newest kept version came from', { folder: 'alice-laptop-AAAAAAA', peer: '10.0.0.9:4000', device: ALICE }, [], 'alice laptop (10.0.0.9:4000)'],
    ['a device away with nothing kept: its recorded name alone', { folder: 'alice-laptop-AAAAAAA', peer: null, device: ALICE }, [], 'alice laptop'],
    ['no device on record (an IP_PORT folder), its address a peer here', { folder: '10.0.0.6_4002', peer: '10.0.0.6:4002', device: null }, here, 'bob (10.0.0.6:4002)'],
    ['no device on record, an address no peer has now', { folder: '10.0.0.8_4000', peer: '10.0.0.8:4000', device: null }, here, '10.0.0.8:4000'],
    ['nothing known but the folder', { folder: '10.0.0.8_4000', peer: null, device: null }, here, '10.0.0.8_4000'],
  ]
  it.each(cases)('%s', (_what, mirror, peers, label) => expect(mirrorOwner(mirror, peers)).toBe(label))
})
