// Brings one file into a mirror: from bytes already on disk (a rename or copy) or over the
// peer's connection; a large one by blocks when blocks of it are on disk (its old copy, a
// partial, other local files holding enough of it), else whole. Every byte goes to a temp file
// beside the mirrors, is checked against the announced size and version, and only then renamed
// into place: a cut transfer or a lying peer leaves nothing at the final path. No fsync per
// file: a mirror can always be fetched again.
//
// Small files (most of a typical folder) are gathered in memory and written with synchronous
// calls: this runs in a worker thread, where a few microseconds of blocking beat a trip through
// the thread pool for each of open, write, close and rename. Larger files are hashed and written
// by a helper thread (hash-writer.ts) while this one keeps reading the socket.
import { open } from 'node:fs/promises'
import { closeSync, constants, createWriteStream, existsSync, fstatSync, lstatSync, openSync, rmSync, writeSync, type WriteStream } from 'node:fs'
import type { FileSink, HashWriter } from './hash-writer'
import type { FileJob, JobResult } from './jobs'
import { MirrorWriter, pathInMirror } from './mirror-path'
import { PeerSessionError, type PeerSession } from './peer-session'
import { couldNotWrite, placingFailure, WRITE_FAILED } from './write-failure'
import { VersionHasher } from '../blocks/version-hasher'
import { fetchList, pullByBlocks, type KnownList, type PullHooks } from './block-puller'
import type { SpreadRuns } from './spread-runs'
import { partialBeside, removeOtherPartials } from '../blocks/partial-names'
import { blockCount, blockSizeFor } from '../blocks/block-plan'
import { BLOCK_HASH_BYTES } from '../blocks/block-hash'
import { LOCAL_LIST_MIN_BLOCKS, matchedBytes, matchLocal, NO_MATCHES } from './local-takes'
import type { LocalSource } from './jobs'

const PROGRESS_EVERY_MS = 100
/** Files up to this size are gathered in memory; larger ones go to the hash writer. */
export const SMALL_FILE_BYTES = 1024 * 1024
/** Files from this size on get transfer-started / transfer-progress events. */
export const REPORTED_FILE_BYTES = 256 * 1024

export interface ReceiverHooks {
  started(total: number, version: string): void
  progress(bytes: number, total: number): void
  /** Other local files that may hold some of these blocks (count × 32 bytes of hashes): local-blocks.ts. */
  findLocal?(blockSize: number, hashes: Buffer): Promise<LocalSource[]>
}

/**
 * Whether a file the mirror holds nothing of goes by blocks: when other local files hold at
 * least a quarter of it. Bytes fetched cost more by blocks than whole (the hash writer's path),
 * so a few shared blocks are not worth it.
 */
export function worthPullingByBlocks(localBytes: number, size: number): boolean {
  return size > 0 && localBytes * 4 >= size
}

type Done = Extract<JobResult, { kind: 'file'; ok: true }>

export class FileReceiver {
  /** Shared with the batch receiver: one record of the folders already made and checked. */
  readonly writer = new MirrorWriter()

  /** `spreading`: a big file's missing runs go to every worker (absent: on this job's connection). */
  constructor(
    private readonly hashWriter: HashWriter,
    private readonly spreading?: { spread: SpreadRuns; workers: number },
  ) {}

  /** Where a peer's path lands; throws unless it is inside that peer's mirror folder. */
  finalPath(job: FileJob): string {
    const where = pathInMirror(job.peer.folder, job.path)
    if ('problem' in where) throw new PeerSessionError('bad-path', `${job.peer.key} offered ${JSON.stringify(job.path)}: ${where.problem}`, false)
    return where.path
  }

