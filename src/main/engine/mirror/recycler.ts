// Files deleted from a mirror wait here a little before they are really gone. A rename or move on
// the peer often arrives as "deleted" first and "created" a moment later (a moved folder's files
// are found after the folder): the created file then comes out of here instead of over the wire.
import { lstat, mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/** How long a deleted file waits for a move to claim it: also how long a move's new name counts as one (mirror-files.ts). */
export const KEEP_MS = 10_000

export class Recycler {
  private readonly kept = new Map<string, { file: string; timer: NodeJS.Timeout; tag?: string }>()
  /** Removals under way, for clear() to wait on. Each settles without rejecting. */
  private readonly removing = new Set<Promise<void>>()
  private counter = 0

  constructor(
    private readonly dir: string,
    /** A held file that could not be removed: said, never thrown (nothing awaits the removal). */
    private readonly problem: (message: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true })
  }

  /**
   * Moves a deleted mirror file here, remembered by its content's version. Only a regular file:
   * a folder or a link standing at its path now is not the file (the caller decides about it).
   * The caller has made sure no folder on the way is a link (see mirror-way.ts). `tag`: the
   * caller's name for it (its mirror history entry), given back by tagOf.
   */
  async keep(file: string, version: string, tag?: string): Promise<void> {
    // Gone already, or a folder on its way is a file now (the peer made it one): nothing to keep.
    const stats = await lstat(file).catch(() => null)
    if (!stats?.isFile()) return
    const held = path.join(this.dir, `${version}-${++this.counter}`)
    try {
      await rename(file, held)
    } catch {
      return
    }
    this.forget(version)
    const timer = setTimeout(() => this.forget(version), KEEP_MS)
    timer.unref()
    this.kept.set(version, { file: held, timer, tag })
  }

  /** The tag a held file with this content was kept with. */
  tagOf(version: string): string | undefined {
    return this.kept.get(version)?.tag
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
    await Promise.all(this.removing)
  }

  private forget(version: string): void {
    const entry = this.kept.get(version)
    if (!entry) return
    clearTimeout(entry.timer)
    this.kept.delete(version)
    // Our own folder: whatever stands at a held path (a folder, if anything) goes whole.
    const removal: Promise<void> = rm(entry.file, { recursive: true, force: true }).then(
      () => {
        this.removing.delete(removal)
      },
      (error: unknown) => {
        this.removing.delete(removal)
        this.problem(`removing ${entry.file}: ${error instanceof Error ? error.message : String(error)}`)
      },
    )
    this.removing.add(removal)
  }
}
