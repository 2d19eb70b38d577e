// The shared folder's indexed files as the folder server reads them for a peer: a path looked up
// only if it is shared, a file opened only if it is the indexed one inside the folder, and the
// checks that a version's bytes, once read, are still that version. GET_FILE, GET_FILES and the
// block answers all read through here.
import { closeSync, fstatSync, statSync, type Stats } from 'node:fs'
import { relativePathProblem } from '../../../shared/paths'
import type { BlockList } from '../blocks/block-store'
import type { VersionHasher } from '../blocks/version-hasher'
import type { FolderIndex, IndexedFile } from '../folder/folder-index'
import { hashPrefix } from '../folder/hash'
import type { Connection } from '../net/connection'
import type { TokenBucket } from '../net/token-bucket'
import { FILE_CHUNK_BYTES } from '../protocol/constants'
import type { BlockSenderHost } from './block-sender'

export const CHANGED_WHILE_READ = 'the file changed while being read; a new version follows'
/** Under an upload limit, a large file's chunk is at most this long a share of a second... */
const CHUNKS_PER_SECOND = 4
/** ...and at least this big, so a low limit costs no more frames than it must. */
const MIN_LIMITED_CHUNK_BYTES = 16 * 1024
export const SHRANK_WHILE_READ = 'the file shrank while being sent'

/**
 * Whether bytes read for a small file are the indexed version. Its stats were checked just
 * before the read, but a rewrite between that check and the read, or within one tick of the
 * file system's clock (same size, same mtime), passes them: sent under the indexed version, such
 * bytes would make an honest peer look like a liar.
 */
function sameAsIndexed(stats: Stats, file: IndexedFile): boolean {
  return stats.size === file.size && stats.mtimeMs === file.mtimeMs
}

/**
 * A snapshot's file grown since (still being written): its first `size` bytes are most likely the
 * snapshot (a log appended to), sent only as far as they hash to it.
 */
function stillGrowing(stats: Stats, file: IndexedFile): boolean {
  return file.snapshot === true && stats.size >= file.size
}

/** Chunk buffers kept for reuse once the socket has sent them: a few files' worth in flight. */
const CHUNKS_KEPT = 8

/**
 * Memory for the chunks of large files being sent, reused once the socket is done with each: a
 * fresh megabyte per read costs more to fault in and collect than reading into it does.
 */
class ChunkBuffers {
  private readonly free: Buffer[] = []

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES)
  }

  give(chunk: Buffer): void {
    if (this.free.length < CHUNKS_KEPT) this.free.push(chunk)
  }
}

export class SharedFiles implements BlockSenderHost {
  private readonly chunks = new ChunkBuffers()

  /** `upload`: the upload limit, which makes a large file's chunks smaller. */
  constructor(
    readonly index: FolderIndex,
    private readonly upload?: TokenBucket,
  ) {}

  /** Whether bytes just read from an indexed file are its version: compared with what the index hashed, or hashed. */
  holdsVersion(data: Buffer, file: IndexedFile): boolean {
    return this.index.served.holdsVersion(file.path, file.version, data)
  }

  /**
   * The bytes of a small file the index hashed a moment ago, while a look at its path finds the
   * very stats it had then: sent without opening it again. A racy file is read and checked (its
   * stats cannot vouch for it yet), as is any other.
   */
  keptBytes(file: IndexedFile): Buffer | null {
    if (this.index.missing || this.index.served.isRacy(file.path)) return null
    return this.index.served.keptBytes(file.path, file.version)
  }

  blockList(relPath: string): Promise<BlockList | 'changed' | null> {
    return this.index.served.blockList(relPath)
  }

  take(): Buffer {
    return this.chunks.take()
  }

  give(chunk: Buffer): void {
    this.chunks.give(chunk)
  }

  /**
   * How much of a large file one FILE_DATA carries: FILE_CHUNK_BYTES, or under an upload limit a
   * quarter second's worth, so a file under a low limit moves steadily rather than in bursts.
   */
  chunkBytes(): number {
    const rate = this.upload?.bytesPerSecond ?? 0
    if (rate === 0) return FILE_CHUNK_BYTES
    return Math.min(FILE_CHUNK_BYTES, Math.max(MIN_LIMITED_CHUNK_BYTES, Math.floor(rate / CHUNKS_PER_SECOND)))
  }