  async receive(job: FileJob, session: () => Promise<PeerSession>, hooks: ReceiverHooks): Promise<JobResult> {
    const target = this.finalPath(job)
    if (job.size > SMALL_FILE_BYTES && !job.reuseFrom) this.hashWriter.warm()
    if (job.reuseFrom) {
      const reused = await this.copyLocal(job, target).catch(() => null)
      if (reused) return reused
      // Moved away since the job was made: the main thread knows where it went (the recycler).
      if (!existsSync(job.reuseFrom)) return { kind: 'file', ok: false, outcome: 'source-gone' }
    }
    if (job.size > SMALL_FILE_BYTES && holdsBlocks(job, target)) return this.pull(job, target, await session(), hooks)
    // Nothing of it here: a big one whose blocks other local files hold still goes by blocks.
    if (job.localBlocks && hooks.findLocal && blockCount(job.size) >= LOCAL_LIST_MIN_BLOCKS) {
      const peer = await session()
      const known = await this.lookLocally(job, peer, hooks.findLocal)
      if (known && 'kind' in known) return known
      if (known) return this.pull(job, target, peer, hooks, known)
      return this.fetch(job, target, peer, hooks)
    }
    return this.fetch(job, target, await session(), hooks)
  }

  /** The peer's list and where local files hold its blocks, if they hold enough to pull by blocks. */
  private async lookLocally(job: FileJob, session: PeerSession, findLocal: NonNullable<ReceiverHooks['findLocal']>): Promise<KnownList | Extract<JobResult, { ok: false }> | null> {
    const list = await fetchList(job, session)
    if ('kind' in list) return list
    const hashes = Buffer.concat(list.hashes)
    const sources = await findLocal(list.blockSize, hashes)
    const matches = sources.length > 0 ? await matchLocal({ size: list.size, blockSize: list.blockSize, hashes }, sources) : NO_MATCHES
    return worthPullingByBlocks(matchedBytes(list, matches), list.size) ? { list, matches } : null
  }

  /** A large file, by blocks: what the mirror holds already is not fetched again (block-puller.ts). */
  private async pull(job: FileJob, target: string, session: PeerSession, hooks: ReceiverHooks, known?: KnownList): Promise<JobResult> {
    const spreading = this.spreading
    const spread: Pick<PullHooks, 'spread' | 'workers'> = spreading
      ? { spread: (partial, list, runs, verified) => spreading.spread.fetch(job, partial, list, runs, verified), workers: spreading.workers }
      : {}
    const pulled = await pullByBlocks(job, target, session, this.writer, { ...hooks, recycle: this.hashWriter.pool.recycle, ...spread }, known)
    if ('kind' in pulled) return pulled
    try {
      this.writer.commit(pulled.temp, target, job.keepAs)
    } catch (error) {
      const failure = placingFailure({ peer: job.peer.key, path: job.path }, error)
      // Whole and verified, it is the partial of its version: if it is still there, the next try takes every block of it.
      if (failure.code === WRITE_FAILED) rmSync(pulled.temp, { force: true })
      throw failure
    }
    return withList(placed('fetched', pulled.version, pulled.size, target, pulled.transferred), pulled.blockSize, pulled.hashes)
  }

