// Files deleted from a mirror wait here a little before they are really gone. A rename or move on
// the peer often arrives as "deleted" first and "created" a moment later (a moved folder's files
// are found after the folder): the created file then comes out of here instead of over the wire.
import { mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'

const KEEP_MS = 10_000

export class Recycler {
  private readonly kept = new Map<string, { file: string; timer: NodeJS.Timeout }>()
  private counter = 0

  constructor(private readonly dir: string) {}

  async start(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true })
  }

  /** Moves a deleted mirror file here, remembered by its content's version. */
  async keep(file: string, version: string): Promise<void> {
    const held = path.join(this.dir, `${version}-${++this.counter}`)
    try {
      await rename(file, held)
    } catch {
      // Gone already, or a folder on its way is a file now (the peer made it one): nothing to keep.
      await rm(file, { force: true }).catch(() => {})
      return
    }
    this.forget(version)
    const timer = setTimeout(() => this.forget(version), KEEP_MS)
    timer.unref()
    this.kept.set(version, { file: held, timer })
  }

  /** A held file with this content, handed over (the caller moves it away), or null. */
  take(version: string): string | null {
    const entry = this.kept.get(version)
    if (!entry) return null
    clearTimeout(entry.timer)
    this.kept.delete(version)
    return entry.file
  }

  async clear(): Promise<void> {
    for (const version of [...this.kept.keys()]) this.forget(version)
  }

  private forget(version: string): void {
    const entry = this.kept.get(version)
    if (!entry) return
    clearTimeout(entry.timer)
    this.kept.delete(version)
    void rm(entry.file, { force: true })
  }
}
