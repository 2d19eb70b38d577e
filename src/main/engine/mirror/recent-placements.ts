// Which versions each mirror placed in the last few seconds, whatever the file's mtime says (a
// file moved or taken back from the recycler keeps its old one): a move's two halves, a deletion
// and a new name, are told from a loss by this (mirror-files.ts).
export class RecentPlacements {
  /** By mirror folder and version, when placed; oldest first (a placement again moves to the end). */
  private readonly at = new Map<string, number>()

  constructor(private readonly windowMs: number) {}

  record(folder: string, version: string, now = Date.now()): void {
    const key = `${folder}/${version}`
    this.at.delete(key)
    this.at.set(key, now)
    this.forgetBefore(now - this.windowMs)
  }

  /** Whether the mirror folder placed this version within the window. */
  recent(folder: string, version: string, now = Date.now()): boolean {
    this.forgetBefore(now - this.windowMs)
    return this.at.has(`${folder}/${version}`)
  }

  private forgetBefore(since: number): void {
    for (const [key, when] of this.at) {
      if (when >= since) return
      this.at.delete(key)
    }
  }
}
