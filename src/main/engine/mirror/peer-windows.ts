// How many jobs a peer has earned the right to hold out, as TCP's slow start: a first window, one
// more for each job it answers. A peer that takes requests and answers none (a hung disk) keeps
// its first window, so it cannot take the slots the other peers' files need while it stalls.

/** A window unused this long (nothing out, nothing answered) falls back to the first: the peer must earn it again. */
export const WINDOW_KEPT_MS = 5_000

export class PeerWindows {
  private readonly windows = new Map<string, { size: number; answeredAt: number }>()

  constructor(
    /** What a peer may hold out before it has answered anything. */
    readonly first: number,
    private readonly most: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The jobs `peer` may hold out; `busy`: it has some out now, so its window stands however long they take. */
  of(peer: string, busy: boolean): number {
    const window = this.windows.get(peer)
    if (!window) return this.first
    if (!busy && this.now() - window.answeredAt > WINDOW_KEPT_MS) {
      this.windows.delete(peer)
      return this.first
    }
    return window.size
  }

  /** A job of `peer`'s was answered (a file came, or the peer said it has none): one more may go out. */
  answered(peer: string): void {
    const size = this.windows.get(peer)?.size ?? this.first
    this.windows.set(peer, { size: Math.min(this.most, size + 1), answeredAt: this.now() })
  }

  forget(peer: string): void {
    this.windows.delete(peer)
  }
}
