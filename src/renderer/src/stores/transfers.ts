// Files in flight, totals per peer, the ring buffer and the workers: folded from the events by the
// reducer main uses, published once per batch.
import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import type { AppEvent, PeerTotals, Snapshot, TransferView } from '../../../shared/contract'
import type { WorkerState } from '../../../shared/events'
import { applyTransferEvent, createTransferTable } from '../../../shared/live/transfer-table'

export const useTransfersStore = defineStore('transfers', () => {
  const table = createTransferTable()
  const active = shallowRef<TransferView[]>([])
  const totals = shallowRef<PeerTotals[]>([])
  const buffer = shallowRef<{ used: number; capacity: number } | null>(null)
  const workers = shallowRef<WorkerState[]>([])

  function publish(): void {
    active.value = [...table.active.values()]
    totals.value = [...table.totals.values()].map((t) => ({ ...t }))
    buffer.value = table.buffer
    workers.value = table.workers
  }

  function load(snapshot: Pick<Snapshot, 'transfers' | 'totals' | 'buffer' | 'workers'>): void {
    table.active.clear()
    table.totals.clear()
    for (const t of snapshot.transfers) table.active.set(`${t.peer}\0${t.path}`, { ...t })
    for (const t of snapshot.totals) table.totals.set(t.peer, { ...t })
    table.buffer = snapshot.buffer
    table.workers = snapshot.workers
    publish()
  }

  function apply(events: readonly AppEvent[]): void {
    let changed = false
    for (const event of events) changed = applyTransferEvent(table, event) || changed
    if (changed) publish()
  }

  return { active, totals, buffer, workers, load, apply }
})
