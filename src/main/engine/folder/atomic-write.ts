// Writes a small file so that readers see the old content or the new, never a torn one, even if
// the process dies mid-write: temp file in the same folder, fsync, rename, fsync the folder.
// Created with its final mode from the start: a key must never exist, even briefly, readable by others.
import { open, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/** `temp`: where the new content is written first; in the same folder as `file`, and not there yet. */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode = 0o666,
  temp = `${file}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}`,
): Promise<void> {
  try {
    const handle = await open(temp, 'wx', mode)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  const dir = await open(path.dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

const TEMP_MARK = '.tmp-'

/** Removes the temp files writeFileAtomic left beside `file` in processes that died mid-write:
 * each names its writer's process ID, and one no longer running will not come back for it. */
export async function removeLeftoverTemps(file: string): Promise<void> {
  const prefix = `${path.basename(file)}${TEMP_MARK}`
  const names = await readdir(path.dirname(file)).catch(() => [])
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(name.slice(prefix.length).split('-')[0])
    if (!Number.isInteger(pid) || pid <= 0 || isRunning(pid)) continue
    await rm(path.join(path.dirname(file), name), { force: true }).catch(() => {})
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: running, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
