// Who is online and in what state, folded from the event stream. Pure: main keeps one for the
// snapshot a new window starts from, and the window keeps its own, fed by the same events.
import type { AppEvent, PeerView } from '../contract'
import { formatEndpoint } from '../endpoint'

/** How long a peer that left stays on screen, greyed, before it goes: long enough to notice. */
export const OFFLINE_LINGER_MS = 8000

export type PeerTable = Map<string, PeerView>

/** Applies one event; returns true when the table changed. */
export function applyPeerEvent(table: PeerTable, event: AppEvent): boolean {
  switch (event.type) {
    case 'status':
      // A (re)starting engine knows no one yet.
      if (event.status.state !== 'starting' || table.size === 0) return false
      table.clear()
      return true
    case 'peer-joined': {
      const key = formatEndpoint(event.ip, event.port)
      const known = table.get(key)
      if (known && known.state !== 'offline') return false
      table.set(key, { key, ip: event.ip, port: event.port, state: 'online', since: event.at, id: event.id, name: event.name })
      return true
    }
    case 'peer-left': {
      const key = formatEndpoint(event.ip, event.port)
      const known = table.get(key)
      if (!known || known.state === 'offline') return false
      table.set(key, { ...known, state: 'offline', since: event.at, reason: event.reason })
      return true
    }
    // Small files get no transfer-started (they travel in batches): any file is news of a sync, and
    // so is one that failed (a mirror whose disk refuses writes is not synced while it waits).
    // A file already on its way when the peer's folder went does not end the wait for the rest.
    case 'transfer-started':
    case 'file-synced':
    case 'file-removed':
    case 'transfer-failed':
      return table.get(event.peer)?.state !== 'waiting' && setState(table, event.peer, 'syncing', event.at)
    case 'peer-synced':
      return setState(table, event.peer, 'synced', event.at)
    case 'error':
      return event.code === 'peer-folder-missing' && event.peer !== undefined && setState(table, event.peer, 'waiting', event.at)
    case 'peer-folder-restored':
      return setState(table, event.peer, 'syncing', event.at)
    case 'paused': {
      // Nothing follows a paused peer (the client's pause: every one): neither syncing nor synced
      // can be told until the resume reads its list again. One not announced names no address.
      if (event.id !== undefined && event.peer === undefined) return false
      let changed = false
      for (const [key, peer] of table) {
        if (event.peer !== undefined && key !== event.peer) continue
        if (peer.state === 'syncing' || peer.state === 'synced') changed = setState(table, key, 'online', event.at) || changed
      }
      return changed
    }
    default:
      return false
  }
}

function setState(table: PeerTable, key: string, state: PeerView['state'], at: number): boolean {
  const known = table.get(key)
  if (!known || known.state === 'offline' || known.state === state) return false
  table.set(key, { ...known, state, since: at })
  return true
}

/** Every peer still drawn as here goes offline at `at` (the app stopped answering: nobody is known). */
export function setAllOffline(table: PeerTable, at: number): void {
  for (const [key, peer] of table) if (peer.state !== 'offline') table.set(key, { ...peer, state: 'offline', since: at })
}

/** Drops peers that left more than `lingerMs` ago; returns when the next one is due, or null. */
export function pruneOffline(table: PeerTable, now: number, lingerMs = OFFLINE_LINGER_MS): number | null {
  let next: number | null = null
  for (const [key, peer] of table) {
    if (peer.state !== 'offline') continue
    const due = peer.since + lingerMs
    if (due <= now) table.delete(key)
    else next = next === null ? due : Math.min(next, due)
  }
  return next
}
