// A helper thread that hashes and writes large incoming files while the transfer worker keeps
// reading the socket. On one thread, hashing, the disk write and
// the socket take turns; on two, they overlap. Chunks cross by transfer, not by copy. The thread
// writes each file through direct-file.ts: past the page cache, in the background of its hashing.
//
// The transfer worker owns one HashWriter (its thread starts on the first large file it is
// given); each incoming file is a FileSink: write() its chunks in order, then finish() for the
// version and the mtime, or abort(). The memory of large frames goes round in a ChunkPool:
// decoder → thread → back to the decoder, so the kernel does not fault in fresh pages (and the
// garbage collector does not free them) for every megabyte received.
import { Worker, type MessagePort } from 'node:worker_threads'
import { MAX_FRAME_BYTES } from '../protocol/constants'
import { DirectFile } from './direct-file'
import { crash, loadBlockHash } from '../blocks/block-hash'
import { VersionHasher } from '../blocks/version-hasher'

/** workerData.role of a worker thread started as a hash writer. */
export const HASH_WRITER_ROLE = 'hash-writer'
/** Bytes a file may have in flight to the thread before the socket is paused. */
export const SINK_HIGH_WATER_BYTES = 16 * 1024 * 1024
/**
 * Frame bodies from this size on are pooled: the FILE_DATA chunks of large files (about 1 MiB),
 * which go to the thread and come back. FILE_LIST and FILES frames (at most about 330 KiB) are
 * read once and dropped; a zeroed 1 MiB chunk for each would cost more than it saves.
 */
export const POOLED_MIN_BYTES = 512 * 1024
/** Free chunks kept for reuse: a little more than one file's high-water mark. */
const POOL_KEEP = 24

/** Memory moving to the thread: `length` bytes from `offset` of `memory` (transferred). */
interface Moving {
  memory: ArrayBuffer
  offset: number
  length: number
}

type ToThread =
  | { op: 'open'; id: number; path: string; size: number }
  | ({ op: 'data'; id: number } & Moving)
  | { op: 'end'; id: number }
  | { op: 'abort'; id: number }

type FromThread =
  | { op: 'written'; id: number; bytes: number; memory: ArrayBuffer }
  | { op: 'done'; id: number; digest: string; mtimeMs: number; hashes: Uint8Array }
  | { op: 'failed'; id: number; message: string }

/** The thread's side: opens, hashes and writes each file it is sent, in the order sent. */
export function serveHashWriter(port: MessagePort): void {
  /**
   * Files being written. A failed one is dropped at once (and its failure reported): the chunks,
   * end or abort still on their way for it find nothing, and are answered as for a failed file.
   */
  const files = new Map<number, { file: DirectFile; hash: VersionHasher }>()
  const report = (id: number, error: unknown): void => {
    port.postMessage({ op: 'failed', id, message: String((error as Error).message ?? error) } satisfies FromThread)
  }
  // Hashing needs the block hash loaded in this thread; messages wait for it, in order.
  const ready = loadBlockHash()
  port.on('message', (message: ToThread) => ready.then(() => handle(message)).catch(crash))
  const handle = (message: ToThread): void => {
    const entry = files.get(message.id)
    switch (message.op) {
      case 'open': {
        const { id } = message
        // A write failed (the disk is full): the sender hears of it now, so the transfer is cut
        // instead of running to the end of the file. The file closes once nothing is in flight.
        const failedMidway = (error: Error): void => {
          const entry = files.get(id)
          if (!entry) return
          files.delete(id)
          // The write failure is what is reported; one from discarding the file adds nothing.
          entry.file.abort().catch(() => {})
          report(id, error)
        }
        try {
          files.set(id, { file: new DirectFile(message.path, message.size, failedMidway), hash: new VersionHasher(message.size) })
        } catch (error) {
          report(id, error)
        }
        return
      }
      case 'data': {
        const { memory } = message
        const done = (): void => port.postMessage({ op: 'written', id: message.id, bytes: message.length, memory } satisfies FromThread, [memory])
        if (!entry) return done()
        const chunk = new Uint8Array(memory, message.offset, message.length)
        try {
          entry.hash.update(chunk)
        } catch (error) {
          // More than the announced size: the receiver checks first, so this is a bug, said as one.
          files.delete(message.id)
          entry.file.abort().catch(() => {})
          report(message.id, error)
          return done()
        }
        entry.file.write(chunk, done)
        return
      }
      case 'end':
        files.delete(message.id)
        if (!entry) return
        entry.file.finish().then(
          (mtimeMs) => {
            let digest: string
            try {
              digest = entry.hash.digest().toString('hex')
            } catch (error) {
              return report(message.id, error)
            }
            // The block list too: other pulls may take blocks of this file (local-blocks.ts).
            const hashes = Buffer.concat(entry.hash.hashes)
            port.postMessage({ op: 'done', id: message.id, digest, mtimeMs, hashes } satisfies FromThread)
          },
          (error: unknown) => report(message.id, error),
        )
        return
      case 'abort': {
        files.delete(message.id)
        const aborted = (): void => port.postMessage({ op: 'failed', id: message.id, message: 'aborted' } satisfies FromThread)
        const discarded = entry ? entry.file.abort() : Promise.resolve()
        // Aborted either way: a failure to discard the partial file changes nothing for the sender.
        discarded.then(aborted, aborted)
        return
      }
    }
  }
}

