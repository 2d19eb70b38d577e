// The peers on screen: folded from the events by the same reducer main uses, published once per
// batch. Peers that leave stay a moment, greyed, so the user sees them go. A burst of newcomers
// goes on screen a few dozen per frame, so 200 joining at once never freezes the window.
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import type { AppEvent, PeerState, PeerView } from '../../../shared/contract'
import { applyPeerEvent, setAllOffline, pruneOffline, type PeerTable } from '../../../shared/live/peer-table'

/** New peers drawn per frame: each costs a graph node and a list row to create and lay out. */
export const NEW_PEERS_PER_FRAME = 25

function nextFrame(callback: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(callback)
  else setTimeout(callback, 16)
}

export const usePeersStore = defineStore('peers', () => {
  // Plain, not reactive: thousands of events touch it; only `peers` below is watched.
  const table: PeerTable = new Map()
  const peers = shallowRef<PeerView[]>([])
  let pruneTimer: ReturnType<typeof setTimeout> | null = null
  /** Keys on screen now; anyone else is new and waits for a frame with room. */
  let shown = new Set<string>()
  let morePending = false

  const counts = computed(() => {
    const byState: Record<PeerState, number> = { online: 0, syncing: 0, synced: 0, waiting: 0, offline: 0 }
    for (const peer of peers.value) byState[peer.state]++
    return byState
  })
  /** Peers that are here (not on their way out). */
  const present = computed(() => peers.value.length - counts.value.offline)
  /** Device names by address: every screen names a peer as the peer list does (peer-label.ts). */
  const names = computed(() => new Map(peers.value.filter((p) => p.name).map((p) => [p.key, p.name!])))

  function publish(): void {
    const due = pruneOffline(table, Date.now())
    if (pruneTimer) clearTimeout(pruneTimer)
    pruneTimer = due === null ? null : setTimeout(publish, Math.max(0, due - Date.now()) + 10)
    const next: PeerView[] = []
    let added = 0
    let deferred = false
    for (const peer of table.values()) {
      if (!shown.has(peer.key) && added++ >= NEW_PEERS_PER_FRAME) {
        deferred = true
        continue
      }
      next.push(peer)
    }
    shown = new Set(next.map((p) => p.key))
    peers.value = next
    if (deferred && !morePending) {
      morePending = true
      nextFrame(() => {
        morePending = false
        publish()
      })
    }
  }

  function load(list: readonly PeerView[]): void {
    table.clear()
    for (const peer of list) table.set(peer.key, peer)
    publish()
  }

  function apply(events: readonly AppEvent[]): void {
    let changed = false
    for (const event of events) changed = applyPeerEvent(table, event) || changed
    if (changed) publish()
  }

  function markAllOffline(): void {
    setAllOffline(table, Date.now())
    publish()
  }

  return { peers, counts, present, names, load, apply, markAllOffline }
})
