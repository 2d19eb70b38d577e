// Where this machine's shared folder and each peer's mirror stand, and the large files being
// hashed before peers can hear of them: the latest report of each, folded from the event stream.
// Pure: the same in main (the snapshot a new window starts from) and in the window.
import type { AppEvent, FolderStates, FolderStateView, MirrorStateView } from '../contract'
import { formatEndpoint } from '../endpoint'
import type { PreparingFile } from '../events'

export interface FolderStateTable {
  own: FolderStateView | null
  /** By peer (`ip:port`), as the peer table keys them. */
  mirrors: Map<string, MirrorStateView>
  preparing: PreparingFile[]
}

export function createFolderStateTable(): FolderStateTable {
  return { own: null, mirrors: new Map(), preparing: [] }
}

/** Applies one event; returns true when anything shown changed. */
export function applyFolderStateEvent(table: FolderStateTable, event: AppEvent): boolean {
  switch (event.type) {
    case 'status':
      // Only a running engine's reports hold; a new one reports afresh.
      if (event.status.state === 'running' || (table.own === null && table.mirrors.size === 0 && table.preparing.length === 0)) return false
      table.own = null
      table.mirrors.clear()
      table.preparing = []
      return true
    case 'folder-state': {
      const { type: _type, at: _at, seq: _seq, ...own } = event
      table.own = own
      return true
    }
    case 'mirror-state': {
      const { type: _type, at: _at, seq: _seq, ...mirror } = event
      // A write problem lasts while files wait for the disk: until the mirror is up to date.
      const problem = mirror.phase === 'up-to-date' ? undefined : table.mirrors.get(mirror.peer)?.writeProblem
      table.mirrors.set(mirror.peer, problem === undefined ? mirror : { ...mirror, writeProblem: problem })
      return true
    }
    case 'error': {
      const known = event.code === 'write-failed' && event.peer !== undefined ? table.mirrors.get(event.peer) : undefined
      if (!known) return false
      table.mirrors.set(known.peer, { ...known, writeProblem: event.message })
      return true
    }
    case 'peer-left':
      // Reported again only if it comes back.
      return table.mirrors.delete(formatEndpoint(event.ip, event.port))
    case 'preparing':
      table.preparing = event.files
      return true
    default:
      return false
  }
}

export function folderStatesOf(table: FolderStateTable): FolderStates {
  return { own: table.own, mirrors: [...table.mirrors.values()], preparing: table.preparing }
}

export function loadFolderStates(table: FolderStateTable, states: FolderStates): void {
  table.own = states.own
  table.mirrors = new Map(states.mirrors.map((mirror) => [mirror.peer, mirror]))
  table.preparing = states.preparing
}
