// The words for a burst, the same on the terminal and on the Activity screen:
// "20,000 files from bob (10.0.0.5:40002) in 2.4 s (48 MB)".
import { formatBytes } from '../format-bytes'
import type { Burst } from './bursts'

/** 20000 → "20,000", whatever the locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** How long a burst took: "under 0.01 s", "0.04 s", "2.4 s", "17 s", "3 min 5 s". */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, ms) / 1000
  if (s < 0.01) return 'under 0.01 s'
  if (s < 0.1) return `${s.toFixed(2)} s`
  if (s < 10) return `${s.toFixed(1)} s`
  if (s < 60) return `${Math.round(s)} s`
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}

/** A peer by name with its address beside it, once its name is known; as the join and leave lines say it. */
export function burstPeer(burst: Pick<Burst, 'peer' | 'name'>): string {
  return burst.name ? `${burst.name} (${burst.peer})` : burst.peer
}

function files(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'file' : 'files'}`
}

/** What a burst brought, with the time it took (`span`) or "so far". */
function sentence(burst: Burst, span: string): string {
  const extra: string[] = []
  let head: string
  if (burst.synced > 0 || burst.removed === 0) {
    head = `${files(burst.synced)} from ${burstPeer(burst)} ${span} (${formatBytes(burst.bytes)})`
    if (burst.removed > 0) extra.push(`${formatCount(burst.removed)} removed`)
  } else {
    head = `${files(burst.removed)} removed from the mirror of ${burstPeer(burst)} ${span}`
  }
  if (burst.failed > 0) extra.push(`${formatCount(burst.failed)} failed`)
  if (burst.retried > 0) extra.push(`${formatCount(burst.retried)} tried again`)
  return [head, ...extra].join(', ')
}

/** A burst that ended. */
export function describeBurst(burst: Burst): string {
  return sentence(burst, `in ${formatSeconds(burst.lastAt - burst.startedAt)}`)
}

/** A burst still going. */
export function describeBurstProgress(burst: Burst): string {
  return `${sentence(burst, 'so far')}…`
}
