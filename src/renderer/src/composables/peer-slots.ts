// Where each peer sits on the graph: this machine at the centre, peers on a sunflower spiral
// around it. A peer keeps its slot while it stays; a newcomer takes the innermost free slot. No
// physics runs, so 200 peers cost nothing per frame and nobody drifts while the user looks.

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5))
const INNER_RADIUS = 110
const SPACING = 46

export function slotPosition(slot: number): { x: number; y: number } {
  const radius = INNER_RADIUS + SPACING * Math.sqrt(slot)
  const angle = slot * GOLDEN_ANGLE - Math.PI / 2
  return { x: Math.round(radius * Math.cos(angle)), y: Math.round(radius * Math.sin(angle)) }
}

export class SlotAllocator {
  private readonly slots = new Map<string, number>()
  /** Slots given up by peers that left, reused innermost first. */
  private free: number[] = []
  private next = 0

  /** Brings the allocation in line with `keys`; returns each key's slot. */
  sync(keys: Iterable<string>): ReadonlyMap<string, number> {
    const wanted = new Set(keys)
    for (const [key, slot] of this.slots) {
      if (wanted.has(key)) continue
      this.slots.delete(key)
      this.free.push(slot)
    }
    this.free.sort((a, b) => a - b)
    for (const key of wanted) {
      if (this.slots.has(key)) continue
      this.slots.set(key, this.free.length ? this.free.shift()! : this.next++)
    }
    return this.slots
  }
}
