// One run of a big file's blocks over one connection (GET_BLOCKS, docs/PROTOCOL.md §12.8): each
// block is hashed as its frames arrive and checked against its list's hash before anything of it
// is written; a block that does not match fails the run (the peer lied) and is never written.
import { createBlockHasher, type BlockHasher } from '../blocks/block-hash'
import { blockRange } from '../blocks/block-plan'
import type { Message } from '../protocol/messages'
import type { Run } from './run-plan'
import { PeerSessionError, type PeerSession } from './peer-session'
import { writeFailureOf } from './write-failure'

/** Runs asked for ahead of the one arriving on one connection: the peer answers in order. */
export const RUNS_AHEAD = 4
/** Bytes received on a connection and not yet written at which its socket stops being read. */
const UNWRITTEN_HIGH_WATER = 16 * 1024 * 1024

/** The file a run belongs to: its checked block list, as far as the run needs it. */
export interface RunTarget {
  /** The peer's name for messages (`ip:port`). */
  peer: string
  path: string
  version: Buffer
  size: number
  blockSize: number
  /** The list's hash of block `index`. */
  hashAt(index: number): Buffer
}

export interface RunSink {
  /** Writes block `index` (verified) at its offset; resolves once it is written. */
  write(index: number, pieces: Buffer[]): Promise<void>
  /** Block `index` is written; `bytes` of it came over the wire. */
  written(index: number, bytes: number): void
  /** A frame's bytes are written: its memory may serve the next frame. */
  recycle?(chunk: Buffer): void
}

/** Bytes received and not yet written, per socket: every run on one connection counts together. */
const unwrittenOn = new WeakMap<object, number>()

/**
 * Fetches blocks first..first+count-1 of `target` and writes each, verified, through `sink`.
 * Resolves once every block is written; throws PeerSessionError (WRITE_FAILED for the disk).
 */
export async function fetchRun(session: PeerSession, target: RunTarget, { first, count }: Run, sink: RunSink): Promise<void> {
  const socket = session.connection.socket
  const { peer, path } = target
  let writing: Promise<void> = Promise.resolve()
  let writeError: unknown = null
  const unwritten = (delta: number): number => {
    const now = (unwrittenOn.get(socket) ?? 0) + delta
    unwrittenOn.set(socket, now)
    return now
  }

  const write = (index: number, pieces: Buffer[], length: number): void => {
    if (unwritten(length) >= UNWRITTEN_HIGH_WATER) socket.pause()
    writing = writing.then(async () => {
      try {
        if (writeError) return
        await sink.write(index, pieces)
        sink.written(index, length)
      } catch (error) {
        writeError ??= error
      } finally {
        for (const piece of pieces) sink.recycle?.(piece)
        if (unwritten(-length) < UNWRITTEN_HIGH_WATER / 2) socket.resume()
      }
    })
  }

  let started = false
  let index = first
  let parts: Buffer[] = []
  let inBlock = 0
  let hasher: BlockHasher = createBlockHasher()
  let aborted: string | null = null
  const onReply = (reply: Message): boolean => {
    if (reply.type === 'FILE_ABORT' && reply.path === path) {
      aborted = reply.reason
      return true
    }
    if (!started) {
      if (reply.type !== 'BLOCKS' || reply.path !== path || reply.first !== first || reply.count !== count) throw session.unexpected(reply, `BLOCKS ${first}+${count} of ${path}`)
      started = true
      return false
    }
    if (reply.type !== 'FILE_DATA') throw session.unexpected(reply, `FILE_DATA of ${path}`)
    const { length } = blockRange(target.size, target.blockSize, index)
    if (inBlock + reply.data.length > length) throw new PeerSessionError('bad-peer', `${peer} sent a FILE_DATA across the end of block ${index} of ${path}`, false)
    hasher.update(reply.data)
    parts.push(reply.data)
    inBlock += reply.data.length
    if (inBlock < length) return false
    const actual = hasher.digest()
    const expected = target.hashAt(index)
    if (!actual.equals(expected)) {
      throw new PeerSessionError(
        'hash-mismatch',
        `${peer} sent block ${index} of ${path} whose hash ${actual.toString('hex').slice(0, 12)}… is not the ${expected.toString('hex').slice(0, 12)}… its list gives`,
        false,
      )
    }
    write(index, parts, length)
    index++
    parts = []
    inBlock = 0
    hasher = createBlockHasher()
    return index === first + count
  }
  try {
    await session.request({ type: 'GET_BLOCKS', path, version: target.version, first, count }, onReply)
  } finally {
    // What was verified is written (and said) before the run ends, whichever way it ends.
    await writing
  }
  if (writeError) throw writeFailureOf(target, writeError)
  if (aborted !== null) throw new PeerSessionError('peer-aborted', `${peer} stopped sending ${path}: ${aborted}`, true)
}

/** Fetches `runs` one after another on one connection, RUNS_AHEAD asked for at a time. */
export async function fetchRuns(session: PeerSession, target: RunTarget, runs: Run[], sink: RunSink): Promise<void> {
  let failure: { error: unknown } | null = null
  const inFlight: Array<Promise<void>> = []
  for (const run of runs) {
    if (failure) break
    if (inFlight.length >= RUNS_AHEAD) await inFlight.shift()
    inFlight.push(fetchRun(session, target, run, sink).catch((error: unknown) => void (failure ??= { error })))
  }
  // The first failure, once every run asked for has ended (each writes what it verified).
  await Promise.all(inFlight)
  if (failure) throw (failure as { error: unknown }).error
}
