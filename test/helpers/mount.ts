// Real filesystems other than the temp folder's, for the code paths they force: a tmpfs that
// fills up, a ramfs that refuses O_DIRECT. Needs root and a kernel that lets this process mount
// (CI runs as root); `mounted` answers null where it cannot.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const mounts: string[] = []

/** A fresh folder with a new `type` filesystem mounted on it, or null when this process may not mount. */
export function mounted(type: 'tmpfs' | 'ramfs', options = ''): string | null {
  if (process.getuid?.() !== 0) return null
  const dir = mkdtempSync(path.join(tmpdir(), `${type}-`))
  const args = ['-t', type, ...(options ? ['-o', options] : []), type, dir]
  if (spawnSync('mount', args).status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    return null
  }
  mounts.push(dir)
  return dir
}

/** Whether `type` can be mounted here at all (for it.skipIf). */
export function canMount(type: 'tmpfs' | 'ramfs'): boolean {
  const dir = mounted(type)
  if (dir) unmountAll()
  return dir !== null
}

export function unmountAll(): void {
  for (const dir of mounts.splice(0)) {
    // A process killed a moment ago may still hold files there: detached lazily, it goes once they close.
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  }
}
