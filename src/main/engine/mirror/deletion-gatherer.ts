// Pushed deletions wait until the peer has paused (or a longest time), so that one burst arriving
// in several batches is judged whole by the mass-delete hold instead of let through batch by batch.

export const DELETE_QUIET_MS = 1000
export const DELETE_GATHER_MAX_MS = 5000

export class DeletionGatherer {
  private readonly paths = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private firstAt = 0

  constructor(
    /** The gathered paths, in the order they came; the owner applies or holds them. */
    private readonly flush: (paths: string[]) => void,
    private readonly quietMs = DELETE_QUIET_MS,
    private readonly maxMs = DELETE_GATHER_MAX_MS,
  ) {}

  get size(): number {
    return this.paths.size
  }

  has(rel: string): boolean {
    return this.paths.has(rel)
  }

  /** Deletions gathered so far (for renames: a file deleted a moment ago may be the one moved). */
  gathered(): string[] {
    return [...this.paths]
  }

  add(rels: Iterable<string>, now = Date.now()): void {
    const before = this.paths.size
    for (const rel of rels) this.paths.add(rel)
    if (this.paths.size === before) return
    if (before === 0) this.firstAt = now
    if (this.timer) clearTimeout(this.timer)
    const wait = Math.max(0, Math.min(this.quietMs, this.firstAt + this.maxMs - now))
    this.timer = setTimeout(() => this.fire(), wait)
    this.timer.unref()
  }

  /** The peer has `rel` again (or it moved here): it is no longer a deletion. */
  remove(rel: string): void {
    this.paths.delete(rel)
    if (this.paths.size === 0) this.cancel()
  }

  /** Forgets what was gathered (the peer left: its next list decides again). */
  dispose(): void {
    this.cancel()
    this.paths.clear()
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private fire(): void {
    this.timer = null
    const paths = [...this.paths]
    this.paths.clear()
    if (paths.length) this.flush(paths)
  }
}
