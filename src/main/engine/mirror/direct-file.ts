// How the hash-writer thread puts a large incoming file on disk: gathered into page-aligned
// blocks and written with O_DIRECT, past the page cache, two blocks in flight while the next
// fills.
//
// Why: a buffered write makes the kernel find a fresh page-cache page for every 4 KiB received.
// On these VMs a page the guest has not touched lately costs about 2 s of CPU per GiB to fault
// in (on any machine, buffered writes cost some CPU and push the user's own files out of the
// cache to hold a mirror nobody is reading). O_DIRECT hands each block to the disk instead:
// about 0.05 s of CPU per GiB, and the write overlaps the hashing. The trade: the time counted
// for a file now includes getting it to the disk, which on a slow disk is longer than filling
// the cache would have been.
//
// O_DIRECT wants the memory, the file offset and the length aligned to the device's block size.
// WebAssembly memory is the one page-aligned memory JavaScript can ask for, so the blocks live
// in one. Blocks are whole pages; the last, partial one goes through a second, buffered
// descriptor of the same file. A filesystem that refuses O_DIRECT (tmpfs on older kernels,
// some network and FUSE filesystems), at open or at the first write, gets buffered writes.
import { closeSync, constants, fstatSync, openSync, write, writeSync } from 'node:fs'

/** The alignment O_DIRECT asks of memory, file offsets and lengths (the largest device block). */
const PAGE_BYTES = 4096
/** Bytes per block: whole pages (and 64 KiB WebAssembly pages). */
export const DIRECT_BLOCK_BYTES = 4 * 1024 * 1024
/** Blocks in the thread's pool: two on their way to the disk while a third fills. */
const BLOCKS = 3
const WASM_PAGE_BYTES = 64 * 1024

/** Whether this platform has O_DIRECT at all (Linux does; macOS and Windows do not). */
const O_DIRECT: number | undefined = (constants as { O_DIRECT?: number }).O_DIRECT

/** The part of the WebAssembly API used here (Node 20's types do not declare its values). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (size: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly

/** The thread's blocks, made on first use and shared by the files it writes at once. */
class BlockPool {
  private free: Uint8Array[] | null = null
  private readonly waiting: Array<() => void> = []

  take(): Uint8Array | null {
    if (!this.free) {
      const memory = new Memory({ initial: (BLOCKS * DIRECT_BLOCK_BYTES) / WASM_PAGE_BYTES })
      this.free = Array.from({ length: BLOCKS }, (_, i) => new Uint8Array(memory.buffer, i * DIRECT_BLOCK_BYTES, DIRECT_BLOCK_BYTES))
    }
    return this.free.pop() ?? null
  }

  give(block: Uint8Array): void {
    this.free!.push(block)
    // Each waiter takes a block or waits again; one that has closed since takes none.
    for (const fn of this.waiting.splice(0)) fn()
  }

  /** `fn` runs once a block is given back. */
  whenFree(fn: () => void): void {
    this.waiting.push(fn)
  }
}

const blocks = new BlockPool()

interface Queued {
  chunk: Uint8Array
  /** The chunk's memory may be reused: it is copied into a block (or written). */
  done(): void
}

/**
 * One file being written. write() takes chunks in order; each one's `done` runs once its memory
 * may be reused. finish() resolves once every byte is on its way to the disk, and the file is
 * closed; abort() closes it as soon as nothing is in flight. The first error fails the file:
 * later chunks are dropped (their `done` still runs), and finish() rejects with it.
 */
export class DirectFile {
  /** The descriptor for the partial last block, and for everything when O_DIRECT is refused. */
  private readonly buffered: number
  private direct: number | null = null
  /**
   * False once the filesystem refused an O_DIRECT write: the rest goes buffered. Its descriptor
   * is closed with the file, when nothing can be in flight on it any more (a number closed early
   * may be reused by the next open, and a write still queued would land in that file).
   */
  private directUsable = false
  private readonly queue: Queued[] = []
  private block: Uint8Array | null = null
  private filled = 0
  /** The file offset where `block` goes. */
  private blockAt = 0
  private inFlight = 0
  private failure: Error | null = null
  private closed = false
  private whenIdle: (() => void) | null = null

  /**
   * Creates or truncates `path`. Files smaller than one block are simply written. `onFailure`
   * hears of the first failed write as it happens (finish() would tell only at the end).
   */
  constructor(
    path: string,
    size: number,
    private readonly onFailure?: (error: Error) => void,
  ) {
    this.buffered = openSync(path, 'w')
    if (O_DIRECT === undefined || size < DIRECT_BLOCK_BYTES) return
    try {
      this.direct = openSync(path, constants.O_WRONLY | O_DIRECT)
      this.directUsable = true
    } catch {
      // Refused by this filesystem: buffered it is.
    }
  }

  /** How the full blocks are going to the disk (the last, partial one is always buffered). */
  get mode(): 'direct' | 'buffered' {
    return this.directUsable ? 'direct' : 'buffered'
  }

