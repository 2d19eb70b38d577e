// The one decision both the page and the desktop app use: which events notify, and the words.
import { describe, expect, it } from 'vitest'
import { notificationFor } from '../../src/shared/notifications'

describe('notificationFor', () => {
  it.each([
    [
      { type: 'mass-delete', peer: '10.0.0.5:4001', files: 1200, total: 2000 },
      { title: 'Deletions held: 10.0.0.5:4001', body: '10.0.0.5:4001 deleted 1200 files of its 2000 at once. Its mirror keeps them until you confirm.', tag: 'mass-delete:10.0.0.5:4001' },
    ],
    [
      { type: 'mass-delete', peer: '[::1]:4001', files: 1, total: 1 },
      { title: 'Deletions held: [::1]:4001', body: '[::1]:4001 deleted 1 file of its 1 at once. Its mirror keeps them until you confirm.', tag: 'mass-delete:[::1]:4001' },
    ],
    [
      { type: 'error', code: 'write-failed', message: 'cannot write into the mirror: ENOSPC: no space left on device' },
      { title: 'Cannot write to the mirror', body: 'cannot write into the mirror: ENOSPC: no space left on device', tag: 'write-failed' },
    ],
    [
      { type: 'error', code: 'name-clash', message: '10.0.0.5:4001 lists Readme.md and README.md, one file on this disk', peer: '10.0.0.5:4001' },
      { title: 'A file this disk cannot hold', body: '10.0.0.5:4001 lists Readme.md and README.md, one file on this disk', tag: 'names:10.0.0.5:4001' },
    ],
    [
      { type: 'error', code: 'name-refused', message: '10.0.0.5:4001 lists what?.txt: this disk refuses ? in a name: not mirrored', peer: '10.0.0.5:4001' },
      { title: 'A file this disk cannot hold', body: '10.0.0.5:4001 lists what?.txt: this disk refuses ? in a name: not mirrored', tag: 'names:10.0.0.5:4001' },
    ],
    [
      { type: 'error', code: 'folder-missing', message: 'the shared folder /home/me/Shared is gone' },
      { title: 'The shared folder is gone', body: 'the shared folder /home/me/Shared is gone', tag: 'folder-missing' },
    ],
  ])('notifies %o', (event, expected) => {
    expect(notificationFor(event)).toEqual(expected)
  })

  it.each([
    { type: 'error', code: 'server-unreachable', message: 'cannot reach the server' },
    { type: 'error', code: 'peer-folder-missing', message: 'the shared folder of a peer is gone', peer: '10.0.0.5:4001' },
    { type: 'transfer-failed', peer: '10.0.0.5:4001', path: 'a', reason: 'cut', retrying: true },
    { type: 'file-synced', peer: '10.0.0.5:4001', path: 'a', bytes: 1, version: 'x' },
    { type: 'peer-left', ip: '10.0.0.5', port: 4001, reason: 'log-off' },
    { type: 'folder-restored', folder: '/home/me/Shared' },
    { type: 'status', status: {} },
  ])('stays quiet for %o', (event) => {
    expect(notificationFor(event)).toBeNull()
  })
})
