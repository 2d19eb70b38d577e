// When to dial a peer again that did not answer, and when that is worth a word: a registration
// at an address where nothing listens must not cost a dial and an error every second forever.

export const RETRY_FIRST_MS = 1000
export const RETRY_MAX_MS = 60_000

/** The wait before the next attempt after `failures` failed attempts in a row (1 or more). */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 30))
}

export class Reachability {
  private failures = 0
  private reported = false

  /** An attempt failed: when to try again, and whether this is news (the first since it last answered). */
  failed(): { news: boolean; retryInMs: number } {
    this.failures++
    const news = this.failures === 1
    this.reported ||= news
    return { news, retryInMs: retryDelay(this.failures) }
  }

  /** The peer answered: true when it had been reported unreachable (news again). */
  answered(): boolean {
    const news = this.reported
    this.failures = 0
    this.reported = false
    return news
  }
}
