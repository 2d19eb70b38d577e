// Carries engine events to windows: only the allowlisted types, stamped, in batches at most every
// `intervalMs`. Within a batch, samples that a later one supersedes (progress, buffer, workers,
// folder and mirror states) are dropped, so a burst of thousands of events costs a window one
// message and one redraw.
import { FORWARDED_EVENT_TYPES, type AppEvent } from '../../shared/contract'

const FORWARDED = new Set<string>([...FORWARDED_EVENT_TYPES, 'status', 'members'])

export type BatchSink = (batch: AppEvent[]) => void

export function isForwarded(event: { type: string }): boolean {
  return FORWARDED.has(event.type)
}

/** The key under which a later sample replaces an earlier one, or null for events kept as they are. */
function sampleKey(event: AppEvent): string | null {
  switch (event.type) {
    case 'transfer-progress':
      return `progress\0${event.peer}\0${event.path}`
    case 'mirror-state':
      return `mirror\0${event.peer}`
    case 'buffer':
    case 'workers':
    case 'folder-state':
    case 'preparing':
      return event.type
    default:
      return null
  }
}

/** Keeps the order of events, and of each superseded sample only its last. */
export function coalesce(events: readonly AppEvent[]): AppEvent[] {
  const seen = new Set<string>()
  const kept: AppEvent[] = []
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!
    const key = sampleKey(event)
    if (key !== null) {
      if (seen.has(key)) continue
      seen.add(key)
    }
    kept.push(event)
  }
  return kept.reverse()
}

export class EventForwarder {
  private pending: AppEvent[] = []
  private timer: NodeJS.Timeout | null = null
  private readonly sinks = new Set<BatchSink>()

  constructor(private readonly intervalMs = 50) {}

  subscribe(sink: BatchSink): () => void {
    this.sinks.add(sink)
    return () => this.sinks.delete(sink)
  }

  push(event: AppEvent): void {
    if (!isForwarded(event)) return
    this.pending.push(event)
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs)
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.pending.length === 0) return
    const batch = coalesce(this.pending)
    this.pending = []
    for (const sink of [...this.sinks]) {
      try {
        sink(batch)
      } catch {
        // One broken window must not cost the others their events.
      }
    }
  }

  close(): void {
    this.flush()
    this.sinks.clear()
  }
}
