// A peer's files as it lists them, by path; on a disk that folds names (disk-names.ts) it also knows
// which listed paths are one file there, so the mirror can hold one and say why not the others.
import type { ListEntry } from './jobs'
import type { NameFold } from '../folder/disk-names'
import type { Observed, PathObserver } from './mirror-tally'

export class ListedFiles extends Map<string, ListEntry> implements Observed {
  /** Told of every change, to keep the mirror's figures (mirror-tally.ts). */
  observer: PathObserver | null = null
  /** Listed paths by their fold: one path as itself, a Set only where spellings clash. */
  private readonly slots: Map<string, string | Set<string>> | null

  constructor(private readonly fold: NameFold | null = null) {
    super()
    this.slots = fold ? new Map() : null
  }

  override set(rel: string, entry: ListEntry): this {
    if (this.slots && !this.has(rel)) {
      const slot = this.fold!(rel)
      const held = this.slots.get(slot)
      if (held === undefined) this.slots.set(slot, rel)
      else if (typeof held === 'string') this.slots.set(slot, new Set([held, rel]))
      else held.add(rel)
    }
    this.observer?.before(rel)
    super.set(rel, entry)
    this.observer?.after(rel)
    return this
  }

  override delete(rel: string): boolean {
    if (this.slots && this.has(rel)) {
      const slot = this.fold!(rel)
      const held = this.slots.get(slot)
      if (held === rel) this.slots.delete(slot)
      else if (typeof held === 'object') {
        held.delete(rel)
        if (held.size === 1) this.slots.set(slot, held.values().next().value!)
      }
    }
    this.observer?.before(rel)
    const had = super.delete(rel)
    this.observer?.after(rel)
    return had
  }

  /** The other listed paths that are the same file as `rel` on this disk (none where names are told apart). */
  spellingsOf(rel: string): string[] {
    const held = this.slots?.get(this.fold!(rel))
    if (held === undefined) return []
    if (typeof held === 'string') return held === rel ? [] : [held]
    return [...held].filter((other) => other !== rel)
  }
}

/**
 * Which of the clashing spellings the mirror holds, when it is not `rel`: the one it holds
 * already (no churn), else the first in code-unit order (every list decides alike).
 */
export function clashWinner(rel: string, spellings: readonly string[], heldNow: string | undefined): string | undefined {
  if (spellings.length === 0 || heldNow === rel) return undefined
  if (heldNow !== undefined && spellings.includes(heldNow)) return heldNow
  let first = rel
  for (const other of spellings) if (other < first) first = other
  return first === rel ? undefined : first
}