/** Large frame bodies, recycled between the frame decoder and the hash-writer thread. */
export class ChunkPool {
  private readonly free: ArrayBuffer[] = []
  /** Memory handed out and not back yet: only this may be transferred without a copy. */
  private readonly lent = new WeakSet<ArrayBufferLike>()

  constructor(readonly chunkBytes = MAX_FRAME_BYTES) {}

  /** For FrameDecoder: pooled memory for a large body, fresh memory for a small one. */
  readonly allocate = (length: number): Buffer => {
    if (length < POOLED_MIN_BYTES || length > this.chunkBytes) return Buffer.allocUnsafe(length)
    return Buffer.from(this.take(), 0, length)
  }

  /** A chunk's worth of memory, lent until given back. */
  take(): ArrayBuffer {
    const memory = this.free.pop() ?? new ArrayBuffer(this.chunkBytes)
    this.lent.add(memory)
    return memory
  }

  /** Whether `chunk` lies in memory this pool lent: then it may move to the thread as it is. */
  lentFor(chunk: Uint8Array): boolean {
    return this.lent.has(chunk.buffer)
  }

  /** A frame's bytes are written: its memory serves the next frame, if this pool lent it. */
  readonly recycle = (chunk: Uint8Array): void => {
    if (this.lentFor(chunk)) this.give(chunk.buffer as ArrayBuffer)
  }

  give(memory: ArrayBuffer): void {
    if (this.free.length < POOL_KEEP && memory.byteLength === this.chunkBytes) this.free.push(memory)
  }
}

/** The transfer worker's side: the thread, started on first use, and the files it is writing. */
export class HashWriter {
  private thread: Worker | null = null
  private nextId = 1
  private readonly sinks = new Map<number, FileSink>()
  readonly pool = new ChunkPool()

  /** `script` starts this module's thread side when run with workerData.role = HASH_WRITER_ROLE. */
  constructor(private readonly script: URL) {}

  /** Starts the thread ahead of a large file, so its start-up overlaps the request. */
  warm(): void {
    this.threadNow()
  }

  /** Opens (creates or truncates) `path` for an incoming file of `size` bytes. */
  open(path: string, size: number): FileSink {
    const id = this.nextId++
    const sink = new FileSink(id, this.pool, (message, transfer) => this.threadNow().postMessage(message, transfer), () => this.sinks.delete(id))
    this.sinks.set(id, sink)
    this.threadNow().postMessage({ op: 'open', id, path, size } satisfies ToThread)
    return sink
  }

