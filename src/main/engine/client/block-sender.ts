// The folder server's answers to GET_BLOCK_LIST and GET_BLOCKS (docs/PROTOCOL.md §12.2, §12.8):
// a file's block list, and runs of its blocks. Each block's last frame is held back until the
// block is vouched for, so an honest server never sends a block under a version its bytes are not
// (a file rewritten meanwhile aborts instead, and is looked at again).
import { closeSync, fstatSync, read } from 'node:fs'
import { createBlockHasher } from '../blocks/block-hash'
import { blockCount, blockRange } from '../blocks/block-plan'
import { hashAt, hashesOf, type BlockList } from '../blocks/block-store'
import type { IndexedFile } from '../folder/folder-index'
import type { Connection } from '../net/connection'
import { blockListFrames } from '../protocol/block-list-frames'

export const NOT_THIS_VERSION = 'that version is not this file’s any more; a new version follows'
export const NO_SUCH_BLOCKS = 'the file has no such blocks'

/** What the sender needs of the shared files (shared-files.ts): lookups, opens, aborts and chunk memory. */
export interface BlockSenderHost {
  lookup(relPath: string): IndexedFile | undefined
  blockList(relPath: string): Promise<BlockList | 'changed' | null>
  /** The file opened for sending, or why it cannot be sent. */
  open(relPath: string, file: IndexedFile): number | string
  abort(connection: Connection, relPath: string, reason: string): void
  changedWhileRead(connection: Connection, relPath: string): void
  /** Whether the file's bytes must be hashed as read: a racy file, a snapshot (see shared-files.ts). */
  statsCannotVouch(relPath: string, file: IndexedFile): boolean
  /** Bytes one FILE_DATA may carry now (smaller under an upload limit). */
  chunkBytes(): number
  take(): Buffer
  give(chunk: Buffer): void
}

export class BlockSender {
  constructor(private readonly host: BlockSenderHost) {}

  async sendList(connection: Connection, relPath: string): Promise<void> {
    const file = this.host.lookup(relPath)
    if (!file) return void connection.send({ type: 'FILE_NOT_FOUND', path: relPath })
    const list = await this.listOf(connection, relPath, file)
    if (!list) return
    const hashes = hashesOf(list)
    for (const frame of blockListFrames(relPath, { version: file.version, size: list.size, blockSize: list.blockSize, hashes })) {
      if (connection.isClosed) return
      connection.send(frame)
      await connection.paced()
    }
  }

  async sendBlocks(connection: Connection, relPath: string, version: Buffer, first: number, count: number): Promise<void> {
    const file = this.host.lookup(relPath)
    if (!file) return void connection.send({ type: 'FILE_NOT_FOUND', path: relPath })
    if (!version.equals(file.version)) return void connection.send({ type: 'FILE_ABORT', path: relPath, reason: NOT_THIS_VERSION })
    // Asked of this entry now: once the list is read, the index may hold a newer one, whose stats
    // (the same, after a rewrite within the tick) would vouch for bytes that are not this version.
    const hash = this.host.statsCannotVouch(relPath, file)
    const list = await this.listOf(connection, relPath, file)
    if (!list) return
    if (first + count > blockCount(list.size, list.blockSize)) return void connection.send({ type: 'FILE_ABORT', path: relPath, reason: NO_SUCH_BLOCKS })
    const opened = this.host.open(relPath, file)
    if (typeof opened === 'string') return this.host.abort(connection, relPath, opened)
    try {
      connection.send({ type: 'BLOCKS', path: relPath, version, first, count })
      for (let index = first; index < first + count && !connection.isClosed; index++) {
        const sent = await this.sendBlock(connection, opened, file, list, index, hash)
        if (sent === 'short') return this.host.abort(connection, relPath, 'the file shrank while being sent')
        if (sent === 'changed') return this.host.changedWhileRead(connection, relPath)
      }
    } finally {
      closeSync(opened)
    }
  }

  /** The file's list, or null once the peer has been told why there is none. */
  private async listOf(connection: Connection, relPath: string, file: IndexedFile): Promise<BlockList | null> {
    let list: BlockList | 'changed' | null
    try {
      list = await this.host.blockList(relPath)
    } catch (error) {
      this.host.abort(connection, relPath, `the file could not be read: ${(error as Error).message}`)
      return null
    }
    if (list === null) connection.send({ type: 'FILE_NOT_FOUND', path: relPath })
    else if (list === 'changed' || list.size !== file.size) this.host.changedWhileRead(connection, relPath)
    else return list
    return null
  }

  /**
   * One block, in frames of at most chunkBytes(), the next read under way while one is sent. Its
   * last frame goes only once the block is vouched for: hashed right, where its stats cannot vouch
   * for it (a racy file, a snapshot of one still written), or else its size and mtime still those
   * indexed (as GET_FILE's last frame; the receiver checks every block's hash in any case).
   */
  private async sendBlock(connection: Connection, fd: number, file: IndexedFile, list: BlockList, index: number, hash: boolean): Promise<'sent' | 'short' | 'changed'> {
    const { offset, length } = blockRange(list.size, list.blockSize, index)
    const hasher = hash ? createBlockHasher() : null
    const chunkBytes = this.host.chunkBytes()
    const readFrom = (done: number): Promise<{ memory: Buffer; n: number; want: number }> => {
      const memory = this.host.take()
      const want = Math.min(chunkBytes, memory.length, length - done)
      return readAt(fd, memory, want, offset + done).then(
        (n) => ({ memory, n, want }),
        (error: unknown) => {
          this.host.give(memory)
          throw error
        },
      )
    }
    let next: Promise<{ memory: Buffer; n: number; want: number }> | null = readFrom(0)
    for (let done = 0; next; ) {
      const { memory, n, want } = await next
      next = null
      if (n < want) {
        this.host.give(memory)
        return 'short'
      }
      const chunk = memory.subarray(0, n)
      hasher?.update(chunk)
      done += n
      if (done < length) next = readFrom(done)
      else {
        const problem = hasher ? (hasher.digest().equals(hashAt(list, index)) ? null : 'changed') : statsProblem(fd, file)
        if (problem) {
          this.host.give(memory)
          return problem
        }
      }
      if (connection.isClosed) {
        this.host.give(memory)
        await next?.then(({ memory: m }) => this.host.give(m)).catch(() => {})
        return 'sent'
      }
      await connection.throttle(n)
      connection.sendFileData(chunk, () => this.host.give(memory))
      await connection.paced()
    }
    return 'sent'
  }
}

/** Whether the file open at `fd` is no longer as indexed: shorter, or written since. */
function statsProblem(fd: number, file: IndexedFile): 'short' | 'changed' | null {
  const now = fstatSync(fd)
  if (now.size < file.size) return 'short'
  return now.mtimeMs === file.mtimeMs ? null : 'changed'
}

function readAt(fd: number, into: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, 0, length, position, (error, n) => (error ? reject(error) : resolve(n))))
}
