// Files in flight, totals per peer, and the ring buffer and workers as last reported: folded from
// the event stream, pure, the same in main (snapshot) and in the window.
import type { AppEvent, PeerTotals, TransferView } from '../contract'
import { formatEndpoint } from '../endpoint'
import type { WorkerState } from '../events'

/** Weight of the newest sample in the smoothed rate: steady enough to read, quick to follow. */
const RATE_SMOOTHING = 0.3

export interface TransferTable {
  /** By `peer` + NUL + `path`. */
  active: Map<string, TransferView>
  totals: Map<string, PeerTotals>
  buffer: { used: number; capacity: number } | null
  workers: WorkerState[]
}

export function createTransferTable(): TransferTable {
  return { active: new Map(), totals: new Map(), buffer: null, workers: [] }
}

const keyOf = (peer: string, path: string): string => `${peer}\0${path}`

function totalsOf(table: TransferTable, peer: string): PeerTotals {
  let totals = table.totals.get(peer)
  if (!totals) {
    totals = { peer, files: 0, bytes: 0, failed: 0, active: 0 }
    table.totals.set(peer, totals)
  }
  return totals
}

/** Applies one event; returns true when anything shown changed. */
export function applyTransferEvent(table: TransferTable, event: AppEvent): boolean {
  switch (event.type) {
    case 'status':
      if (event.status.state !== 'starting') return false
      table.active.clear()
      table.totals.clear()
      table.buffer = null
      table.workers = []
      return true
    case 'transfer-started': {
      const key = keyOf(event.peer, event.path)
      if (!table.active.has(key)) totalsOf(table, event.peer).active++
      table.active.set(key, { peer: event.peer, path: event.path, bytes: 0, total: event.total, startedAt: event.at, updatedAt: event.at, rate: 0 })
      return true
    }
    case 'transfer-progress': {
      const key = keyOf(event.peer, event.path)
      const known = table.active.get(key)
      if (!known) {
        // Joined mid-transfer (e.g. after a reload): start tracking from here.
        totalsOf(table, event.peer).active++
        table.active.set(key, { peer: event.peer, path: event.path, bytes: event.bytes, total: event.total, startedAt: event.at, updatedAt: event.at, rate: 0 })
        return true
      }
      const seconds = (event.at - known.updatedAt) / 1000
      const sample = seconds > 0 ? Math.max(0, event.bytes - known.bytes) / seconds : null
      const rate = sample === null ? known.rate : known.rate === 0 ? sample : known.rate + RATE_SMOOTHING * (sample - known.rate)
      table.active.set(key, { ...known, bytes: event.bytes, total: event.total, updatedAt: sample === null ? known.updatedAt : event.at, rate })
      return true
    }
    case 'file-synced': {
      const totals = totalsOf(table, event.peer)
      if (table.active.delete(keyOf(event.peer, event.path))) totals.active = Math.max(0, totals.active - 1)
      totals.files++
      totals.bytes += event.bytes
      return true
    }
    case 'transfer-failed': {
      const totals = totalsOf(table, event.peer)
      if (table.active.delete(keyOf(event.peer, event.path))) totals.active = Math.max(0, totals.active - 1)
      // A file asked for again is not a failure yet: only one given up on counts.
      if (!event.retrying) totals.failed++
      return true
    }
    case 'peer-left':
      // A peer that left sends nothing more: its files in flight are over.
      return endActive(table, formatEndpoint(event.ip, event.port))
    case 'paused':
      // A pause cuts what it holds without a failure said (it comes at the resume): the client's
      // pause every row, a device's its own, and one not announced (no address) none.
      if (event.id !== undefined) return event.peer !== undefined && endActive(table, event.peer)
      return endActive(table, null)
    case 'buffer':
      table.buffer = { used: event.used, capacity: event.capacity }
      return true
    case 'workers':
      table.workers = event.states
      return true
    default:
      return false
  }
}

/** Ends the rows in flight of `peer` (every peer's: null); true if any was there. */
function endActive(table: TransferTable, peer: string | null): boolean {
  let changed = false
  for (const [key, transfer] of table.active) {
    if (peer !== null && transfer.peer !== peer) continue
    table.active.delete(key)
    changed = true
  }
  for (const totals of table.totals.values()) if (peer === null || totals.peer === peer) totals.active = 0
  return changed
}

/** Seconds until the transfer is done at its current rate, or null when it cannot be told. */
export function secondsLeft(transfer: TransferView): number | null {
  if (transfer.rate <= 0) return null
  return Math.max(0, transfer.total - transfer.bytes) / transfer.rate
}
