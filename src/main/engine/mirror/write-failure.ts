// Failures of the mirror's own disk (full, read-only, no permission) are not the peer's: the
// coordinator tries such files again for as long as the cause lasts, instead of giving up.
import { PeerSessionError } from './peer-session'

/** Error codes that say the local disk refused a write, not that the peer misbehaved. */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EMFILE', 'ENFILE'])

/** The code every local write failure travels under (file-receiver and batch-receiver use it too). */
export const WRITE_FAILED = 'write-failed'

/** `error` as a write failure of the mirror's disk, or null when it is something else. */
export function asWriteFailure(error: unknown): PeerSessionError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (!code || !DISK_CODES.has(code)) return null
  return new PeerSessionError(WRITE_FAILED, `cannot write into the mirror: ${(error as Error).message}`, true)
}
