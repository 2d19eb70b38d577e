// A short lock around a read-modify-write of files that several processes change (the server and
// the CLI's `members` / `invite`): without it one process's write could undo another's.
import { randomBytes } from 'node:crypto'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

/** Tokens of the locks this process holds: its own pid alone cannot tell two holders apart. */
const heldHere = new Set<string>()

/** How long to wait for a live holder before saying who holds it. */
const WAIT_LIMIT_MS = 10_000

/** Runs `work` holding `lockFile` (pid and token, written whole then linked into place). */
export async function withFileLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const token = randomBytes(8).toString('hex')
  const mine = `${lockFile}.${token}`
  await writeFile(mine, `${process.pid} ${token}\n`, { mode: 0o600 })
  try {
    const deadline = Date.now() + WAIT_LIMIT_MS
    for (let pause = 2; !(await place(mine, lockFile)); pause = Math.min(pause * 2, 50)) {
      const owner = await ownerOf(lockFile)
      const live = owner === null || (owner.pid === process.pid ? heldHere.has(owner.token) : isAlive(owner.pid))
      if (!live) {
        // Left by a process that is gone: take it over, unless another has meanwhile.
        if ((await ownerOf(lockFile))?.token === owner.token) await rm(lockFile, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new Error(`${lockFile} is held by ${owner ? `process ${owner.pid}` : 'a lock that cannot be read'}; remove it if no dropbox-sync is running`)
      }
      await sleep(pause)
    }
  } finally {
    await rm(mine, { force: true })
  }
  heldHere.add(token)
  try {
    return await work()
  } finally {
    heldHere.delete(token)
    if ((await ownerOf(lockFile))?.token === token) await rm(lockFile, { force: true })
  }
}

async function place(mine: string, lockFile: string): Promise<boolean> {
  try {
    await link(mine, lockFile)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    // A file system without hard links: an exclusive create will do.
    try {
      await writeFile(lockFile, await readFile(mine), { flag: 'wx', mode: 0o600 })
      return true
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw fallback
    }
  }
}

async function ownerOf(file: string): Promise<{ pid: number; token: string } | null> {
  try {
    const [pid, token = ''] = (await readFile(file, 'utf8')).trim().split(' ')
    const n = Number(pid)
    return Number.isInteger(n) && n > 0 ? { pid: n, token } : null
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
