// Paths in the shared folder that cannot be shared (a name peers could not use, a name that is
// not UTF-8, a file that cannot be read now): each is reported once, and remembered until it is gone.
import type { EventSink } from '../../../shared/events'

/**
 * Paths that cannot be shared are reported once each, and remembered until they are gone: past
 * this many remembered, the rest are not reported one by one (said once), so the set stays bounded.
 */
export const MAX_UNSHAREABLE_REPORTED = 1000

export class UnshareablePaths {
  /** See MAX_UNSHAREABLE_REPORTED. */
  private readonly reported = new Set<string>()
  private unreportedSaid = false

  constructor(
    private readonly root: string,
    private readonly onEvent: EventSink,
  ) {}

  report(rel: string, problem: string): void {
    if (this.reported.has(rel)) return
    if (this.reported.size >= MAX_UNSHAREABLE_REPORTED) {
      if (this.unreportedSaid) return
      this.unreportedSaid = true
      this.onEvent({
        type: 'error',
        code: 'unshareable-paths-not-reported',
        message: `more than ${MAX_UNSHAREABLE_REPORTED} paths in ${this.root} cannot be shared; the others are not reported one by one (such as ${JSON.stringify(shownPath(rel))}: ${problem})`,
      })
      return
    }
    this.reported.add(rel)
    this.onEvent({ type: 'error', code: 'unshareable-path', message: `not shared: ${JSON.stringify(shownPath(rel))}: ${problem}` })
  }

  /** A path gone: it, and what was below it, is reported again should it come back unshareable. */
  forget(rel: string): void {
    if (this.reported.size === 0) return
    this.reported.delete(rel)
    for (const reported of this.reported) if (reported.startsWith(`${rel}/`)) this.reported.delete(reported)
  }
}

/** Past this many characters, a path is shown by its start and its end: an error stays one readable line. */
export const SHOWN_PATH_CHARS = 300

/** Pure: `rel` whole, or its first and last characters around "…" when longer than SHOWN_PATH_CHARS. */
export function shownPath(rel: string): string {
  if (rel.length <= SHOWN_PATH_CHARS) return rel
  const chars = [...rel]
  if (chars.length <= SHOWN_PATH_CHARS) return rel
  const head = Math.ceil((SHOWN_PATH_CHARS - 1) / 2)
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (SHOWN_PATH_CHARS - 1 - head)).join('')}`
}
