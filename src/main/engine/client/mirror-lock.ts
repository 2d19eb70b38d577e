// One client per mirror folder. Two clients writing one mirror folder would overwrite each
// other's index and state, and mix their peers' mirrors: the second to start is refused. The
// lock is a file naming its owner (pid and a token of its own); one left by a process that died
// is taken over.
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Locks held by this process, by token: a pid alone cannot tell two clients of one process apart. */
const heldHere = new Set<string>()

export class MirrorLock {
  private readonly token = randomBytes(8).toString('hex')

  constructor(private readonly file: string) {}

  /** Takes the lock, or throws one line naming the folder and the process that holds it. */
  acquire(): void {
    mkdirSync(path.dirname(this.file), { recursive: true })
    // Written whole under another name, then linked into place: nobody reads a half-written lock.
    const mine = `${this.file}.${this.token}`
    writeFileSync(mine, `${process.pid} ${this.token}\n`)
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (this.place(mine)) {
          heldHere.add(this.token)
          return
        }
        const owner = ownerOf(this.file)
        const live = owner === null || (owner.pid === process.pid ? heldHere.has(owner.token) : isAlive(owner.pid))
        if (live) {
          const folder = path.dirname(path.dirname(this.file))
          const who = owner ? `pid ${owner.pid}` : 'a lock that cannot be read'
          throw new Error(`the mirror folder ${folder} is in use by another dropbox-sync client (${who}); give this one its own mirror folder, or remove ${this.file} if no client uses it`)
        }
        // Left behind by a process that is gone: take it over, unless another has meanwhile.
        if (ownerOf(this.file)?.token === owner.token) rmSync(this.file, { force: true })
      }
      throw new Error(`could not lock the mirror folder: ${this.file} keeps coming back`)
    } finally {
      rmSync(mine, { force: true })
    }
  }

  /** Puts the lock in place from `mine`; false when one is there already. */
  private place(mine: string): boolean {
    try {
      linkSync(mine, this.file)
      return true
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return false
      // A file system without hard links (FAT, some network shares): an exclusive create will do.
      try {
        writeFileSync(this.file, readFileSync(mine), { flag: 'wx' })
        return true
      } catch (fallback) {
        if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw fallback
      }
    }
  }

  release(): void {
    if (!heldHere.delete(this.token)) return
    if (ownerOf(this.file)?.token === this.token) rmSync(this.file, { force: true })
  }
}

function ownerOf(file: string): { pid: number; token: string } | null {
  try {
    const [pid, token = ''] = readFileSync(file, 'utf8').trim().split(' ')
    const n = Number(pid)
    return Number.isInteger(n) && n > 0 ? { pid: n, token } : null
  } catch {
    return null
  }
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
