// The block lists of the shared folder's files, for peers that pull blocks (GET_BLOCK_LIST,
// GET_BLOCKS). Lists of big files are kept on disk by version as the index hashes them; a
// smaller file's list is cheaper to hash again when asked than to keep (a store entry takes a
// disk block), and so is one whose entry went missing.
import { closeSync } from 'node:fs'
import { BlockStore, type BlockList } from '../blocks/block-store'
import type { InsideFolder } from './open-inside'
import { hashFile, hashPrefix } from './hash'

/** Files of fewer blocks than this (their list under one 4 KiB disk block) are hashed when asked. */
export const STORED_MIN_BLOCKS = 128
/** Lists asked for lately, kept in memory: a peer pulling a file asks for its blocks run by run. */
const RECENT_LISTS = 32

export interface IndexedVersion {
  path: string
  version: Buffer
  size: number
  /** A snapshot's file may have grown since: its list is of its first `size` bytes. */
  snapshot?: boolean
}

export class IndexBlockLists {
  private readonly store: BlockStore
  /** By version (hex), oldest first. */
  private readonly recent = new Map<string, BlockList>()

  constructor(
    readonly dir: string,
    private readonly inside: InsideFolder,
    private readonly problem: (message: string) => void,
    /** A list kept on disk: told, for other pulls to take blocks of the file (mirror/local-blocks.ts). */
    private readonly kept?: (file: IndexedVersion, list: BlockList) => void,
  ) {
    this.store = new BlockStore(dir)
  }

  /** A file the index just hashed: its list is kept if it is big enough to be worth it; the list. */
  remember(file: IndexedVersion, blockSize: number, hashes: Buffer[]): BlockList {
    const list = { size: file.size, blockSize, hashes: hashes.length === 1 ? hashes[0]! : Buffer.concat(hashes) }
    // A file just hashed is the one peers are about to ask for: its list is at hand.
    if (hashes.length > 1) this.keepRecent(file.version.toString('hex'), list)
    if (hashes.length >= STORED_MIN_BLOCKS) {
      this.store.put(file.version, file.size, blockSize, list.hashes).then(
        () => this.kept?.(file, list),
        (error: Error) => this.problem(`keeping the block list of ${file.path}: ${error.message}`),
      )
    }
    return list
  }

  /**
   * The block list of `file` as indexed; 'changed' when the file on disk no longer is that
   * version (the caller has the index look at it again).
   */
  async listOf(file: IndexedVersion): Promise<BlockList | 'changed'> {
    const key = file.version.toString('hex')
    const known = this.recent.get(key)
    if (known) return known
    const list = await this.read(file)
    if (list !== 'changed') this.keepRecent(key, list)
    return list
  }

  private keepRecent(key: string, list: BlockList): void {
    this.recent.delete(key)
    this.recent.set(key, list)
    for (const old of this.recent.keys()) {
      if (this.recent.size <= RECENT_LISTS) break
      this.recent.delete(old)
    }
  }

  private async read(file: IndexedVersion): Promise<BlockList | 'changed'> {
    const kept = await this.store.get(file.version).catch(() => null)
    if (kept) return kept
    const fd = this.inside.openFile(file.path)
    let hashed
    try {
      hashed = file.snapshot ? await hashPrefix(fd, file.size) : await hashFile(fd, file.size)
    } finally {
      closeSync(fd)
    }
    if (!hashed || !hashed.version.equals(file.version)) return 'changed'
    return this.remember(file, hashed.blockSize, hashed.hashes)
  }

  /** Removes the lists of versions the index no longer has. */
  async prune(versions: Set<string>): Promise<void> {
    await this.store.prune((hex) => versions.has(hex)).catch((error: NodeJS.ErrnoException) => {
      // None kept yet (or the state folder went with a test's or the user's cleanup): nothing to tidy.
      if (error.code !== 'ENOENT') this.problem(`tidying the block lists: ${error.message}`)
    })
  }
}
