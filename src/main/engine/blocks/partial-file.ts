// A file pulled block by block, kept between tries so a cut transfer resumes (issue 20, resume).
// It grows in a temp file beside its final path, named for (path, version): a temp name, so the
// mirror guard never looks at it and it is never mirror content. Which blocks are verified is
// recorded in a trailer after the file's last byte (partial-record.ts), written every few MiB and
// on abandon, never synced: on open each recorded block is hashed again, so a record ahead of the
// data (a crash) only costs that block. finish() cuts the trailer off and hands the file over for
// the rename. A trailer, not a second file, so the record cannot be separated from its data
// (swept, renamed by hand) and finish drops it with the same truncate that sets the size.
// It hashes (the list, recorded blocks): loadBlockHash() must have resolved in the calling thread.
import { constants, statSync } from 'node:fs'
import { lstat, open, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { identityOf } from '../folder/folder-identity'
import { InsideFolder } from '../folder/open-inside'
import { MirrorWriter, pathInMirror } from '../mirror/mirror-path'
import { clearWay } from '../mirror/mirror-way'
import { readFully } from '../util/read-fully'
import { writeAt } from '../util/write-fully'
import { PeerSessionError } from '../mirror/peer-session'
import { BLOCK_HASH_BYTES, blockHash } from './block-hash'
import { blockCount, blockRange, fileVersion } from './block-plan'
import { hashAt, hashesOf, type BlockList } from './block-store'
import { partialBeside } from './partial-names'
import { decodeRecord, encodeRecord, recordBytes, VerifiedBlocks } from './partial-record'

/** A partial removed by hand while it was written is copied back in pieces of this size. */
const RESTORE_CHUNK_BYTES = 1024 * 1024

/** The record is written once this many bytes more are verified (and on abandon). */
export const RECORD_EVERY_BYTES = 4 * 1024 * 1024

export interface PartialFileOptions {
  /** Shared with other writes into the mirror: its record of folders made and checked. */
  writer?: MirrorWriter
}

export class PartialFile {
  /** The final path; the partial lies beside it. */
  readonly target: string
  /** The partial's path (the caller renames it onto `target` after finish). */
  readonly path: string
  private readonly count: number
  private readonly verified: VerifiedBlocks
  private handle: FileHandle | null = null
  private state: 'new' | 'open' | 'finished' | 'closed' = 'new'
  private unrecordedBytes = 0
  private recording: Promise<void> = Promise.resolve()

  /** Throws (RangeError) when `list` is not the block list of `version`, and (bad-path) for a path outside the mirror. */
  constructor(
    readonly folder: string,
    readonly rel: string,
    readonly version: Buffer,
    readonly list: BlockList,
    private readonly options: PartialFileOptions = {},
  ) {
    const where = pathInMirror(folder, rel)
    if ('problem' in where) throw new PeerSessionError('bad-path', `${JSON.stringify(rel)}: ${where.problem}`, false)
    this.count = blockCount(list.size, list.blockSize)
    if (list.hashes.length !== this.count * BLOCK_HASH_BYTES) throw new RangeError(`a file of ${list.size} bytes in blocks of ${list.blockSize} has ${this.count} block hashes, not ${list.hashes.length / BLOCK_HASH_BYTES}`)
    const named = fileVersion(list.size, list.blockSize, hashesOf(this.list))
    if (!named.equals(version)) throw new RangeError(`this block list is version ${named.toString('hex')}, not ${version.toString('hex')}`)
    this.target = where.path
    this.path = partialBeside(where.path, rel, version)
    this.verified = new VerifiedBlocks(this.count)
  }

  /**
   * Opens (or makes) the partial and says which blocks it already holds: those its record names
   * whose bytes still hash right. Without a record of its own (a whole-file transfer cut short and
   * kept, a record lost), every whole block the file holds is hashed, and those that match are
   * kept. Makes the folders on the way; never writes through a link.
   */
  async open(): Promise<number[]> {
    if (this.state !== 'new') throw new Error(`the partial of ${this.rel} is already open`)
    const handle = await this.openInside()
    this.handle = handle
    this.state = 'open'
    try {
      const claimed = (await this.readRecord(handle)) ?? (await this.wholeBlocks(handle))
      await this.recheck(handle, claimed)
      // Written now: drops claims that failed, and makes the partial young again.
      await this.writeRecord()
    } catch (error) {
      this.state = 'closed'
      this.handle = null
      await handle.close().catch(() => {})
      throw error
    }
    return this.verified.indexes()
  }

  get blocks(): number {
    return this.count
  }

  get verifiedCount(): number {
    return this.verified.size
  }

  isVerified(index: number): boolean {
    return this.verified.has(index)
  }

  /** The blocks still to get, in order. */
  missing(): number[] {
    return this.verified.missing()
  }

  /** Writes block `index` (bytes the caller verified against its hash, whole or in pieces) at its offset. */
  async writeBlock(index: number, bytes: Uint8Array | Uint8Array[]): Promise<void> {
    const handle = this.opened()
    const { offset, length } = this.range(index)
    const pieces = Array.isArray(bytes) ? bytes : [bytes]
    const total = pieces.reduce((n, piece) => n + piece.length, 0)
    if (total !== length) throw new RangeError(`block ${index} of ${this.rel} is ${length} bytes, not ${total}`)
    await writeAt(handle, pieces, offset)
  }

  /** Records block `index` as verified; the record reaches the disk every RECORD_EVERY_BYTES. */
  async markVerified(index: number): Promise<void> {
    this.opened()
    const { length } = this.range(index)
    if (!this.verified.add(index)) return
    this.unrecordedBytes += length
    if (this.unrecordedBytes >= RECORD_EVERY_BYTES) await this.writeRecord()
  }

  /**
   * Takes block `index` from a local file (an old copy, another mirror) at `offset`, if its bytes
   * there hash right: written and marked. False when they do not, or the source is gone.
   */
  async copyBlockFrom(source: FileHandle | string, offset: number, index: number): Promise<boolean> {
    this.opened()
    const { length } = this.range(index)
    let from: FileHandle
    try {
      from = typeof source === 'string' ? await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK) : source
    } catch (error) {
      if (isGone(error)) return false
      throw error
    }
    try {
      const bytes = Buffer.allocUnsafe(length)
      if ((await readFully(from, bytes, offset)) !== length || !blockHash(bytes).equals(hashAt(this.list, index))) return false
      await this.writeBlock(index, bytes)
      await this.markVerified(index)
      return true
    } finally {
      if (typeof source === 'string') await from.close()
    }
  }

  /**
   * Once every block is verified: cuts the file to its exact size (the record goes with the
   * trailer), closes it and returns its path for the caller to rename into place.
   */
  async finish(): Promise<string> {
    let handle = this.opened()
    if (this.verified.size !== this.count) throw new Error(`${this.rel}: ${this.count - this.verified.size} of ${this.count} blocks are not verified yet`)
    await this.recording
    const named = await this.named(handle)
    // Another try of this version finished first: its file is in place, and this one is not ours to cut or rename.
    if (named === 'other') throw new PeerSessionError('partial-gone', `the partial of ${this.rel} was renamed away by another try of the same version`, true)
    // Removed by hand (its folder, or itself): the file still open here holds every verified block.
    if (named === 'gone') handle = await this.restore(handle)
    this.state = 'finished'
    this.handle = null
    try {
      await handle.truncate(this.list.size)
    } finally {
      await handle.close()
    }
    return this.path
  }

  /** Closes the partial and keeps it, with its record, for a later try. */
  async abandon(): Promise<void> {
    if (this.state !== 'open') return
    const handle = this.handle!
    try {
      await this.writeRecord()
    } finally {
      this.state = 'closed'
      this.handle = null
      await handle.close()
    }
  }

  /** Closes the partial and removes it (after finish too, if it was not renamed away). */
  async discard(): Promise<void> {
    const handle = this.handle
    this.state = 'closed'
    this.handle = null
    try {
      await handle?.close()
    } finally {
      await rm(this.path, { force: true })
    }
  }

  /**
   * Whether the partial's name still leads to the file `handle` has open ('ours'), to another or
   * the file is in place ('other'), or to nothing ('gone': removed by hand). Two tries of one
   * version can be under way at once (a job of a peer that left and came back, still running), and
   * share it: the first to finish renames it into place.
   */
  private async named(handle: FileHandle): Promise<'ours' | 'other' | 'gone'> {
    const [open, named] = await Promise.all([handle.stat(), lstat(this.path).catch(() => null)])
    const same = (other: { ino: number; dev: number } | null | undefined) => other?.ino === open.ino && other.dev === open.dev
    if (named !== null) return same(named) ? 'ours' : 'other'
    return same(await lstat(this.target).catch(() => null)) ? 'other' : 'gone'
  }

  /**
   * Writes the verified file `old` holds at the partial's name again, its folders made again, and
   * hands back the new file open. Not when the peer's whole mirror folder was removed: that is the
   * user's to make again.
   */
  private async restore(old: FileHandle): Promise<FileHandle> {
    if (!statSync(this.folder, { throwIfNoEntry: false })?.isDirectory()) {
      throw new PeerSessionError('folder-removed', `${this.folder} was removed while ${this.rel} was being written into it`, true)
    }
    const fresh = await this.openInside()
    try {
      const chunk = Buffer.allocUnsafe(Math.min(this.list.size, RESTORE_CHUNK_BYTES))
      for (let at = 0; at < this.list.size; at += chunk.length) {
        const length = Math.min(chunk.length, this.list.size - at)
        if ((await readFully(old, chunk.subarray(0, length), at)) !== length) throw new Error(`the partial of ${this.rel} ended before its ${this.list.size} bytes`)
        await fresh.write(chunk, 0, length, at)
      }
    } catch (error) {
      await fresh.close().catch(() => {})
      throw error
    }
    this.handle = fresh
    await old.close().catch(() => {})
    return fresh
  }

  private opened(): FileHandle {
    if (this.state !== 'open' || this.handle === null) throw new Error(`the partial of ${this.rel} is not open`)
    return this.handle
  }

  private range(index: number): { offset: number; length: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`${this.rel} has no block ${index} (it has ${this.count})`)
    return blockRange(this.list.size, this.list.blockSize, index)
  }

  /**
   * Opens the partial read-write, made if absent, proven to lie inside the mirror folder. A link,
   * folder or pipe at its name (none of ours) is removed and the open tried once more.
   */
  private async openInside(): Promise<FileHandle> {
    const writer = this.options.writer ?? new MirrorWriter()
    const rel = path.relative(this.folder, this.path)
    for (let attempt = 0; attempt < 2; attempt++) {
      writer.prepare(this.target, this.folder)
      const identity = identityOf(statSync(this.folder))
      const inside = new InsideFolder(this.folder, () => identity)
      let handle: FileHandle | null = null
      try {
        handle = await open(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (attempt > 0 || (code !== 'ELOOP' && code !== 'EISDIR')) throw error
      }
      if (handle) {
        if ((await handle.stat()).isFile() && inside.proves(handle.fd, rel)) return handle
        await handle.close()
        writer.forget(this.target)
      }
      // Not ours at the name, or a link on the way: removed (never followed), then once more.
      if (clearWay(this.path, this.folder)) await rm(this.path, { recursive: true, force: true })
    }
    throw new PeerSessionError('bad-path', `${this.path} would not stay inside the mirror ${this.folder}`, false)
  }

  /** The blocks the trailer claims, or null when there is no trailer of this version. */
  private async readRecord(handle: FileHandle): Promise<number[] | null> {
    const length = recordBytes(this.count)
    if ((await handle.stat()).size !== this.list.size + length) return null
    const record = Buffer.alloc(length)
    if ((await readFully(handle, record, this.list.size)) !== length) return null
    return decodeRecord(record, this.version, this.count)
  }

  /** The blocks lying whole in the file as it is (cut to the version's size first). */
  private async wholeBlocks(handle: FileHandle): Promise<number[]> {
    let length = (await handle.stat()).size
    if (length > this.list.size) await handle.truncate((length = this.list.size))
    const whole: number[] = []
    for (let i = 0; i < this.count; i++) {
      const { offset, length: bytes } = this.range(i)
      if (offset + bytes > length) break
      whole.push(i)
    }
    return whole
  }

  /** Hashes each claimed block again; only those that match count as verified. */
  private async recheck(handle: FileHandle, claimed: number[]): Promise<void> {
    const buffer = Buffer.allocUnsafe(Math.min(this.list.blockSize, this.list.size))
    for (const index of claimed) {
      const { offset, length } = this.range(index)
      const bytes = buffer.subarray(0, length)
      if ((await readFully(handle, bytes, offset)) !== length || !blockHash(bytes).equals(hashAt(this.list, index))) continue
      this.verified.add(index)
    }
  }

  /** Writes the record as it is now; writes queue, so a later one never lands first. */
  private writeRecord(): Promise<void> {
    const next = this.recording.then(async () => {
      const handle = this.opened()
      // Renamed into place by another try of the same version: a record there would be bytes past the file's end.
      if ((await this.named(handle)) !== 'ours') return
      const record = encodeRecord(this.version, this.verified)
      this.unrecordedBytes = 0
      let done = 0
      while (done < record.length) done += (await handle.write(record, done, record.length - done, this.list.size + done)).bytesWritten
    })
    this.recording = next.catch(() => {})
    return next
  }
}

/**
 * Opens the partial of `rel` at `version` that its owner made, for another thread to write
 * verified blocks into: never made here, never through a link, proven inside the mirror folder.
 */
export async function openPartialForBlocks(folder: string, rel: string, version: Buffer): Promise<FileHandle> {
  const where = pathInMirror(folder, rel)
  if ('problem' in where) throw new PeerSessionError('bad-path', `${JSON.stringify(rel)}: ${where.problem}`, false)
  const partial = partialBeside(where.path, rel, version)
  const identity = identityOf(statSync(folder))
  const handle = await open(partial, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    if ((await handle.stat()).isFile() && new InsideFolder(folder, () => identity).proves(handle.fd, path.relative(folder, partial))) return handle
  } catch (error) {
    await handle.close()
    throw error
  }
  await handle.close()
  throw new PeerSessionError('bad-path', `${partial} would not stay inside the mirror ${folder}`, false)
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP'
}
