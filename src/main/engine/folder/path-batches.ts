// Paths the watcher reports, gathered for a moment and handed on as one batch; a batch large
// enough to suggest lost events asks for a look at everything once the folder has calmed down.

/** Changes seen by the watcher are gathered this long before they are re-checked and announced. */
const SETTLE_MS = 10
/** Paths reported within one settle window that make a burst (see isBurst), and the calm after it. */
const BURST_PATHS = 1000
const BURST_RESCAN_AFTER_MS = 2000

/** A burst this large may have overflowed the kernel's event queue, which drops events without a word. */
export function isBurst(paths: number): boolean {
  return paths >= BURST_PATHS
}

export class PathBatches {
  private readonly dirty = new Set<string>()
  private settleTimer: NodeJS.Timeout | null = null
  private burstRescan: NodeJS.Timeout | null = null

  /** `settled`: each batch; `calmAfterBurst`: look at everything, a while after a burst. */
  constructor(
    private readonly settled: (paths: string[]) => void,
    private readonly calmAfterBurst: () => void,
  ) {}

  add(rel: string): void {
    this.dirty.add(rel)
    if (!this.settleTimer) this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS)
  }

  /** Stops the timers: a batch not yet handed on is dropped. */
  close(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer)
    if (this.burstRescan) clearTimeout(this.burstRescan)
  }

  private settle(): void {
    this.settleTimer = null
    const paths = [...this.dirty]
    this.dirty.clear()
    // Lost events, maybe: look at everything once it has calmed down.
    if (isBurst(paths.length)) {
      if (this.burstRescan) clearTimeout(this.burstRescan)
      this.burstRescan = setTimeout(() => this.calmAfterBurst(), BURST_RESCAN_AFTER_MS)
      this.burstRescan.unref()
    }
    this.settled(paths)
  }
}
