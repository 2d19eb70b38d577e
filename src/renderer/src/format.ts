// How numbers, times and sizes read on screen.

import { formatBytes } from '../../shared/format-bytes'
import { limitRateBytes } from '../../shared/limit-rate'

export { formatBytes }

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/** The bandwidth limit (set in KiB/s) in the units Transfers shows speeds in; null for none. */
export function formatLimitRate(kib: number): string | null {
  return kib > 0 ? formatRate(limitRateBytes(kib)) : null
}

/** Rounded to the unit shown before it is split, so no part reads 60 ("1 min 60 s"). */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  if (seconds < 1) return 'under 1 s'
  const whole = Math.round(seconds)
  if (whole < 60) return `${whole} s`
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`
  const minutes = Math.round(seconds / 60)
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

// One formatter for every row: building one per call (toLocaleTimeString) costs ~1 ms each.
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })

export function formatClock(at: number): string {
  return clock.format(at)
}

const sameDay = (a: number, b: number): boolean => new Date(a).toDateString() === new Date(b).toDateString()
const day = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })

/** The time for today, the date and the time for another day. */
export function formatWhen(at: number, now = Date.now()): string {
  return sameDay(at, now) ? clock.format(at) : `${day.format(at)} ${clock.format(at)}`
}

const counter = new Intl.NumberFormat()

/** A number with the reader's thousands separators. */
export function formatNumber(n: number): string {
  return counter.format(n)
}

/** A count with the reader's thousands separators, and the noun in the singular or plural. */
export function formatCount(n: number, one: string, many: string): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.round((part / whole) * 100)) : 100
}
