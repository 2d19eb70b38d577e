// Which events deserve a desktop notification, and its words: the one decision both the page
// (Web Notifications) and the desktop app (Electron's) use. Only what needs the user: a peer's
// mass delete held, a write failure that lasts, the shared folder gone, a peer's file this disk
// cannot hold. Pure, so it is table-tested.
import type { EngineEvent } from './events'

export interface NotificationText {
  title: string
  body: string
  /** The same tag replaces an earlier notification instead of stacking beside it. */
  tag: string
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The notification an event calls for, or null for the many that need no one's attention. */
export function notificationFor(event: { type: string }): NotificationText | null {
  const e = event as EngineEvent
  switch (e.type) {
    case 'mass-delete':
      return {
        title: `Deletions held: ${e.peer}`,
        body: `${e.peer} deleted ${plural(e.files, 'file', 'files')} of its ${e.total} at once. Its mirror keeps them until you confirm.`,
        tag: `mass-delete:${e.peer}`,
      }
    case 'error':
      // The engine says a write failure once, when it starts, and keeps retrying: it lasts until a write succeeds.
      if (e.code === 'write-failed') return { title: 'Cannot write to the mirror', body: e.message, tag: 'write-failed' }
      if (e.code === 'folder-missing') return { title: 'The shared folder is gone', body: e.message, tag: 'folder-missing' }
      // A file the mirror's disk cannot hold stays out until the peer renames it: one notice per peer.
      if (e.code === 'name-clash' || e.code === 'name-refused') return { title: 'A file this disk cannot hold', body: e.message, tag: `names:${e.peer ?? ''}` }
      return null
    default:
      return null
  }
}
