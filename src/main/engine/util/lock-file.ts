// The pieces of a lock file shared by the mirror folder's lock and the member store's: a file
// naming its owner (pid and a token of its own), written whole under another name and then linked
// into place, so nobody reads a half-written one; one left by a process that died is taken over.
import { linkSync, readFileSync, writeFileSync } from 'node:fs'

export interface LockOwner {
  pid: number
  token: string
}

/** What a lock file says of its owner: `pid token`. */
export function lockText(token: string): string {
  return `${process.pid} ${token}\n`
}

/** Puts the lock in place from `mine` (already written whole); false when one is there already. */
export function placeLock(mine: string, file: string): boolean {
  try {
    linkSync(mine, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    // A file system without hard links (FAT, some network shares): an exclusive create will do.
    try {
      writeFileSync(file, readFileSync(mine), { flag: 'wx', mode: 0o600 })
      return true
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw fallback
    }
  }
}

export function lockOwner(file: string): LockOwner | null {
  try {
    const [pid, token = ''] = readFileSync(file, 'utf8').trim().split(' ')
    const n = Number(pid)
    return Number.isInteger(n) && n > 0 ? { pid: n, token } : null
  } catch {
    return null
  }
}

/**
 * Whether the lock's owner still holds it: a lock that cannot be read counts as held; one of this
 * process by whether its token is among `heldHere` (a pid alone cannot tell two holders apart).
 */
export function ownerHolds(owner: LockOwner | null, heldHere: Set<string>): boolean {
  return owner === null || (owner.pid === process.pid ? heldHere.has(owner.token) : isAlive(owner.pid))
}

/** Whether a dropbox-sync process (Node or Electron) runs under this pid. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  // After a reboot (or in a container) the pid may belong to some other program now. Where the
  // process's command line can be read, it must be ours.
  let command: string
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return true
  }
  return /node|electron|dropbox-sync/i.test(command)
}
