// A short lock around a read-modify-write of files that several processes change (the server and
// the CLI's `members` / `invite`): without it one process's write could undo another's.
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { lockOwner, lockText, ownerHolds, placeLock } from '../util/lock-file'

/** Tokens of the locks this process holds: its own pid alone cannot tell two holders apart. */
const heldHere = new Set<string>()

/** How long to wait for a live holder before saying who holds it. */
const WAIT_LIMIT_MS = 10_000

/** Runs `work` holding `lockFile` (see util/lock-file.ts). */
export async function withFileLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const token = randomBytes(8).toString('hex')
  const mine = `${lockFile}.${token}`
  await writeFile(mine, lockText(token), { mode: 0o600 })
  try {
    const deadline = Date.now() + WAIT_LIMIT_MS
    for (let pause = 2; !placeLock(mine, lockFile); pause = Math.min(pause * 2, 50)) {
      const owner = lockOwner(lockFile)
      if (owner && !ownerHolds(owner, heldHere)) {
        // Left by a process that is gone: take it over, unless another has meanwhile.
        if (lockOwner(lockFile)?.token === owner.token) rmSync(lockFile, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new Error(`${lockFile} is held by ${owner ? `process ${owner.pid}` : 'a lock that cannot be read'}; remove it if no dropbox-sync is running`)
      }
      await sleep(pause)
    }
    // Known as held before any await: another holder in this process must not take it for a dead one's.
    heldHere.add(token)
  } finally {
    await rm(mine, { force: true })
  }
  try {
    return await work()
  } finally {
    // Removed in one synchronous step, and known as held until then: a waiter here must not take a
    // lock whose removal is still on its way for a dead one's.
    if (lockOwner(lockFile)?.token === token) rmSync(lockFile, { force: true })
    heldHere.delete(token)
  }
}
