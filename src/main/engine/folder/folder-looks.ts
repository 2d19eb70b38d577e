// The index's looks at the whole folder (at open, a rescan, the rules changed, the folder back):
// whether one is under way, what the rules left out of the last one, and the periodic rescan
// that starts one now and then. Owns the rescan's timer: dispose ends it.

export class FolderLooks {
  /** Looks under way (they overlap: a rescan queued behind the opening scan). */
  private underWay = 0
  /** Paths the rules left out in the last look, and in this one. */
  private ignoredInLast = 0
  private ignoredInThis = 0
  private rescans: NodeJS.Timeout | null = null

  /** `said`: the first look begins (true), or the last one ends (false). */
  constructor(private readonly said: (looking: boolean) => void) {}

  /** Whether a look is under way. */
  get scanning(): boolean {
    return this.underWay > 0
  }

  /** Files and folders the rules left out in the last walk of the whole folder (an ignored folder counts once). */
  get ignored(): number {
    return this.ignoredInLast
  }

  /** Runs `work`, a look at the whole folder, said at the first to begin and the last to end. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.underWay++ === 0) this.said(true)
    try {
      return await work()
    } finally {
      if (--this.underWay === 0) this.said(false)
    }
  }

  /** A walk of the whole folder begins: its count of ignored paths starts from 0. */
  walkBegins(): void {
    this.ignoredInThis = 0
  }

  /** The rules left a path out of this walk. */
  ignoredOne(): void {
    this.ignoredInThis++
  }

  /** The walk is done: its count is the one `ignored` says. */
  walkDone(): void {
    this.ignoredInLast = this.ignoredInThis
  }

  /** Calls `rescan` every `ms` from now on, until dispose. */
  rescanEvery(ms: number, rescan: () => void): void {
    this.dispose()
    this.rescans = setInterval(rescan, ms)
    this.rescans.unref()
  }

  dispose(): void {
    if (this.rescans) clearInterval(this.rescans)
    this.rescans = null
  }
}
