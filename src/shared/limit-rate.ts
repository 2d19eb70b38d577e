// The bandwidth limit (KiB/s, each direction on its own; 0: none): the CLI's --limit-rate and the
// app's setting share these bounds. Past about 10 GB/s no network this runs on needs a limit.
export const MAX_LIMIT_RATE_KIB = 10_000_000

/** What a limit must be, to follow its name: "--limit-rate must be …". */
export const LIMIT_RATE_RULE = `must be a whole number of KiB/s from 0 (no limit) to ${MAX_LIMIT_RATE_KIB}`

export function isLimitRate(kib: unknown): kib is number {
  return typeof kib === 'number' && Number.isInteger(kib) && kib >= 0 && kib <= MAX_LIMIT_RATE_KIB
}

/** Bytes per second for a limit in KiB/s. */
export function limitRateBytes(kib: number): number {
  return kib * 1024
}
