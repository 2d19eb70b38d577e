// How durations read on the Transfers screen: never a part that reads 60, and each unit rounded
// as shown.
import { describe, expect, it } from 'vitest'
import { formatDuration, formatLimitRate, formatRate } from '../../src/renderer/src/format'

describe('formatDuration', () => {
  const cases: Array<[number | null, string]> = [
    [null, '—'],
    [Number.POSITIVE_INFINITY, '—'],
    [0.4, 'under 1 s'],
    [1, '1 s'],
    [59.4, '59 s'],
    [59.6, '1 min 0 s'],
    [61, '1 min 1 s'],
    [119.6, '2 min 0 s'],
    [119.4, '1 min 59 s'],
    [3599.4, '59 min 59 s'],
    [3599.6, '1 h 0 min'],
    [3600 + 29 * 60 + 40, '1 h 30 min'],
    [7199, '2 h 0 min'],
    [7170, '2 h 0 min'],
    [7169, '1 h 59 min'],
    [90_000, '25 h 0 min'],
  ]
  it.each(cases)('%j s → %s', (seconds, words) => expect(formatDuration(seconds)).toBe(words))
})

// Settings takes the limit in KiB/s; Transfers shows speeds in MB/s (powers of 1000). The limit is
// said in the speeds' units, so a client held at it reads the same number in both places.
describe('formatLimitRate', () => {
  const cases: Array<[number, string | null]> = [
    [0, null],
    [1, '1.0 KB/s'],
    [1000, '1.0 MB/s'],
    [1024, '1.0 MB/s'],
    [20480, '21 MB/s'],
    [102_400, '105 MB/s'],
    [10_000_000, '10 GB/s'],
  ]
  it.each(cases)('%j KiB/s → %s', (kib, words) => expect(formatLimitRate(kib)).toBe(words))
  it('reads as a transfer held at the limit does', () => expect(formatLimitRate(20480)).toBe(formatRate(20480 * 1024)))
})
