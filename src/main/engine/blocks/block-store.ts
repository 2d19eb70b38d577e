// Block lists kept on disk, named by the version they hash to (docs/ARCHITECTURE.md, block
// lists): a list is checked against its name each time it is loaded, so a torn, truncated or
// foreign file is a miss, never wrong hashes. Nothing is held in memory between calls.
//
// Layout: DIR/<first 2 hex>/<64 hex>, each file MAGIC · format · u64 size · u32 blockSize ·
// u32 count · count × 32 hash (big-endian). A file of one block needs no entry: its list is the
// hash of its content, read again at the cost of the block itself; callers store lists of more.
// Puts and gets hash: loadBlockHash() must have resolved in the calling thread.
import { constants } from 'node:fs'
import { lstat, lutimes, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { threadId } from 'node:worker_threads'
import { BLOCK_HASH_BYTES } from './block-hash'
import { blockCount, fileVersion } from './block-plan'
import { readFully } from '../util/read-fully'

export const STORE_MAGIC = Buffer.from('DBSB', 'ascii')
export const STORE_FORMAT = 1
/** MAGIC · format · u64 size · u32 blockSize · u32 count. */
export const STORE_HEADER_BYTES = STORE_MAGIC.length + 1 + 8 + 4 + 4

/** A temp file older than this belongs to a put that died: the next prune removes it. */
const STALE_PUT_MS = 60 * 60 * 1000
/** An entry touched this close to a prune's start is taken as in use (clocks round). */
const PRUNE_SLACK_MS = 2000
const PUT_PREFIX = '.put-'
const DROP_PREFIX = '.drop-'
const ENTRY = /^[0-9a-f]{64}$/
const SHARD = /^[0-9a-f]{2}$/

export interface BlockList {
  size: number
  blockSize: number
  /** count × 32 bytes, the blocks' hashes in order. */
  hashes: Buffer
}

export interface PruneResult {
  kept: number
  removed: number
}

let putCounter = 0

export class BlockStore {
  private pruning: Promise<PruneResult> = Promise.resolve({ kept: 0, removed: 0 })

  constructor(readonly dir: string) {}

  /** Where the list of `version` lives (present or not). */
  pathOf(version: Buffer | string): string {
    const hex = hexOf(version)
    return path.join(this.dir, hex.slice(0, 2), hex)
  }

  /**
   * Keeps the list of `version`; throws (RangeError) if it does not hash to that version. An entry
   * already there is not rewritten, only touched (a prune running meanwhile keeps it). Returns
   * whether it wrote. No fsync: after a crash an entry may be missing or torn, and get says absent.
   */
  async put(version: Buffer | string, size: number, blockSize: number, hashes: readonly Buffer[] | Buffer): Promise<boolean> {
    const hex = hexOf(version)
    const list = Buffer.isBuffer(hashes) ? hashes : Buffer.concat(hashes)
    if (!Number.isInteger(blockSize) || blockSize <= 0 || blockSize > 0xffffffff) throw new RangeError(`not a block size: ${blockSize}`)
    if (list.length % BLOCK_HASH_BYTES !== 0) throw new RangeError(`a block list is a multiple of ${BLOCK_HASH_BYTES} bytes, not ${list.length}`)
    const named = fileVersion(size, blockSize, splitHashes(list)).toString('hex')
    if (named !== hex) throw new RangeError(`this block list is version ${named}, not ${hex}`)

    const file = this.pathOf(hex)
    const now = new Date()
    try {
      await lutimes(file, now, now)
      return false
    } catch (error) {
      if (!isGone(error)) throw error
    }
    await mkdir(path.dirname(file), { recursive: true })
    const temp = path.join(path.dirname(file), `${PUT_PREFIX}${process.pid}-${threadId}-${++putCounter}`)
    try {
      await writeFile(temp, Buffer.concat([encodeHeader(size, blockSize, list.length / BLOCK_HASH_BYTES), list]), { flag: 'wx' })
      await rename(temp, file)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
    return true
  }

  /**
   * The list of `version`, or null when there is none that hashes to it: a bad entry is removed.
   * Throws only for I/O errors (EACCES, EIO), never for what a file holds.
   */
  async get(version: Buffer | string): Promise<BlockList | null> {
    const hex = hexOf(version)
    const file = this.pathOf(hex)
    let data: Buffer
    try {
      const read = await readEntry(file)
      if (read === null) return null
      data = read
    } catch (error) {
      if (!isBadContent(error)) throw error
      await rm(file, { recursive: true, force: true })
      return null
    }
    const list = decode(data, hex)
    if (list === null) await rm(file, { force: true })
    return list
  }

  /** The versions the store holds entries for (not checked: get does that), one shard at a time. */
  async *versions(): AsyncGenerator<string> {
    for (const shard of await readdir(this.dir).catch(() => [] as string[])) {
      if (!SHARD.test(shard)) continue
      for (const name of await readdir(path.join(this.dir, shard)).catch(() => [] as string[])) if (ENTRY.test(name) && name.startsWith(shard)) yield name
    }
  }

  async has(version: Buffer | string): Promise<boolean> {
    return (await this.get(version)) !== null
  }

  /**
   * Removes every entry `keep` does not name, one shard folder at a time (memory bounded by one
   * folder's names). An entry put or touched since the prune began stays, whatever `keep` says,
   * from any thread: each one to remove is first renamed aside and looked at again. Also removes
   * what dead puts and prunes left. Prunes of one store run one after another.
   */
  prune(keep: (versionHex: string) => boolean): Promise<PruneResult> {
    const next = this.pruning.catch(() => null).then(() => this.pruneNow(keep))
    this.pruning = next
    return next
  }

  private async pruneNow(keep: (versionHex: string) => boolean): Promise<PruneResult> {
    const startedAt = Date.now() - PRUNE_SLACK_MS
    const result: PruneResult = { kept: 0, removed: 0 }
    for (const shard of await readdir(this.dir).catch(() => [] as string[])) {
      const shardDir = path.join(this.dir, shard)
      if (!SHARD.test(shard)) continue
      for (const name of await readdir(shardDir).catch(() => [] as string[])) {
        const file = path.join(shardDir, name)
        if (ENTRY.test(name) && name.startsWith(shard)) {
          if (keep(name) || (await this.stillWanted(file, shardDir, name, startedAt))) result.kept++
          else result.removed++
        } else if (name.startsWith(PUT_PREFIX)) {
          const stats = await lstat(file).catch(() => null)
          if (stats && stats.mtimeMs < startedAt - STALE_PUT_MS) await rm(file, { force: true })
        } else {
          // A prune that died midway, or a name no put makes.
          await rm(file, { recursive: true, force: true })
        }
      }
    }
    return result
  }

  /** Moves the entry aside; puts it back if it was touched since `startedAt`, else removes it. */
  private async stillWanted(file: string, shardDir: string, name: string, startedAt: number): Promise<boolean> {
    const aside = path.join(shardDir, `${DROP_PREFIX}${name}`)
    try {
      await rename(file, aside)
    } catch (error) {
      if (isGone(error)) return false
      throw error
    }
    const stats = await lstat(aside)
    if (stats.isFile() && stats.mtimeMs >= startedAt) {
      await rename(aside, file)
      return true
    }
    await rm(aside, { recursive: true, force: true })
    return false
  }
}

function hexOf(version: Buffer | string): string {
  const hex = Buffer.isBuffer(version) ? version.toString('hex') : version
  if (!ENTRY.test(hex)) throw new RangeError(`a version is ${BLOCK_HASH_BYTES} bytes (${BLOCK_HASH_BYTES * 2} hex digits), not ${JSON.stringify(hex)}`)
  return hex
}

function splitHashes(list: Buffer): Buffer[] {
  return Array.from({ length: list.length / BLOCK_HASH_BYTES }, (_, i) => list.subarray(i * BLOCK_HASH_BYTES, (i + 1) * BLOCK_HASH_BYTES))
}

/** Block `index`'s hash in a list. */
export function hashAt(list: BlockList, index: number): Buffer {
  return list.hashes.subarray(index * BLOCK_HASH_BYTES, (index + 1) * BLOCK_HASH_BYTES)
}

/** A list's hashes, one per block, in order (views of the list). */
export function hashesOf(list: BlockList): Buffer[] {
  return splitHashes(list.hashes)
}

function encodeHeader(size: number, blockSize: number, count: number): Buffer {
  const header = Buffer.alloc(STORE_HEADER_BYTES)
  STORE_MAGIC.copy(header)
  let at = STORE_MAGIC.length
  header.writeUInt8(STORE_FORMAT, at)
  header.writeBigUInt64BE(BigInt(size), (at += 1))
  header.writeUInt32BE(blockSize, (at += 8))
  header.writeUInt32BE(count, at + 4)
  return header
}

/** The header's promise, or null: what the file must then be (a foreign file is not read whole). */
function readHeader(header: Buffer): { size: number; blockSize: number; count: number } | null {
  if (header.length < STORE_HEADER_BYTES || !header.subarray(0, STORE_MAGIC.length).equals(STORE_MAGIC)) return null
  let at = STORE_MAGIC.length
  if (header.readUInt8(at) !== STORE_FORMAT) return null
  const size = header.readBigUInt64BE((at += 1))
  const blockSize = header.readUInt32BE((at += 8))
  const count = header.readUInt32BE(at + 4)
  if (size > BigInt(Number.MAX_SAFE_INTEGER) || blockSize === 0) return null
  if (blockCount(Number(size), blockSize) !== count) return null
  return { size: Number(size), blockSize, count }
}

/** The entry's bytes if its length is what its header says; null when there is none. */
async function readEntry(file: string): Promise<Buffer | null> {
  let handle
  try {
    // Never through a link, nor stuck on a pipe: either is no entry.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if (isGone(error)) return null
    throw error
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw Object.assign(new Error(`${file} is not a file`), { code: 'EISDIR' })
    const header = Buffer.alloc(STORE_HEADER_BYTES)
    const { bytesRead } = await handle.read(header, 0, header.length, 0)
    const promised = readHeader(header.subarray(0, bytesRead))
    if (promised === null || stats.size !== STORE_HEADER_BYTES + promised.count * BLOCK_HASH_BYTES) return Buffer.alloc(0)
    const data = Buffer.alloc(stats.size)
    header.copy(data)
    const body = data.subarray(STORE_HEADER_BYTES)
    if ((await readFully(handle, body, STORE_HEADER_BYTES)) < body.length) return Buffer.alloc(0)
    return data
  } finally {
    await handle.close()
  }
}

/** The list in `data` if it is whole and hashes to `hex`. */
function decode(data: Buffer, hex: string): BlockList | null {
  const promised = readHeader(data)
  if (promised === null || data.length !== STORE_HEADER_BYTES + promised.count * BLOCK_HASH_BYTES) return null
  const hashes = data.subarray(STORE_HEADER_BYTES)
  if (fileVersion(promised.size, promised.blockSize, splitHashes(hashes)).toString('hex') !== hex) return null
  return { size: promised.size, blockSize: promised.blockSize, hashes }
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** What the path holds is no entry (a folder, a link loop): removed like a corrupt one. */
function isBadContent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EISDIR' || code === 'ELOOP'
}
