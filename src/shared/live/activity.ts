// Which events belong in the Activity stream. Progress, buffer and worker reports are samples of
// a state drawn on the Transfers screen, folder and mirror states the Peers screen's, and the
// member list is the Members screen's; listing each one would bury everything else (member
// changes have events of their own).
import type { AppEvent } from '../contract'

const SAMPLES = new Set<AppEvent['type']>(['transfer-progress', 'buffer', 'workers', 'members', 'folder-state', 'mirror-state', 'preparing'])

export function isActivity(event: AppEvent): boolean {
  return !SAMPLES.has(event.type)
}

/** How many activity entries main keeps for a new window, and a window keeps on screen. */
export const RECENT_ACTIVITY = 300

/** Problems main keeps for a new window besides those: a burst of files must not push them out. */
export const RECENT_PROBLEMS = 100

/** What the Activity filter calls a problem. */
export function isProblem(event: AppEvent): boolean {
  switch (event.type) {
    case 'error':
    case 'server-lost':
    case 'removed':
    case 'mass-delete':
      return true
    case 'transfer-failed':
      // One asked for again (a cut connection, a file that changed as it was read) is news, not trouble.
      return !event.retrying
    case 'status':
      return event.status.state === 'failed'
    default:
      return false
  }
}
