// The index as the folder server (client/shared-files.ts) sees it: what it keeps of the versions
// it hashed for sending them (the bytes of small files, the block lists of big ones), whether
// bytes read are a version, whether a file's stats can vouch for it yet, and what the server tells
// it back when a read finds a file other than indexed.
import type { BlockList } from '../blocks/block-store'
import { versionOfBytes } from '../blocks/version-hasher'
import { IndexBlockLists, type IndexedVersion } from './block-lists'
import type { IndexedFile } from './file-hashing'
import type { InsideFolder } from './open-inside'
import { RecentBytes } from './recent-bytes'

export interface ServedVersionsHost {
  /** Every look and open inside the folder: none follows a link. */
  inside: InsideFolder
  /** The file indexed at `rel` now. */
  file(rel: string): IndexedFile | undefined
  /** Whether `rel` was hashed within the clock tick of its last write (racy-files.ts). */
  racy(rel: string): boolean
  /** Hashes `rel` again at its next look, even if its stats are as indexed (file-updates.ts). */
  distrust(rel: string): void
  /** A path to look at again: it joins the next batch. */
  lookAgain(rel: string): void
  /** A block list could not be kept or tidied. */
  problem: (message: string) => void
}

export class ServedVersions {
  /** The bytes of small files just hashed: sent while their files' stats are as hashed, else checked against. */
  readonly recent = new RecentBytes()
  /** The block lists of the indexed files, kept on disk by version for big ones (block-lists.ts). */
  readonly blockLists: IndexBlockLists

  /** `blockListsDir`: where the big files' lists are kept; `onKeptList`: told each list kept there. */
  constructor(
    private readonly host: ServedVersionsHost,
    blockListsDir: string,
    onKeptList?: (file: IndexedVersion, list: BlockList) => void,
  ) {
    this.blockLists = new IndexBlockLists(blockListsDir, host.inside, host.problem, onKeptList)
  }

  /**
   * The block list of the indexed file at `relPath` (see block-lists.ts); null when none is
   * indexed there; 'changed' when the file is no longer its indexed version (it is looked at again).
   */
  async blockList(relPath: string): Promise<BlockList | 'changed' | null> {
    const file = this.host.file(relPath)
    if (!file) return null
    const list = await this.blockLists.listOf(file)
    if (list === 'changed') this.recheck(relPath)
    return list
  }

  /**
   * The bytes of `version` hashed at `relPath` a moment ago, if a look at the path now (through no
   * link, as every look) finds the file's stats as they were then (recent-bytes.ts); else null.
   */
  keptBytes(relPath: string, version: Buffer): Buffer | null {
    return this.recent.bytesOf(relPath, version, () => {
      const now = this.host.inside.lstat(relPath)
      return typeof now === 'string' || !now.isFile() ? null : now
    })
  }

  /** Kept bytes handed out by keptBytes since the index was made (for tests). */
  get keptBytesHandedOut(): number {
    return this.recent.handedOut
  }

  /** Whether `data`, read from `relPath` just now, is `version` (recent-bytes.ts: compared, else hashed). */
  holdsVersion(relPath: string, version: Buffer, data: Buffer): boolean {
    return this.recent.holds(relPath, version, data, versionOfBytes)
  }

  /**
   * Whether `relPath` was hashed within the clock tick of its last write (racy-files.ts): a
   * rewrite of the same size then leaves its stats as indexed, so they prove nothing yet.
   */
  isRacy(relPath: string): boolean {
    return this.host.racy(relPath)
  }

  /** Re-checks these paths now (used when a read finds a file other than the index says). */
  recheck(relPath: string): void {
    this.host.lookAgain(relPath)
  }

  /**
   * Hashes `relPath` again even if its size, mtime and inode are as indexed: the server read
   * other bytes than the indexed version (rewritten between its check and its read, or within
   * one tick of the file system's clock, which leaves the mtime as it was).
   */
  distrust(relPath: string): void {
    this.host.distrust(relPath)
  }
}
