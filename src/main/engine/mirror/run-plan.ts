// How a big file's missing blocks are cut into runs (one GET_BLOCKS each, one job each in the
// ring): contiguous, at most RUN_BYTES, and small enough that every worker gets one.

/** Bytes asked for in one GET_BLOCKS (at least one block). */
export const RUN_BYTES = 8 * 1024 * 1024

export interface Run {
  first: number
  count: number
}

/**
 * Contiguous runs of the `missing` blocks (ascending), each at most RUN_BYTES (one block at least)
 * and at most an even share of them over `workers`, so that a file of a few runs still spreads.
 */
export function runsOf(missing: number[], blockSize: number, workers = 1): Run[] {
  const share = Math.ceil(missing.length / Math.max(1, workers))
  const most = Math.max(1, Math.min(Math.floor(RUN_BYTES / blockSize), share))
  const runs: Run[] = []
  for (const index of missing) {
    const last = runs.at(-1)
    if (last && last.first + last.count === index && last.count < most) last.count++
    else runs.push({ first: index, count: 1 })
  }
  return runs
}
