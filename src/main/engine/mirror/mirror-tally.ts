// Where one peer's mirror stands, kept as counters: what mirrorFigures (mirror-stats.ts) would
// count, changed path by path as the manifest, the peer's list and the refused versions change,
// so a report and the synced check cost the same in a mirror of ten files or of a million.
import type { MirrorFigures, RefusedVersions } from './mirror-stats'

interface Versioned {
  version: string
  size: number
}

/** Told around every change to one path's entry: `before` while it is as it was, `after` once it changed. */
export interface PathObserver {
  before(rel: string): void
  after(rel: string): void
}

/** Something that says when a path's entry changes (the manifest, the list, the path records). */
export interface Observed {
  observer: PathObserver | null
}

/** A peer's list the tally can follow. */
export type ObservedList = ReadonlyMap<string, Versioned> & Observed

export class MirrorTally implements PathObserver {
  private list: ObservedList | null = null
  private files = 0
  private bytes = 0
  /** Mirrored and not in the list followed. */
  private unlisted = 0
  private listed = 0
  private listedBytes = 0
  private needFiles = 0
  private needBytes = 0
  private failedFiles = 0

  constructor(
    private readonly mirrored: ReadonlyMap<string, Versioned> & Partial<Observed>,
    private readonly refused: RefusedVersions & Partial<Observed>,
    owners: Observed[] = [],
  ) {
    for (const owner of owners) owner.observer = this
    this.recount()
  }

  /**
   * The figures against `list` (the peer's list, whole when `complete`, or the part in so far;
   * null: none yet). Another list than last time is counted once, then followed change by change.
   */
  figures(list: ObservedList | null, complete: boolean): MirrorFigures {
    this.follow(list)
    const whole = complete && list !== null
    return {
      files: this.files,
      bytes: this.bytes,
      peerFiles: whole ? this.listed : null,
      peerBytes: whole ? this.listedBytes : null,
      needFiles: this.needFiles,
      needBytes: this.needBytes,
      removeFiles: whole ? this.unlisted : 0,
      failedFiles: this.failedFiles,
    }
  }

  /** Whether the mirror holds exactly `list`'s paths at its versions. */
  matches(list: ObservedList): boolean {
    this.follow(list)
    return this.needFiles === 0 && this.failedFiles === 0 && this.unlisted === 0
  }

  before(rel: string): void {
    this.count(rel, -1)
  }

  after(rel: string): void {
    this.count(rel, 1)
  }

  private follow(list: ObservedList | null): void {
    if (list === this.list) return
    if (this.list?.observer === this) this.list.observer = null
    this.list = list
    if (list) list.observer = this
    this.recount()
  }

  private recount(): void {
    this.files = this.bytes = this.unlisted = this.listed = this.listedBytes = this.needFiles = this.needBytes = this.failedFiles = 0
    for (const rel of this.mirrored.keys()) this.count(rel, 1)
    if (this.list) for (const rel of this.list.keys()) if (!this.mirrored.has(rel)) this.count(rel, 1)
  }

  /** Adds (1) or takes away (-1) what `rel` counts for as it is now. */
  private count(rel: string, sign: 1 | -1): void {
    const have = this.mirrored.get(rel)
    const want = this.list?.get(rel)
    if (have) {
      this.files += sign
      this.bytes += sign * have.size
      if (!want) this.unlisted += sign
    }
    if (!want) return
    this.listed += sign
    this.listedBytes += sign * want.size
    if (have?.version === want.version) return
    if (this.refused.get(rel) === want.version) this.failedFiles += sign
    else {
      this.needFiles += sign
      this.needBytes += sign * want.size
    }
  }
}
