// How the -b slots are split between peers. Each peer with work gets a max-min fair share of all
// but one slot (one is always left for a peer whose work has not come yet), and the next job out
// is the least busy peer's (Syncthing picks the device with the fewest requests out the same way).

/** The slots that may be shared out: all but one, so a peer whose work comes next finds one free. */
export function sharedRoom(capacity: number): number {
  return capacity > 1 ? capacity - 1 : capacity
}

/**
 * The most jobs each peer may have out: a max-min fair split of `room` between the peers, none
 * given more than it wants (what it has queued and out, bounded by its window), none less than one.
 * What a peer wants less of than an even part goes to the others, so a lone peer has the whole room.
 */
export function fairShares(room: number, wants: ReadonlyMap<string, number>): Map<string, number> {
  const shares = new Map<string, number>()
  const byWant = [...wants].filter(([, want]) => want > 0).sort((a, b) => a[1] - b[1])
  let left = room
  byWant.forEach(([peer, want], i) => {
    const share = Math.min(want, Math.floor(left / (byWant.length - i)))
    left -= share
    shares.set(peer, Math.max(1, share))
  })
  return shares
}

/**
 * The peer whose job goes out next: of those with a job queued and fewer out than their share, the
 * one with the fewest out; between equals, the one whose oldest queued job is oldest. `lastSlot`:
 * only the slot left for newcomers is free, and only a peer with nothing out may take it.
 */
export function nextPeer(queued: ReadonlyArray<{ peer: string; oldest: number }>, out: ReadonlyMap<string, number>, shares: ReadonlyMap<string, number>, lastSlot = false): string | undefined {
  let best: { peer: string; oldest: number; out: number } | undefined
  for (const { peer, oldest } of queued) {
    const busy = out.get(peer) ?? 0
    if (busy >= (lastSlot ? 1 : (shares.get(peer) ?? 1))) continue
    if (!best || busy < best.out || (busy === best.out && oldest < best.oldest)) best = { peer, oldest, out: busy }
  }
  return best?.peer
}
