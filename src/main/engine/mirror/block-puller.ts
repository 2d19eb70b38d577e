// Brings a large file into a mirror block by block (docs/PROTOCOL.md §12.8): the peer's block
// list first, then every block already on disk is taken from there (a partial left by an earlier
// try, the old copy at the same path, other local files: local-takes.ts), and only the rest is
// asked for, in runs: jobs of their own that any worker takes (spread-runs.ts), or pipelined on
// this worker's connection. Each block is checked against the list before it is written at its
// offset into the partial file, which is renamed into place once every block is verified; a cut
// transfer keeps its partial, so the next try moves only what is missing.
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { blockRange } from '../blocks/block-plan'
import { PartialFile } from '../blocks/partial-file'
import { removeOtherPartials } from '../blocks/partial-names'
import { BlockListError, BlockListJoin, type BlockList } from '../protocol/block-list-frames'
import type { FileJob, JobResult, LocalSource } from './jobs'
import { matchLocal, takeLocal, type LocalMatches } from './local-takes'
import type { MirrorWriter } from './mirror-path'
import { PeerSessionError, type PeerSession } from './peer-session'
import { fetchRuns, type RunTarget } from './run-fetch'
import { writeFailureOf } from './write-failure'
import { runsOf, type Run } from './run-plan'

/** Blocks taken from the old copy at once. */
const COPIES_AT_ONCE = 4
const PROGRESS_EVERY_MS = 100

export interface PullHooks {
  started(total: number, version: string): void
  progress(bytes: number, total: number): void
  /** A frame's bytes written to disk: its memory may serve the next frame. */
  recycle?(chunk: Buffer): void
  /** Other local files that may hold some of these blocks (count × 32 bytes of hashes). */
  findLocal?(blockSize: number, hashes: Buffer): Promise<LocalSource[]>
  /**
   * Has the runs fetched elsewhere (spread over the workers, spread-runs.ts), each block marked
   * in `partial` and said to `verified` once written; resolves to the bytes that came. Absent:
   * they come on this session.
   */
  spread?(partial: PartialFile, list: BlockList, runs: Run[], verified: (index: number) => void): Promise<number>
  /** Workers the runs spread over: how finely they are cut (run-plan.ts). */
  workers?: number
}

/** What the caller learnt before choosing to pull by blocks: the list, and where local files hold blocks of it. */
export interface KnownList {
  list: BlockList
  matches: LocalMatches
}

export interface PullOutcome {
  /** The partial file, complete and verified, to be renamed onto the target. */
  temp: string
  version: string
  size: number
  /** Content bytes that came over the wire. */
  transferred: number
  /** The file's block hashes (count × 32 bytes). */
  hashes: Buffer
  blockSize: number
}

/**
 * Pulls `job`'s file into a partial beside `target`; resolves once it is whole and verified (the
 * caller renames it), or with a result that needs no pull (not found). Throws PeerSessionError.
 */
export async function pullByBlocks(job: FileJob, target: string, session: PeerSession, writer: MirrorWriter, hooks: PullHooks, known?: KnownList): Promise<PullOutcome | Extract<JobResult, { ok: false }>> {
  const list = known?.list ?? (await fetchList(job, session))
  if ('kind' in list) return list
  await removeOtherPartials(job.peer.folder, job.path, list.version).catch(() => {})
  const partial = openPartial(job, list, writer)
  try {
    await partial.open().catch(writeFailed(job))
    // The old copy at the same path: an edit leaves most blocks where they were.
    if (partial.verifiedCount < partial.blocks) await takeFromCopy(partial, target, list).catch(writeFailed(job))
    // Then other local files: a copy at another path, another mirror, the shared folder.
    if (partial.verifiedCount < partial.blocks) await takeFromOthers(job, partial, list, hooks, known?.matches).catch(writeFailed(job))
    hooks.started(list.size, list.version.toString('hex'))
    const transferred = await fetchMissing(job, session, partial, list, hooks)
    const temp = await partial.finish().catch(writeFailed(job))
    return { temp, version: list.version.toString('hex'), size: list.size, transferred, hashes: partial.list.hashes, blockSize: list.blockSize }
  } catch (error) {
    // Whatever was verified stays for the next try; a peer that lied gets its blocks checked again then.
    await partial.abandon().catch(() => {})
    throw error
  }
}

