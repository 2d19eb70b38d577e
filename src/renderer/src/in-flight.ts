// Files in flight per peer: the rows of large files, and the small files the workers hold beyond
// them (a batch of small files is one job, counted by its files). The Transfers screen's total is
// the sum of these, so its heading and its Per peer column agree.
import type { TransferView } from '../../shared/contract'
import type { WorkerState } from '../../shared/events'

export interface PeerInFlight {
  /** Files with a row of their own (256 KiB and more). */
  rows: number
  /** Small files on the way in batches, with no row. */
  batched: number
}

export function inFlightByPeer(active: readonly TransferView[], workers: readonly WorkerState[]): Map<string, PeerInFlight> {
  const rows = new Map<string, number>()
  for (const transfer of active) rows.set(transfer.peer, (rows.get(transfer.peer) ?? 0) + 1)
  const held = new Map<string, number>()
  for (const worker of workers) {
    if (!worker.busy || worker.peer === undefined) continue
    held.set(worker.peer, (held.get(worker.peer) ?? 0) + (worker.files ?? worker.jobs ?? 1))
  }
  const result = new Map<string, PeerInFlight>()
  for (const peer of new Set([...rows.keys(), ...held.keys()])) {
    const shown = rows.get(peer) ?? 0
    // The workers' files include those with a row.
    result.set(peer, { rows: shown, batched: Math.max(0, (held.get(peer) ?? 0) - shown) })
  }
  return result
}
