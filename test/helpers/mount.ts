// Real filesystems other than the temp folder's, for the code paths they force: a tmpfs that
// fills up, a ramfs that refuses O_DIRECT, an exFAT disk that folds case and has no hard links.
// Needs root and a kernel that lets this process mount (CI runs as root); `mounted` answers null
// where it cannot.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const mounts: string[] = []
/** Loop devices behind exFAT mounts, and their image files. */
const loops: Array<{ device: string; image: string }> = []
/** Folders bound read-only onto themselves (see readOnly). */
const binds: string[] = []

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

/**
 * A fresh folder with an exFAT disk of `mib` MiB on it (an image on a loop device, through
 * exfat-fuse: `apt-get install exfat-fuse exfatprogs`), or null where that cannot be made.
 */
export function mountedExfat(mib = 64): string | null {
  if (process.getuid?.() !== 0) return null
  const dir = mkdtempSync(path.join(tmpdir(), 'exfat-'))
  const image = `${dir}.img`
  const run = (command: string, args: string[]): string | null => {
    const done = spawnSync(command, args, { encoding: 'utf8' })
    return done.status === 0 ? done.stdout.trim() : null
  }
  const device = run('truncate', ['-s', `${mib}M`, image]) !== null && run('mkfs.exfat', [image]) !== null ? run('losetup', ['-f', '--show', image]) : null
  if (device && run('mount.exfat-fuse', [device, dir]) !== null) {
    loops.push({ device, image })
    mounts.push(dir)
    return dir
  }
  if (device) run('losetup', ['-d', device])
  rmSync(image, { force: true })
  rmSync(dir, { recursive: true, force: true })
  return null
}

/** Whether `type` can be mounted here at all (for it.skipIf). */
export function canMount(type: 'tmpfs' | 'ramfs' | 'exfat'): boolean {
  const dir = type === 'exfat' ? mountedExfat(8) : mounted(type)
  if (dir) unmountAll()
  return dir !== null
}

/**
 * `dir` itself made read-only (a read-only bind mount of it onto itself: root ignores chmod), or
 * null when this process may not mount. The returned function makes it writable again.
 */
export function readOnly(dir: string): (() => void) | null {
  if (process.getuid?.() !== 0) return null
  if (spawnSync('mount', ['--bind', dir, dir]).status !== 0) return null
  if (spawnSync('mount', ['-o', 'remount,bind,ro', dir]).status !== 0) {
    spawnSync('umount', [dir])
    return null
  }
  binds.push(dir)
  return () => {
    if (binds.includes(dir)) spawnSync('mount', ['-o', 'remount,bind,rw', dir])
  }
}

/** Whether a folder can be made read-only here at all (for it.skipIf). */
export function canMakeReadOnly(): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-'))
  const made = readOnly(dir) !== null
  unmountAll()
  rmSync(dir, { recursive: true, force: true })
  return made
}

export function unmountAll(): void {
  for (const dir of binds.splice(0)) if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir])
  for (const dir of mounts.splice(0)) {
    // A process killed a moment ago may still hold files there: detached lazily, it goes once they close.
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  }
  for (const { device, image } of loops.splice(0)) {
    spawnSync('losetup', ['-d', device])
    rmSync(image, { force: true })
  }
}
