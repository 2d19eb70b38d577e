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

/**
 * A file that could not be written into the mirror, as the user reads it. ENOENT (its reason may
 * have crossed a thread as text) says the file's folder was removed meanwhile: see folderRemoved.
 */
export function couldNotWrite(where: { peer: string; path: string }, reason: string): PeerSessionError {
  if (/\bENOENT: /.test(reason)) return folderRemoved(where)
  return new PeerSessionError(WRITE_FAILED, `could not write ${where.path} from ${where.peer}: ${reason}`, true)
}

/** A rename into place that failed (ENOENT: see folderRemoved). */
export function placingFailure(where: { peer: string; path: string }, error: unknown): PeerSessionError {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return new PeerSessionError(WRITE_FAILED, `could not place ${where.path} from ${where.peer}: ${(error as Error).message}`, true)
  return folderRemoved(where)
}

/**
 * The file's folder was removed (by hand) while the file was written into it or put in place:
 * no refusing disk to wait for; the file is fetched again, its folder made again.
 */
function folderRemoved(where: { peer: string; path: string }): PeerSessionError {
  return new PeerSessionError('folder-removed', `the folder of ${where.path} from ${where.peer} was removed while the file was being written into it; it comes again`, true)
}

/** `error` from writing `where`'s file, as a write failure, unless it is a peer's failure already. */
export function writeFailureOf(where: { peer: string; path: string }, error: unknown): PeerSessionError {
  return error instanceof PeerSessionError ? error : couldNotWrite(where, (error as Error).message)
}

/** Why the disk refused, as the user has to fix it: each is said once per mirror while it lasts. */
export type WriteCause = 'read-only' | 'no-permission' | 'full' | 'disk-error' | 'open-files' | 'other'

const CAUSES: Readonly<Record<string, WriteCause>> = {
  EROFS: 'read-only',
  EACCES: 'no-permission',
  EPERM: 'no-permission',
  ENOSPC: 'full',
  EDQUOT: 'full',
  EIO: 'disk-error',
  EMFILE: 'open-files',
  ENFILE: 'open-files',
}

/**
 * The cause a write failure's reason names. It crossed a thread as text (a hash writer's error,
 * a worker's result), and Node's messages carry the code (`EROFS: read-only file system, …`).
 */
export function writeCause(reason: string): WriteCause {
  for (const [, code] of reason.matchAll(/\b(E[A-Z]{2,}): [a-z]/g)) {
    const cause = CAUSES[code!]
    if (cause) return cause
  }
  return 'other'
}
