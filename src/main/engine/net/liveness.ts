// Whether a connection's peer is still there: its HELLO due within a deadline, then the heartbeat
// that pings it (from the initiator) and gives it up after HEARTBEAT_MISSES silent intervals.
// Owns both timers: dispose ends them.

/** How many heartbeat intervals of silence end a connection. */
export const HEARTBEAT_MISSES = 3

/** What one beat does, `silentForMs` after the peer was last heard: give it up, ping it, or nothing. */
export function beatAction(silentForMs: number, intervalMs: number, pings: boolean): 'give-up' | 'ping' | 'wait' {
  if (silentForMs > intervalMs * HEARTBEAT_MISSES) return 'give-up'
  return pings ? 'ping' : 'wait'
}

export interface HeartbeatHooks {
  /** The initiator's side: sends PING (the acceptor only listens). */
  ping?: () => void
  /** Silent past HEARTBEAT_MISSES intervals: the owner ends the connection. */
  silent: (silentForMs: number) => void
}

export class Liveness {
  private lastHeard = Date.now()
  private helloTimer: NodeJS.Timeout | null = null
  private beatTimer: NodeJS.Timeout | null = null

  /** The peer has `ms` to say HELLO, else `late` runs. */
  expectHello(ms: number, late: () => void): void {
    this.helloTimer = setTimeout(late, ms)
  }

  /** Its HELLO came: no deadline any more. */
  helloHeard(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer)
    this.helloTimer = null
  }

  /** A sign of life (bytes read, frames taken while we do not read): the silence starts again. */
  heard(): void {
    this.lastHeard = Date.now()
  }

  /** Beats every `intervalMs` from now on; 0 or less: never (the heartbeat is off). */
  beat(intervalMs: number, hooks: HeartbeatHooks): void {
    if (intervalMs <= 0) return
    this.beatTimer = setInterval(() => {
      const silentFor = Date.now() - this.lastHeard
      const action = beatAction(silentFor, intervalMs, hooks.ping !== undefined)
      if (action === 'give-up') hooks.silent(silentFor)
      else if (action === 'ping') hooks.ping!()
    }, intervalMs)
    this.beatTimer.unref()
  }

  dispose(): void {
    this.helloHeard()
    if (this.beatTimer) clearInterval(this.beatTimer)
    this.beatTimer = null
  }
}