export async function fetchList(job: FileJob, session: PeerSession): Promise<BlockList | Extract<JobResult, { ok: false }>> {
  const join = new BlockListJoin(job.path)
  let answer: Extract<JobResult, { ok: false }> | 'aborted' | null = null
  let reason = ''
  await session.request({ type: 'GET_BLOCK_LIST', path: job.path, version: Buffer.from(job.version, 'hex') }, (reply) => {
    if (reply.type === 'FILE_NOT_FOUND' && reply.path === job.path) {
      answer = { kind: 'file', ok: false, outcome: 'not-found' }
      return true
    }
    if (reply.type === 'FILE_ABORT' && reply.path === job.path) {
      answer = 'aborted'
      reason = reply.reason
      return true
    }
    if (reply.type !== 'BLOCK_LIST') throw session.unexpected(reply, `BLOCK_LIST for ${job.path}`)
    try {
      return join.add(reply)
    } catch (error) {
      if (error instanceof BlockListError) throw new PeerSessionError('bad-peer', `${job.peer.key} sent ${error.message}`, false)
      throw error
    }
  })
  if (answer === 'aborted') throw new PeerSessionError('peer-aborted', `${job.peer.key} could not send ${job.path}: ${reason}`, true)
  if (answer) return answer
  const list = join.list
  // One content has one size: the version the list named, with another size, is a lie.
  if (list.version.toString('hex') === job.version && list.size !== job.size) {
    throw new PeerSessionError('size-mismatch', `${job.peer.key} listed ${list.size} bytes for ${job.path}, whose version it had announced with ${job.size}`, false)
  }
  return list
}

function openPartial(job: FileJob, list: BlockList, writer: MirrorWriter): PartialFile {
  return new PartialFile(job.peer.folder, job.path, list.version, { size: list.size, blockSize: list.blockSize, hashes: Buffer.concat(list.hashes) }, { writer })
}

/** Blocks of the old copy that are blocks of the new version, at the same place. */
async function takeFromCopy(partial: PartialFile, target: string, list: BlockList): Promise<void> {
  // Opened once, not through a link; a source swapped meanwhile can only offer bytes that hash right.
  const source = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null)
  if (!source) return
  try {
    const stats = await source.stat()
    // A folder or a pipe standing there holds no block.
    if (!stats.isFile()) return
    const { size } = stats
    const candidates = partial.missing().filter((index) => {
      const { offset, length } = blockRange(list.size, list.blockSize, index)
      return offset + length <= size
    })
    // A few at once: one block's read, another's hash and a third's write overlap.
    const next = async (): Promise<void> => {
      for (let index = candidates.shift(); index !== undefined; index = candidates.shift()) {
        await partial.copyBlockFrom(source, blockRange(list.size, list.blockSize, index).offset, index)
      }
    }
    await Promise.all(Array.from({ length: COPIES_AT_ONCE }, next))
  } finally {
    await source.close()
  }
}

/** Blocks other local files hold, by hash (local-blocks.ts finds them, local-takes.ts takes them). */
async function takeFromOthers(job: FileJob, partial: PartialFile, list: BlockList, hooks: PullHooks, matches?: LocalMatches): Promise<void> {
  if (!matches) {
    if (!job.localBlocks || !hooks.findLocal) return
    const missing = partial.missing()
    const sources = await hooks.findLocal(list.blockSize, Buffer.concat(missing.map((index) => list.hashes[index]!)))
    if (sources.length === 0) return
    matches = await matchLocal({ size: list.size, blockSize: list.blockSize, hashes: partial.list.hashes }, sources, missing)
  }
  await takeLocal(partial, matches)
}

/** Verified bytes out of the list's, said to `hooks.progress` at most every PROGRESS_EVERY_MS. */
function progressOf(list: BlockList, partial: PartialFile, hooks: PullHooks): (index: number) => void {
  let verifiedBytes = 0
  for (let i = 0; i < partial.blocks; i++) if (partial.isVerified(i)) verifiedBytes += blockRange(list.size, list.blockSize, i).length
  let lastProgress = 0
  return (index) => {
    verifiedBytes += blockRange(list.size, list.blockSize, index).length
    const now = Date.now()
    if (now - lastProgress >= PROGRESS_EVERY_MS && verifiedBytes < list.size) {
      lastProgress = now
      hooks.progress(verifiedBytes, list.size)
    }
  }
}

/** The missing blocks, in runs: spread over the workers when the hooks can, else on this session. */
async function fetchMissing(job: FileJob, session: PeerSession, partial: PartialFile, list: BlockList, hooks: PullHooks): Promise<number> {
  const runs = runsOf(partial.missing(), list.blockSize, hooks.spread ? hooks.workers : 1)
  if (runs.length === 0) return 0
  const verified = progressOf(list, partial, hooks)
  if (hooks.spread) return hooks.spread(partial, list, runs, verified)
  let transferred = 0
  const target: RunTarget = { peer: job.peer.key, path: job.path, version: list.version, size: list.size, blockSize: list.blockSize, hashAt: (index) => list.hashes[index]! }
  await fetchRuns(session, target, runs, {
    write: async (index, pieces) => {
      await partial.writeBlock(index, pieces)
      await partial.markVerified(index)
    },
    written: (index, bytes) => {
      transferred += bytes
      verified(index)
    },
    ...(hooks.recycle ? { recycle: hooks.recycle } : {}),
  })
  return transferred
}

function writeFailed(job: FileJob): (error: unknown) => never {
  return (error) => {
    throw writeFailureOf({ peer: job.peer.key, path: job.path }, error)
  }
}