  private threadNow(): Worker {
    if (this.thread) return this.thread
    const thread = new Worker(this.script, { workerData: { role: HASH_WRITER_ROLE } })
    thread.on('message', (message: FromThread) => {
      if (message.op === 'written') this.pool.give(message.memory)
      this.sinks.get(message.id)?.hear(message)
    })
    const lost = (why: string): void => {
      if (this.thread !== thread) return
      this.thread = null
      // Every file it held is lost with it; the next large file starts a new thread.
      for (const sink of [...this.sinks.values()]) sink.hear({ op: 'failed', id: 0, message: why })
    }
    thread.on('error', (error) => lost(`the hash-writer thread failed: ${error.message}`))
    thread.on('exit', (code) => lost(`the hash-writer thread exited (${code})`))
    // It serves the transfer worker; it must not keep that thread alive on its own.
    thread.unref()
    this.thread = thread
    return thread
  }
}

type Post = (message: ToThread, transfer?: ArrayBuffer[]) => void

export interface SinkResult {
  digest: string
  mtimeMs: number
  /** The file's block hashes, count × 32 bytes. */
  hashes: Buffer
}

export class FileSink {
  /** Bytes handed to the thread and not yet written. */
  pending = 0
  private failure: string | null = null
  private drained: (() => void) | null = null
  private settle: { resolve(result: SinkResult): void; reject(error: Error): void } | null = null
  private result: SinkResult | null = null

  constructor(
    private readonly id: number,
    private readonly pool: ChunkPool,
    private readonly post: Post,
    private readonly release: () => void,
  ) {}

  /**
   * Hands a chunk over. A chunk in memory the pool lent (a large frame the decoder put there)
   * moves to the thread without a copy and is unusable here afterwards; any other is copied
   * once, into pooled memory.
   */
  write(chunk: Buffer): void {
    if (this.failure || chunk.length === 0) return
    for (let at = 0; at < chunk.length; ) {
      let moving: Moving
      if (at === 0 && this.pool.lentFor(chunk)) {
        moving = { memory: chunk.buffer as ArrayBuffer, offset: chunk.byteOffset, length: chunk.length }
      } else {
        const memory = this.pool.take()
        const length = Math.min(memory.byteLength, chunk.length - at)
        new Uint8Array(memory).set(chunk.subarray(at, at + length))
        moving = { memory, offset: 0, length }
      }
      at += moving.length
      this.pending += moving.length
      this.post({ op: 'data', id: this.id, ...moving }, [moving.memory])
    }
  }

  /** Why the file could not be written, once the thread has said so; null while it is fine. */
  get failed(): string | null {
    return this.failure
  }

  /** True while the thread is far enough behind that the caller should stop reading. */
  get full(): boolean {
    return this.pending >= SINK_HIGH_WATER_BYTES
  }

  /** Calls `fn` once the thread has caught up to half the high-water mark (or failed). */
  onDrained(fn: () => void): void {
    this.drained = fn
    this.checkDrained()
  }

  /** Every chunk is written: the version (hex) of all of them, the file's mtime and block hashes. */
  finish(): Promise<SinkResult> {
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject }
      if (this.failure) return this.settleNow()
      this.post({ op: 'end', id: this.id })
    })
  }

  /** Stops writing and closes the file; the caller removes it. */
  abort(): Promise<void> {
    if (this.failure) return Promise.resolve()
    return new Promise((resolve) => {
      this.settle = { resolve: () => resolve(), reject: () => resolve() }
      this.post({ op: 'abort', id: this.id })
    })
  }

  /** A message from the thread about this file. */
  hear(message: FromThread): void {
    if (message.op === 'written') {
      this.pending -= message.bytes
      return this.checkDrained()
    }
    if (message.op === 'done') this.result = { digest: message.digest, mtimeMs: message.mtimeMs, hashes: Buffer.from(message.hashes.buffer, message.hashes.byteOffset, message.hashes.byteLength) }
    else this.failure ??= message.message
    this.release()
    this.checkDrained()
    this.settleNow()
  }

  private checkDrained(): void {
    if (!this.drained || (this.pending > SINK_HIGH_WATER_BYTES / 2 && !this.failure && !this.result)) return
    const fn = this.drained
    this.drained = null
    fn()
  }

  private settleNow(): void {
    if (!this.settle) return
    const { resolve, reject } = this.settle
    this.settle = null
    if (this.result) resolve(this.result)
    else reject(new Error(this.failure ?? 'the file was not finished'))
  }
}
