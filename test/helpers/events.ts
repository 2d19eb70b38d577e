// Collects engine events and waits for the ones a test expects.
import type { EngineEvent } from '../../src/shared/events'
import { WakeUp } from './wake-up'

export class EventLog {
  readonly events: EngineEvent[] = []
  private readonly arrivals = new WakeUp()

  readonly sink = (event: EngineEvent): void => {
    this.events.push(event)
    this.arrivals.notify()
  }

  find<T extends EngineEvent['type']>(type: T, match: Partial<Extract<EngineEvent, { type: T }>> = {}) {
    return this.events.find(
      (e): e is Extract<EngineEvent, { type: T }> =>
        e.type === type && Object.entries(match).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v),
    )
  }

  count(type: EngineEvent['type']): number {
    return this.events.filter((e) => e.type === type).length
  }

  async waitFor<T extends EngineEvent['type']>(
    type: T,
    match: Partial<Extract<EngineEvent, { type: T }>> = {},
    timeoutMs = 5000,
  ): Promise<Extract<EngineEvent, { type: T }>> {
    await this.until(() => this.find(type, match) !== undefined, timeoutMs, `${type} ${JSON.stringify(match)}`)
    return this.find(type, match)!
  }

  /** Waits until `check` holds, re-checking on every event (and every 100 ms). */
  until(check: () => boolean, timeoutMs = 5000, what = 'a condition'): Promise<void> {
    return this.arrivals.until(check, timeoutMs, what, () => `saw ${JSON.stringify(this.events)}`)
  }
}
