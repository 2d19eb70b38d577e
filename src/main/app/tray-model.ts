// What the desktop app's tray shows, built from the live snapshot without Electron: the overall
// state (its icon and tooltip) and the menu's items. The Electron adapter only draws it. A client
// gets Pause syncing / Resume syncing, enabled while it runs; a server has nothing to pause.
import type { Snapshot } from '../../shared/contract'

export type TrayState = 'synced' | 'syncing' | 'paused' | 'problem' | 'stopped'

export type TrayAction = 'open' | 'pause' | 'resume' | 'quit'

export type TrayItem = { kind: 'separator' } | { kind: 'item'; id: 'state' | TrayAction; label: string; enabled: boolean }

export interface TrayModel {
  state: TrayState
  /** The tooltip, also the first (disabled) line of the menu. */
  tooltip: string
  menu: TrayItem[]
}

export type TraySnapshot = Pick<Snapshot, 'status' | 'peers' | 'transfers' | 'control'>

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The overall state and the words for it. */
function overall(snapshot: TraySnapshot): { state: TrayState; text: string } {
  const { status, peers, transfers, control } = snapshot
  switch (status.state) {
    case 'unconfigured':
      return { state: 'stopped', text: 'Not set up yet: open the app and choose a role in Settings' }
    case 'stopped':
      return { state: 'stopped', text: 'Stopped' }
    case 'starting':
      return { state: 'syncing', text: 'Starting…' }
    case 'failed':
      return { state: 'problem', text: `Could not start${status.message ? `: ${status.message}` : ''}` }
  }
  const here = peers.filter((p) => p.state !== 'offline')
  if (status.role === 'server') return { state: 'synced', text: `Server running, ${count(here.length, 'client', 'clients')} online` }
  if (!status.connected) return { state: 'problem', text: `Not connected to the server ${status.server ?? ''}`.trim() }
  // Running, yet something to say (the shared folder is gone).
  if (status.message) return { state: 'problem', text: status.message }
  if (control.held.length) return { state: 'problem', text: `Deletions held for ${count(control.held.length, 'peer', 'peers')}: open the app to confirm` }
  if (control.paused) return { state: 'paused', text: 'Paused: nothing is fetched from peers' }
  const syncing = here.filter((p) => p.state === 'syncing' || p.state === 'online').length
  if (syncing > 0 || transfers.length > 0) return { state: 'syncing', text: `Syncing with ${count(Math.max(syncing, 1), 'peer', 'peers')}` }
  const waiting = here.filter((p) => p.state === 'waiting').length
  const tail = waiting ? `; ${count(waiting, 'peer has', 'peers have')} its folder away` : ''
  const pausedPeers = control.pausedPeers.length ? `; ${count(control.pausedPeers.length, 'peer', 'peers')} paused` : ''
  return { state: 'synced', text: here.length ? `Up to date with ${count(here.length, 'peer', 'peers')}${tail}${pausedPeers}` : `Up to date; no peers online${pausedPeers}` }
}

export function trayModel(snapshot: TraySnapshot): TrayModel {
  const { state, text } = overall(snapshot)
  const { status, control } = snapshot
  // Only a running client can be told; a stopped one shows the item greyed, as a place to find it.
  const pause: TrayItem[] =
    status.role === 'client'
      ? [{ kind: 'item', id: control.paused ? 'resume' : 'pause', label: control.paused ? 'Resume syncing' : 'Pause syncing', enabled: status.state === 'running' }]
      : []
  return {
    state,
    tooltip: `dropbox-sync: ${text}`,
    menu: [
      { kind: 'item', id: 'state', label: text, enabled: false },
      { kind: 'separator' },
      { kind: 'item', id: 'open', label: 'Open dropbox-sync', enabled: true },
      ...pause,
      { kind: 'item', id: 'quit', label: 'Quit', enabled: true },
    ],
  }
}
