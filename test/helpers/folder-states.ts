// Where-each-folder-stands fixtures shared by main's reducer tests and the window's: this
// machine's folder, and a peer's mirror syncing with three files (3.0 MB) still to come.
import type { MirrorStateView } from '../../src/shared/contract'

export const OWN = { folder: '/home/me/Shared', files: 1234, bytes: 5_600_000, ignored: 12, scanning: false, missing: false, ignoreProblem: null }

export const mirror = (peer: string, fields: Partial<MirrorStateView> = {}): MirrorStateView => ({
  peer,
  phase: 'syncing',
  files: 10,
  bytes: 1000,
  needFiles: 3,
  needBytes: 3_000_000,
  removeFiles: 0,
  failedFiles: 0,
  lastChange: 1_700_000_000_000,
  ...fields,
})
