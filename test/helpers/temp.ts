import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const made: string[] = []
const forFile: string[] = []

/** A fresh folder under the system temp dir, removed by `removeTempDirs`. */
export function tempDir(prefix = 'dbs-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A fresh folder kept for the whole test file: removed after its last test (test/setup/temp-dirs.ts). */
export function fileTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  forFile.push(dir)
  return dir
}

/** After a test file: what tempDir made that no hook of the file removed, and fileTempDir's folders. */
export function removeFileTempDirs(): void {
  removeTempDirs()
  for (const dir of forFile.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/**
 * Removes the folders `tempDir` made, and the mirror folder a client sharing one of them makes
 * beside it by default (`DIR-mirrors`): a run of the suite left over a thousand of those behind.
 * A client killed a moment ago may still be writing into its mirror: that one is left, not failed on.
 */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    rmSync(dir, { recursive: true, force: true })
    try {
      rmSync(`${dir}-mirrors`, { recursive: true, force: true })
    } catch {
      // Still being written by a process on its way out.
    }
  }
}