  /**
   * The indexed file a peer names, if the path is one we share. An ignored path is refused even
   * while the index, re-evaluating new rules, still holds it.
   */
  lookup(relPath: string): IndexedFile | undefined {
    if (relativePathProblem(relPath) || this.index.ignores(relPath)) return undefined
    return this.index.get(relPath)
  }

  /**
   * Opens an indexed file for sending: its descriptor, or why it cannot be sent. As open-inside.ts
   * opens: a link is not followed as its last name; non-blocking, so one swapped for a named pipe
   * does not stop this thread, and every peer with it (the fstat below then turns it down).
   */
  open(relPath: string, file: IndexedFile): number | string {
    if (this.index.missing) return 'the shared folder is not there for now; it is sent again when it is back'
    const inside = this.index.inside
    let fd: number
    try {
      fd = inside.open(relPath)
    } catch {
      return 'the file could not be opened; a new version follows'
    }
    let problem: string | null = null
    try {
      const stats = fstatSync(fd)
      // O_NOFOLLOW guards the last name only; a folder on the way swapped for a link must not
      // lead out either: the file actually opened has to lie inside the shared folder.
      if (!this.isIndexedInode(stats, file) && !inside.proves(fd, relPath)) problem = 'the path now leads outside the shared folder'
      else if (!stats.isFile() || !(sameAsIndexed(stats, file) || stillGrowing(stats, file))) {
        problem = 'the file changed since it was indexed; a new version follows'
      }
    } catch (error) {
      problem = `the file could not be read: ${(error as Error).message}`
    }
    if (problem === null) return fd
    closeSync(fd)
    return problem
  }

  private rootDevice: number | null = null

  /**
   * The cheap proof: the opened file is the very inode the index found inside the folder (same
   * device as the folder, same inode; its size and mtime are checked next, for every file).
   * Safe since the index hashes only descriptors proven inside (open-inside.ts), and a live
   * inode's number is no other file's on its device: at worst, that very file moved out since.
   * Anything else, such as a mount point inside the folder, gets the full proof of where it leads.
   */
  private isIndexedInode(stats: Stats, file: IndexedFile): boolean {
    this.rootDevice ??= statSync(this.index.root).dev
    return stats.dev === this.rootDevice && stats.ino === file.ino
  }

  /**
   * Whether a streamed file's bytes, all read, may not be the indexed version: rewritten in place
   * meanwhile (its mtime moved, its size did not grow), or, for a racy file, not hashing to it.
   * A file that grew is most likely appended to (a log), but a rewrite that left it longer looks
   * the same: unless hashed as read, its first `size` bytes are hashed again, and sent only if
   * they are still the version named. Null: send the last chunk.
   */
  async readProblem(fd: number, file: IndexedFile, hash: VersionHasher | null): Promise<'shrank' | 'rewritten' | null> {
    const after = fstatSync(fd)
    if (after.size < file.size) return 'shrank'
    const written = after.mtimeMs !== file.mtimeMs
    // A snapshot's bytes are hashed as read: that hash, not its stats, says what was sent.
    if (written && after.size === file.size && !file.snapshot) return 'rewritten'
    if (written) this.index.served.recheck(file.path)
    if (hash) return hash.digest().equals(file.version) ? null : 'rewritten'
    if (!written) return null
    const prefix = await hashPrefix(fd, file.size)
    return prefix?.version.equals(file.version) ? null : 'rewritten'
  }

  /** Whether a file's bytes must be hashed as read: a racy file, a snapshot of one still written. */
  statsCannotVouch(relPath: string, file: IndexedFile): boolean {
    return this.index.served.isRacy(relPath) || file.snapshot === true
  }

  changedWhileRead(connection: Connection, relPath: string): void {
    this.index.served.distrust(relPath)
    connection.send({ type: 'FILE_ABORT', path: relPath, reason: CHANGED_WHILE_READ })
  }

  abort(connection: Connection, relPath: string, reason: string): void {
    this.index.served.recheck(relPath)
    connection.send({ type: 'FILE_ABORT', path: relPath, reason })
  }
}
