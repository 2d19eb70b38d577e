// Which events belong in the Activity stream. Progress, buffer and worker reports are samples of
// a state drawn on the Transfers screen; listing each one would bury everything else.
import type { AppEvent } from '../contract'

const SAMPLES = new Set<AppEvent['type']>(['transfer-progress', 'buffer', 'workers'])

export function isActivity(event: AppEvent): boolean {
  return !SAMPLES.has(event.type)
}

/** How many activity entries main keeps for a new window, and a window keeps on screen. */
export const RECENT_ACTIVITY = 300
