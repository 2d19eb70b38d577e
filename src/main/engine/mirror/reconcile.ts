// What the mirror does about one path, decided from what is known of it and nothing else: the
// peer's entry, the manifest's, and the path's own record. No disk, no network, no clock; the
// coordinator acts on the answer (see consider in mirror-coordinator.ts).
import type { ListEntry } from './jobs'

/** What the mirror remembers about one path of one peer, beyond the manifest. */
export interface PathRecord {
  /** The version a job queued, running or waiting to be retried brings. */
  pending?: string
  /** The version the peer sent wrong (bad hash, bad size, gone): not asked for again. */
  refused?: string
  /**
   * The version the peer announced and then answered with newer content (a reply names F's
   * version now, PROTOCOL.md §12.3): the mirror holds that content; asked for again only once the
   * peer announces the path anew, or every request would bring the same reply.
   */
  outrun?: string
}

export interface PathFacts {
  /** The peer is online, in this generation, and its list (or the list arriving) is known. */
  live: boolean
  /** The peer's entry; undefined when the peer does not list the path. */
  want: ListEntry | undefined
  /** The version the manifest says the mirror holds; undefined when it holds none. */
  have: string | undefined
  record: PathRecord
  /** The mirror folder may hold files its manifest does not know (see PeerState.probeDisk). */
  probeDisk: boolean
  /** A file the peer also lists at a folder above this path: no folder can hold both, so this one is not mirrored. */
  insideFile?: string | undefined
  /** Another path the peer lists that is this one's file on this disk (it folds names), and is mirrored instead. */
  sameNameAs?: string | undefined
  /** Why this disk cannot hold the path's name (a character it refuses), if it cannot. */
  nameRefused?: string | null | undefined
}

export type PathAction =
  /** Nothing to do: the peer is away, or the mirror holds what it lists, or it sent this version wrong. */
  | { do: 'nothing'; why: 'away' | 'not-listed' | 'up-to-date' | 'refused' | 'outrun' | 'inside-file' | 'name-clash' | 'name-refused' }
  /** A job for the path is under way: its result decides. */
  | { do: 'wait' }
  /** The peer deleted it: removed (or held, when it is part of a mass delete). */
  | { do: 'remove' }
  /**
   * Brought: `recycled`, first from the recycler (a move); `reuse`, copied from a mirror holding
   * the content; `probe`, checked where it stands before it is fetched. `have`: the version replaced.
   */
  | { do: 'fetch'; want: ListEntry; have: string | null; recycled: boolean; reuse: boolean; probe: boolean }

/** `release`: the peer lists the path, so a held deletion of it is no longer wanted. */
export type Decision = PathAction & { release: boolean }

export function decide({ live, want, have, record, probeDisk, insideFile, sameNameAs, nameRefused }: PathFacts): Decision {
  if (!live) return { do: 'nothing', why: 'away', release: false }
  if (!want) {
    if (have === undefined) return { do: 'nothing', why: 'not-listed', release: false }
    // Its job's result comes first: a file being fetched is not removed under the worker.
    return record.pending !== undefined ? { do: 'wait', release: false } : { do: 'remove', release: false }
  }
  if (have === want.version) return { do: 'nothing', why: 'up-to-date', release: true }
  if (record.pending !== undefined) return { do: 'wait', release: true }
  if (record.refused === want.version) return { do: 'nothing', why: 'refused', release: true }
  if (record.outrun === want.version) return { do: 'nothing', why: 'outrun', release: true }
  if (insideFile !== undefined) return { do: 'nothing', why: 'inside-file', release: true }
  if (sameNameAs !== undefined) return { do: 'nothing', why: 'name-clash', release: true }
  if (nameRefused) return { do: 'nothing', why: 'name-refused', release: true }
  // An empty file is written, never copied: there is nothing to reuse.
  const content = want.size > 0
  return { do: 'fetch', want, have: have ?? null, recycled: content, reuse: content, probe: content && have === undefined && probeDisk, release: true }
}
