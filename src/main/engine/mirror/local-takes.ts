// The worker's side of taking blocks from other local files (the main thread names them, see
// local-blocks.ts): each source's list is read from its block store, matched against the wanted
// blocks (blocks/block-match.ts), and each matching block is read from the source, checked
// against its hash and written into the partial at its offset, as a block of the old copy is.
// A source that is gone, is no longer a regular file of its listed size, or lies outside its
// root now (a link planted on the way) is not used; a block that no longer hashes right is
// fetched from the peer instead.
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { matchBlocks, type BlockPlace } from '../blocks/block-match'
import { blockHash } from '../blocks/block-hash'
import { BlockStore, hashAt, type BlockList as StoredList } from '../blocks/block-store'
import type { PartialFile } from '../blocks/partial-file'
import { blockRange } from '../blocks/block-plan'
import { STORED_MIN_BLOCKS } from '../folder/block-lists'
import { InsideFolder } from '../folder/open-inside'
import { readFully } from '../util/read-fully'
import type { LocalSource } from './jobs'

/**
 * A file of this many blocks or more is one whose list other pulls may look up (local-blocks.ts):
 * the same rule as the index's kept lists, so every list looked up is on disk.
 */
export const LOCAL_LIST_MIN_BLOCKS = STORED_MIN_BLOCKS

/** Blocks read from sources at once: one block's read, another's hash and a third's write overlap. */
const TAKES_AT_ONCE = 4

export interface LocalMatches {
  sources: LocalSource[]
  /** Wanted block → where sources hold it. */
  places: Map<number, BlockPlace[]>
}

export const NO_MATCHES: LocalMatches = { sources: [], places: new Map() }

/**
 * Where `sources` hold blocks of the file listed (its size, block size and hashes); `only`: the
 * blocks to look for (default: all). A source whose list cannot be read is left out.
 */
export async function matchLocal(list: { size: number; blockSize: number; hashes: Buffer }, sources: LocalSource[], only?: readonly number[]): Promise<LocalMatches> {
  const usable: LocalSource[] = []
  const lists: StoredList[] = []
  for (const source of sources) {
    const stored = await new BlockStore(source.listDir).get(source.version).catch(() => null)
    if (stored === null || stored.size !== source.size) continue
    usable.push(source)
    lists.push(stored)
  }
  if (usable.length === 0) return NO_MATCHES
  return { sources: usable, places: matchBlocks(list.size, list.blockSize, list.hashes, lists, only) }
}

/** Bytes of the file that the matches would take locally. */
export function matchedBytes(list: { size: number; blockSize: number }, matches: LocalMatches): number {
  let bytes = 0
  for (const index of matches.places.keys()) bytes += blockRange(list.size, list.blockSize, index).length
  return bytes
}

/**
 * Takes every matched block the partial still misses from its sources, in the order given; says
 * how many it took. Write failures are thrown (the caller reports them); a source or block that
 * cannot be read is skipped.
 */
export async function takeLocal(partial: PartialFile, matches: LocalMatches): Promise<number> {
  let taken = 0
  for (let s = 0; s < matches.sources.length; s++) {
    const todo: Array<{ index: number; offset: number }> = []
    for (const [index, places] of matches.places) {
      const place = places.find((p) => p.source === s)
      if (place && !partial.isVerified(index)) todo.push({ index, offset: place.offset })
    }
    if (todo.length === 0) continue
    const source = await openSource(matches.sources[s]!)
    if (!source) continue
    try {
      const next = async (): Promise<void> => {
        for (let item = todo.shift(); item !== undefined; item = todo.shift()) {
          if (partial.isVerified(item.index)) continue
          const { length } = blockRange(partial.list.size, partial.list.blockSize, item.index)
          // The source may have changed since it was listed: only bytes that hash right are taken.
          const bytes = Buffer.allocUnsafe(length)
          // A source that cannot be read, or holds less now, gives no block.
          const read = await readFully(source, bytes, item.offset).catch(() => 0)
          if (read < length || !blockHash(bytes).equals(hashAt(partial.list, item.index))) continue
          await partial.writeBlock(item.index, bytes)
          await partial.markVerified(item.index)
          taken++
        }
      }
      await Promise.all(Array.from({ length: TAKES_AT_ONCE }, next))
    } finally {
      await source.close().catch(() => {})
    }
  }
  return taken
}

/**
 * The source opened for reading if it still is a regular file of its listed size at `rel` inside
 * its root, reached through no link (proven from the descriptor); null otherwise.
 */
export async function openSource(source: LocalSource): Promise<FileHandle | null> {
  const rel = source.rel.split('/').join(path.sep)
  const inside = new InsideFolder(source.root, () => ({ dev: source.rootDev, ino: source.rootIno, birthtimeMs: 0 }))
  let handle: FileHandle
  try {
    handle = await open(path.join(source.root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch {
    return null
  }
  try {
    const stats = await handle.stat()
    if (stats.isFile() && stats.size === source.size && inside.proves(handle.fd, rel)) return handle
  } catch {
    // Unreadable: not a source.
  }
  await handle.close().catch(() => {})
  return null
}
