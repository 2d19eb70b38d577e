// What the desktop app's tray shows, built from the live snapshot without Electron: the overall
// state (its icon and tooltip) and the menu's items. The Electron adapter only draws it. No
// Pause/Resume: the engine cannot pause yet, and a menu item that does nothing is a defect.
import type { Snapshot } from '../../shared/contract'

export type TrayState = 'synced' | 'syncing' | 'problem' | 'stopped'

export type TrayItem = { kind: 'separator' } | { kind: 'item'; id: 'state' | 'open' | 'quit'; label: string; enabled: boolean }

export interface TrayModel {
  state: TrayState
  /** The tooltip, also the first (disabled) line of the menu. */
  tooltip: string
  menu: TrayItem[]
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The overall state and the words for it. */
function overall(snapshot: Pick<Snapshot, 'status' | 'peers' | 'transfers'>): { state: TrayState; text: string } {
  const { status, peers, transfers } = snapshot
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
  const syncing = here.filter((p) => p.state === 'syncing' || p.state === 'online').length
  if (syncing > 0 || transfers.length > 0) return { state: 'syncing', text: `Syncing with ${count(Math.max(syncing, 1), 'peer', 'peers')}` }
  const waiting = here.filter((p) => p.state === 'waiting').length
  const tail = waiting ? `; ${count(waiting, 'peer has', 'peers have')} its folder away` : ''
  return { state: 'synced', text: here.length ? `Up to date with ${count(here.length, 'peer', 'peers')}${tail}` : 'Up to date; no peers online' }
}

export function trayModel(snapshot: Pick<Snapshot, 'status' | 'peers' | 'transfers'>): TrayModel {
  const { state, text } = overall(snapshot)
  return {
    state,
    tooltip: `dropbox-sync: ${text}`,
    menu: [
      { kind: 'item', id: 'state', label: text, enabled: false },
      { kind: 'separator' },
      { kind: 'item', id: 'open', label: 'Open dropbox-sync', enabled: true },
      { kind: 'item', id: 'quit', label: 'Quit', enabled: true },
    ],
  }
}
