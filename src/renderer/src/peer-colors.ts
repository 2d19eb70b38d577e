// One colour per peer state, used by the graph and the list's legend alike.
import type { PeerState } from '../../shared/contract'

export const PEER_COLORS: Record<PeerState | 'self', string> = {
  self: '#1f2937',
  online: '#2563eb',
  syncing: '#d97706',
  synced: '#16a34a',
  waiting: '#7c3aed',
  offline: '#9ca3af',
}

export const PEER_STATE_LABELS: Record<PeerState, string> = {
  online: 'online',
  syncing: 'syncing',
  synced: 'synced',
  waiting: 'folder away',
  offline: 'offline',
}
