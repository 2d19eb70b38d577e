// Work the mirror side starts from events, messages and timers: a failure nobody foresaw is said
// as an error and the client goes on; work for a peer that left (or came back) since is dropped.
import type { EventSink } from '../../../shared/events'
import type { PeerState } from './peer-state'

export class MirrorTasks {
  /** Set by the coordinator's stop: nothing for any peer starts after it. */
  stopped = false

  constructor(private readonly onEvent: EventSink) {}

  /** Whether work begun for `state` in `generation` is still wanted. */
  live(state: PeerState, generation: number): boolean {
    return !this.stopped && state.online && state.generation === generation
  }

  retryLater(fn: () => unknown, ms: number, state: PeerState, generation: number): void {
    setTimeout(() => {
      if (this.live(state, generation)) this.background(Promise.resolve().then(fn), () => `retrying for ${state.ref.key}`)
    }, ms).unref()
  }

  /**
   * Work started from an event, a message or a timer: a failure nobody foresaw (a file system
   * surprise) is reported as an error, and the client goes on serving everyone else.
   */
  background(work: Promise<unknown>, what: () => string): void {
    work.catch((error: unknown) => this.report('internal-error', `${what()}: ${error instanceof Error ? error.message : String(error)}`))
  }

  /** `peer`: the peer the error is about, when the app should show it on that peer. */
  report(code: string, message: string, peer?: string): void {
    this.onEvent({ type: 'error', code, message, ...(peer === undefined ? {} : { peer }) })
  }
}
