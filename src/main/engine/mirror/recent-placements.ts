// Which versions each mirror placed in the last few seconds, whatever the file's mtime says (a
// file moved or taken back from the recycler keeps its old one): a move's two halves, a deletion
// and a new name, are told from a loss by this (mirror-files.ts).
export class RecentPlacements {
  /** By mirror folder and version, when last placed. */
  private readonly at = new Map<string, number>()
  /** When the entries older than the window are next swept out: once a window, not at each call. */
  private sweepAt = 0

  constructor(private readonly windowMs: number) {}

  /** Called for every file placed: O(1), but for one sweep a window. */
  record(folder: string, version: string, now = Date.now()): void {
    this.at.set(`${folder}/${version}`, now)
    if (now < this.sweepAt) return
    // A whole pass: an entry placed again keeps its place in the Map's order, which is no age order.
    for (const [key, when] of this.at) if (when < now - this.windowMs) this.at.delete(key)
    this.sweepAt = now + this.windowMs
  }

  /** Whether the mirror folder placed this version within the window. */
  recent(folder: string, version: string, now = Date.now()): boolean {
    const when = this.at.get(`${folder}/${version}`)
    return when !== undefined && when >= now - this.windowMs
  }
}
