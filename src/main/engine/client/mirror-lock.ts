// One client per mirror folder. Two clients writing one mirror folder would overwrite each
// other's index and state, and mix their peers' mirrors: the second to start is refused (see
// util/lock-file.ts for the lock itself).
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { lockOwner, lockText, ownerHolds, placeLock } from '../util/lock-file'

/** Locks held by this process, by token: a pid alone cannot tell two clients of one process apart. */
const heldHere = new Set<string>()

export class MirrorLock {
  private readonly token = randomBytes(8).toString('hex')

  constructor(private readonly file: string) {}

  /** Takes the lock, or throws one line naming the folder and the process that holds it. */
  acquire(): void {
    mkdirSync(path.dirname(this.file), { recursive: true })
    const mine = `${this.file}.${this.token}`
    writeFileSync(mine, lockText(this.token))
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (placeLock(mine, this.file)) {
          heldHere.add(this.token)
          return
        }
        const owner = lockOwner(this.file)
        if (!owner || ownerHolds(owner, heldHere)) {
          const folder = path.dirname(path.dirname(this.file))
          const who = owner ? `pid ${owner.pid}` : 'a lock that cannot be read'
          throw new Error(`the mirror folder ${folder} is in use by another dropbox-sync client (${who}); give this one its own mirror folder, or remove ${this.file} if no client uses it`)
        }
        // Left behind by a process that is gone: take it over, unless another has meanwhile.
        if (lockOwner(this.file)?.token === owner.token) rmSync(this.file, { force: true })
      }
      throw new Error(`could not lock the mirror folder: ${this.file} keeps coming back`)
    } finally {
      rmSync(mine, { force: true })
    }
  }

  release(): void {
    if (!heldHere.delete(this.token)) return
    if (lockOwner(this.file)?.token === this.token) rmSync(this.file, { force: true })
  }
}