  write(chunk: Uint8Array, done: () => void): void {
    if (this.failure || this.closed) return done()
    // Straight through only with nothing queued before it: bytes go to the file in order.
    if (!this.directUsable && !this.block && this.queue.length === 0) return this.writeBuffered(chunk, done)
    this.queue.push({ chunk, done })
    this.pump()
  }

  /** Writes what is left, closes the file and gives its mtime. */
  async finish(): Promise<number> {
    await this.idle()
    if (!this.failure && this.block) this.failure = writeQuietly(this.buffered, this.block.subarray(0, this.filled), this.blockAt)
    let mtimeMs = 0
    if (!this.failure) {
      try {
        mtimeMs = fstatSync(this.buffered).mtimeMs
      } catch (error) {
        this.failure = error as Error
      }
    }
    this.close()
    if (this.failure) throw this.failure
    return mtimeMs
  }

  async abort(): Promise<void> {
    this.failure ??= new Error('aborted')
    this.dropQueue()
    await this.idle()
    this.close()
  }

  private writeBuffered(chunk: Uint8Array, done: () => void): void {
    const error = writeQuietly(this.buffered, chunk, this.blockAt)
    if (error) this.fail(error)
    else this.blockAt += chunk.length
    done()
  }

  /** Copies queued chunks into blocks, sending each full block to the disk. */
  private pump(): void {
    while (this.queue.length && !this.failure) {
      if (!this.block) {
        // A block starts on a page of the file: the bytes before one (after a spill) go buffered.
        const toPage = (PAGE_BYTES - (this.blockAt % PAGE_BYTES)) % PAGE_BYTES
        if (toPage) {
          this.spill(toPage)
          continue
        }
        this.block = blocks.take()
        this.filled = 0
        if (!this.block) {
          // This file's own writes give a block back soon. Blocks other files hold half filled
          // may never come back (their peers may have stalled): then write past the blocks.
          if (this.inFlight > 0) return blocks.whenFree(() => this.pump())
          this.spill(Infinity)
          continue
        }
      }
      const next = this.queue[0]!
      const n = Math.min(next.chunk.length, this.block.length - this.filled)
      this.block.set(next.chunk.subarray(0, n), this.filled)
      this.filled += n
      this.consume(n)
      if (this.filled === this.block.length) this.send()
    }
    this.settleIdle()
  }

  /** Writes up to `max` bytes of the first queued chunk through the buffered descriptor. */
  private spill(max: number): void {
    const next = this.queue[0]!
    const n = Math.min(max, next.chunk.length)
    const error = writeQuietly(this.buffered, next.chunk.subarray(0, n), this.blockAt)
    if (error) return this.fail(error)
    this.blockAt += n
    this.consume(n)
  }

  /** The first `n` bytes of the first queued chunk are taken care of. */
  private consume(n: number): void {
    const next = this.queue[0]!
    if (n < next.chunk.length) {
      next.chunk = next.chunk.subarray(n)
      return
    }
    this.queue.shift()
    next.done()
  }

  private send(): void {
    const block = this.block!
    const at = this.blockAt
    this.block = null
    this.blockAt += block.length
    this.inFlight++
    const landed = (error: Error | null): void => {
      this.inFlight--
      if (error) this.fail(error)
      blocks.give(block)
      this.settleIdle()
    }
    // `landed` runs once, outside any try: what it sets going (other files' pumps) may throw.
    if (!this.directUsable) return landed(writeQuietly(this.buffered, block, at))
    write(this.direct!, block, 0, block.length, at, (error, written) => {
      if (!error && written === block.length) return landed(null)
      // Accepted at open, refused at write (EINVAL): the rest goes through the buffered one.
      if (error?.code === 'EINVAL' || (!error && written < block.length)) {
        this.directUsable = false
        const from = error ? 0 : written
        return landed(writeQuietly(this.buffered, block.subarray(from), at + from))
      }
      landed(error)
    })
  }

  private fail(error: Error): void {
    if (!this.failure) {
      this.failure = error
      this.onFailure?.(error)
    }
    this.dropQueue()
  }

  private dropQueue(): void {
    for (const queued of this.queue.splice(0)) queued.done()
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.whenIdle = resolve
      this.settleIdle()
    })
  }

  private settleIdle(): void {
    if (!this.whenIdle || this.inFlight || this.queue.length) return
    const resolve = this.whenIdle
    this.whenIdle = null
    resolve()
  }

  /** Only once nothing is in flight: a closed descriptor's number may already be another file's. */
  private close(): void {
    if (this.closed) return
    this.closed = true
    if (this.block) blocks.give(this.block)
    this.block = null
    if (this.direct !== null) closeQuietly(this.direct)
    // Closed once only, even when close reports an error: the descriptor is released either way.
    try {
      closeSync(this.buffered)
    } catch (error) {
      this.failure ??= error as Error
    }
  }
}

/** writeAll, with the error returned instead of thrown. */
function writeQuietly(fd: number, data: Uint8Array, position: number): Error | null {
  try {
    writeAll(fd, data, position)
    return null
  } catch (error) {
    return error as Error
  }
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at, position + at)
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // Already closed: nothing more to release.
  }
}
