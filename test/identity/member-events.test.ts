// The terminal's lines for the events about devices: one readable line each, names from peers
// shown without their control characters, and the device's own removal on stderr like an error.
import { describe, expect, it } from 'vitest'
import { describe as describeEvent } from '../../src/cli/printer'

describe('the printer', () => {
  it('prints join requests with the command that answers them, and members added and removed', () => {
    const id = 'AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS'
    expect(describeEvent({ type: 'join-request', id, name: 'bob desktop', address: '192.168.1.31:50000' })).toBe(
      `join request: bob desktop (${id}) from 192.168.1.31:50000; accept with: dropbox-sync members accept ${id}`,
    )
    expect(describeEvent({ type: 'member-added', id, name: 'bob desktop' })).toBe(`member added: bob desktop (${id})`)
    expect(describeEvent({ type: 'member-removed', id, name: '' })).toBe(`member removed: (no name) (${id})`)
    // The server's own words follow, once: they say what was removed (it said so twice before).
    expect(describeEvent({ type: 'removed', message: "127.0.0.1:4000 says: this device was removed from the server's members" })).toBe("removed: 127.0.0.1:4000 says: this device was removed from the server's members")
    expect(describeEvent({ type: 'member-added', id, name: 'evil\nline' })).toBe(`member added: evil\\nline (${id})`)
  })

  it('names a peer beside its address, and by its address alone when it gave no name', () => {
    expect(describeEvent({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: 'X', name: '' })).toBe('peer joined: 127.0.0.1:4001')
    expect(describeEvent({ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: 'X', name: 'bob' })).toBe('peer joined: bob (127.0.0.1:4001)')
    expect(describeEvent({ type: 'peer-left', ip: '::1', port: 4001, reason: 'log-off', id: 'X', name: 'bob' })).toBe('peer left: bob ([::1]:4001) (log-off)')
  })
})