  private async copyLocal(job: FileJob, target: string): Promise<Done | null> {
    // Not through a link, nor stuck on a named pipe someone put in the mirror. Opened first: a
    // source gone (the other half of a rename) leaves nothing open behind.
    const source = await open(job.reuseFrom!, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    let temp: string | null = null
    let out: WriteStream | null = null
    try {
      temp = this.writer.prepare(target, job.peer.folder)
      out = createWriteStream(temp)
      const hash = new VersionHasher(job.size)
      for await (const chunk of source.createReadStream()) {
        // Longer than the version's size: not that version.
        if (hash.bytes + (chunk as Buffer).length > job.size) return null
        hash.update(chunk as Buffer)
        if (!out.write(chunk)) await new Promise<void>((resolve) => out!.once('drain', () => resolve()))
      }
      await closeStream(out)
      if (hash.bytes !== job.size || hash.digest().toString('hex') !== job.version) return null
      this.writer.commit(temp, target, job.keepAs)
      return withList(placed('reused', job.version, job.size, target, 0), hash.blockSize, hash.hashes)
    } finally {
      out?.destroy()
      await source.close().catch(() => {})
      if (temp) rmSync(temp, { force: true })
    }
  }

  private fetch(job: FileJob, target: string, session: PeerSession, hooks: ReceiverHooks): Promise<JobResult> {
    // Small files skip re-checking a known folder (one syscall per file); see writeSmall's retry.
    let temp = this.writer.prepare(target, job.peer.folder, job.size > SMALL_FILE_BYTES)
    // Small files are hashed here as they arrive (once their size is announced); a large one by
    // its sink's thread.
    let hash: VersionHasher | null = null
    const socket = session.connection.socket
    let announced: { version: string; size: number } | null = null
    let sink: FileSink | null = null
    const chunks: Buffer[] = []
    let received = 0
    let lastProgress = 0
    let early: JobResult | null = null
    /** FILE_ABORT is a complete (if disappointing) answer: the session stays in step. */
    let aborted: string | null = null

    const onReply = (reply: Parameters<Parameters<PeerSession['request']>[1]>[0]): boolean => {
      if (!announced) {
        if (reply.type === 'FILE_UP_TO_DATE' && reply.path === job.path) {
          early = placed('up-to-date', job.have!, job.size, target, 0)
          return true
        }
        if (reply.type === 'FILE_NOT_FOUND' && reply.path === job.path) {
          early = { kind: 'file', ok: false, outcome: 'not-found' }
          return true
        }
        if (reply.type === 'FILE_ABORT' && reply.path === job.path) {
          aborted = `${job.peer.key} could not send ${job.path}: ${reply.reason}`
          return true
        }
        if (reply.type !== 'FILE_SIZE' || reply.path !== job.path) throw session.unexpected(reply, `FILE_SIZE for ${job.path}`)
        announced = { version: reply.version.toString('hex'), size: reply.size }
        hash = new VersionHasher(reply.size)
        if (reply.size > SMALL_FILE_BYTES) {
          // Streamed to disk (its folder made sure of now: the list may have called it small), under
          // its version's partial name: if this process is killed, the next try resumes from it.
          this.writer.prepare(target, job.peer.folder)
          temp = partialBeside(target, job.path, reply.version)
          sink = this.hashWriter.open(temp, reply.size)
        }
        if (reply.size >= REPORTED_FILE_BYTES) hooks.started(reply.size, announced.version)
        return reply.size === 0
      }
      if (reply.type === 'FILE_ABORT' && reply.path === job.path) {
        aborted = `${job.peer.key} stopped sending ${job.path}: ${reply.reason}`
        return true
      }
      if (reply.type !== 'FILE_DATA') throw session.unexpected(reply, `FILE_DATA for ${job.path}`)
      received += reply.data.length
      if (received > announced.size) {
        throw new PeerSessionError('size-mismatch', `${job.peer.key} sent more than the ${announced.size} bytes it announced for ${job.path}`, false)
      }
      if (sink) {
        // It could not be written (the disk is full): cut the transfer now, not at its end.
        if (sink.failed) throw couldNotWrite({ peer: job.peer.key, path: job.path }, sink.failed)
        // The hash writer sets the pace: stop reading the socket while it is far behind.
        sink.write(reply.data)
        if (sink.full) {
          socket.pause()
          sink.onDrained(() => socket.resume())
        }
      } else {
        hash!.update(reply.data)
        chunks.push(reply.data)
      }
      if (announced.size >= REPORTED_FILE_BYTES) {
        const now = Date.now()
        if (now - lastProgress >= PROGRESS_EVERY_MS && received < announced.size) {
          lastProgress = now
          hooks.progress(received, announced.size)
        }
      }
      return received === announced.size
    }

    const request = session.request({ type: 'GET_FILE', path: job.path, version: job.have ? Buffer.from(job.have, 'hex') : null }, onReply)
    return request
      .then(async (): Promise<JobResult> => {
        if (early) return early
        if (aborted) throw new PeerSessionError('peer-aborted', aborted, true)
        const { version, size } = announced!
        let mtimeMs: number | undefined
        let actual: string
        let hashes: Buffer | null = null
        if (sink) {
          const written = await sink.finish().catch((error: Error) => {
            throw couldNotWrite({ peer: job.peer.key, path: job.path }, error.message)
          })
          sink = null
          actual = written.digest
          mtimeMs = written.mtimeMs
          hashes = written.hashes
        } else {
          actual = hash!.digest().toString('hex')
        }
        if (actual !== version) {
          throw new PeerSessionError(
            'hash-mismatch',
            `${job.peer.key} sent bytes for ${job.path} whose version ${actual.slice(0, 12)}… is not the ${version.slice(0, 12)}… it announced`,
            false,
          )
        }
        if (size <= SMALL_FILE_BYTES) mtimeMs = placeSmallFile(this.writer, job, target, temp, chunks)
        else {
          try {
            this.writer.commit(temp, target, job.keepAs)
          } catch (error) {
            throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? placingFailure({ peer: job.peer.key, path: job.path }, error) : error
          }
          // Partials of versions this one replaced (tries cut as the file kept changing) are of no use now.
          await removeOtherPartials(job.peer.folder, job.path, Buffer.from(version, 'hex')).catch(() => {})
        }
        const done = placed('fetched', version, size, target, size, mtimeMs)
        return hashes ? withList(done, blockSizeFor(size), hashes) : done
      })
      .catch(async (error: unknown) => {
        // Nothing half-written stays at the final path. What a large file had received stays
        // beside it (it was written as the partial of its version), for the next try to take by
        // blocks; unless the peer lied, in which case it goes.
        const open = sink as FileSink | null
        const keep = announced !== null && announced.size > SMALL_FILE_BYTES && error instanceof PeerSessionError && error.retry && error.code !== WRITE_FAILED
        // Kept: every byte received goes to the disk first (its version cannot match, being short).
        if (open) await (keep ? open.finish().then(() => {}, () => {}) : open.abort())
        if (!keep) rmSync(temp, { force: true })
        throw error
      })
      .finally(() => socket.resume())
  }
}

/**
 * Whether the mirror holds blocks of `job`'s file already: a partial of this version, or an old
 * copy at the path (an edit leaves most blocks in place). Then it is pulled by blocks; a file
 * with none comes whole, its blocks hashed on the hash writer's thread.
 */
function holdsBlocks(job: FileJob, target: string): boolean {
  if (existsSync(partialBeside(target, job.path, Buffer.from(job.version, 'hex')))) return true
  return lstatSync(target, { throwIfNoEntry: false })?.isFile() === true
}

/** A placed file's result with its block list, when it is big enough for other pulls to look it up. */
function withList(done: Done, blockSize: number, hashes: Buffer | Buffer[]): Done {
  const count = Array.isArray(hashes) ? hashes.length : hashes.length / BLOCK_HASH_BYTES
  if (count < LOCAL_LIST_MIN_BLOCKS) return done
  return { ...done, list: { blockSize, hashes: Array.isArray(hashes) ? Buffer.concat(hashes) : hashes } }
}

/** A file now in place at `target`: its result, with its mtime read unless the caller has it. */
export function placed(outcome: Done['outcome'], version: string, size: number, target: string, transferred: number, mtimeMs?: number): Done {
  return { kind: 'file', ok: true, outcome, version, size, transferred, mtimeMs: mtimeMs ?? lstatSync(target).mtimeMs }
}

/**
 * Writes a small, already verified file to `temp` and renames it onto `target`; returns its
 * mtime. Its folder was made earlier and may have been removed since (the peer deleted what was
 * in it): then it is made again, once. On failure the caller removes `temp`; a second temp file
 * made here is removed here.
 */
export function placeSmallFile(writer: MirrorWriter, job: FileJob, target: string, temp: string, chunks: Buffer[]): number {
  let mtimeMs: number
  try {
    mtimeMs = writeSmall(temp, chunks)
  } catch (error) {
    // Its folder was removed since it was made, or a file stands on the way now: make it again.
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
    writer.forget(target)
    const again = writer.prepare(target, job.peer.folder)
    try {
      mtimeMs = writeSmall(again, chunks)
      writer.commit(again, target, job.keepAs)
      return mtimeMs
    } catch (retryError) {
      rmSync(again, { force: true })
      throw retryError
    }
  }
  writer.commit(temp, target, job.keepAs)
  return mtimeMs
}

/** Writes a small file in one go; returns its mtime (kept by the rename that publishes it). */
function writeSmall(file: string, chunks: Buffer[]): number {
  const fd = openSync(file, 'w')
  try {
    // A nearly full disk takes part of a write and says so only in the count: the rest is
    // written again, which then fails with the disk's reason instead of leaving a short file.
    for (const chunk of chunks) for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at)
    return fstatSync(fd).mtimeMs
  } finally {
    closeSync(fd)
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.closed) return resolve()
    stream.end((error?: Error | null) => (error ? reject(error) : resolve()))
  })
}
