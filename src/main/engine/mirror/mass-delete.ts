// The mass-delete hold: a peer that deletes most of its files at once (a mistake, a script gone
// wrong, ransomware emptying a folder) does not empty its mirror here. Those deletions are held
// until the user confirms them; the peer's other changes keep syncing meanwhile.
//
// "At once" is a window: the deletions a peer announced in the last MASS_DELETE_WINDOW_MS (its
// list after a reconnect counts as one moment), weighed against the files it had before them.
// One burst at the peer reaches us as one or several pushed batches (a large one is split into
// frames, a slow `rm -r` into settles), so judging each batch alone would let a large deletion
// through piece by piece.

export interface MassDeleteLimits {
  /** Held when more than this share (0–100) of the peer's files go at once… */
  percent: number
  /** …and at least this many. */
  minFiles: number
}

export const DEFAULT_MASS_DELETE: MassDeleteLimits = { percent: 50, minFiles: 1000 }

/** Deletions announced within this long of one another count as one. */
export const MASS_DELETE_WINDOW_MS = 10_000

/** Pure: whether deleting `deleted` of the `had` files a peer had is a mass delete. */
export function isMassDelete(deleted: number, had: number, limits: MassDeleteLimits): boolean {
  return deleted > 0 && deleted >= limits.minFiles && deleted * 100 > had * limits.percent
}

export type Admission =
  | { hold: false; apply: string[] }
  /**
   * `started`: this batch began the hold (or grew it); `files` the peer deleted in the window, of
   * `total` it had; `held` of them wait (those before the limit was reached were applied).
   */
  | { hold: true; started: boolean; files: number; held: number; total: number }

/** One peer's recent deletions and what is held of them. */
export class MassDeleteHold {
  private recent: Array<{ at: number; count: number }> = []
  readonly held = new Set<string>()
  /** The files the peer had when the hold began. */
  private total = 0
  /** Deletions of the window applied before the hold began. */
  private before = 0
  /** Confirmed while nothing could be applied (the peer away): its next deletions pass once. */
  private passNext = false

  constructor(private readonly limits: MassDeleteLimits) {}

  /**
   * Deletions of `paths` (each in the mirror now) out of `filesNow` mirrored files: the ones to
   * apply now, or that they are held.
   */
  admit(paths: string[], filesNow: number, now: number): Admission {
    if (paths.length === 0) return { hold: false, apply: [] }
    if (this.passNext) {
      this.passNext = false
      this.held.clear()
      this.before = 0
      return { hold: false, apply: paths }
    }
    if (this.held.size > 0) {
      const before = this.held.size
      for (const rel of paths) this.held.add(rel)
      return { hold: true, started: this.held.size > before, files: this.before + this.held.size, held: this.held.size, total: this.total }
    }
    this.recent = this.recent.filter((r) => now - r.at < MASS_DELETE_WINDOW_MS)
    const recently = this.recent.reduce((n, r) => n + r.count, 0)
    const had = filesNow + recently
    if (isMassDelete(recently + paths.length, had, this.limits)) {
      this.total = had
      this.before = recently
      for (const rel of paths) this.held.add(rel)
      return { hold: true, started: true, files: recently + this.held.size, held: this.held.size, total: had }
    }
    this.recent.push({ at: now, count: paths.length })
    return { hold: false, apply: paths }
  }

  /** The peer has this path again: it is no longer a deletion. True when that ends the hold. */
  release(rel: string): boolean {
    if (!this.held.delete(rel) || this.held.size > 0) return false
    this.before = 0
    return true
  }

  /**
   * The user confirmed: the held paths, to apply now (the window starts afresh). `applyNow`
   * false (the peer is away): its next deletions pass without a hold, once.
   */
  confirm(applyNow: boolean): string[] {
    const paths = [...this.held]
    this.held.clear()
    this.recent = []
    this.before = 0
    if (!applyNow) this.passNext = true
    return paths
  }
}
