// A worker's side of a RunJob (jobs.ts): another job's big file, some of its blocks, fetched over
// this worker's connection into that job's partial. Each block is checked against the hash of the
// list the owner verified, written at its offset, then said (`verified`) for the owner to record.
import { openPartialForBlocks } from '../blocks/partial-file'
import { writeAt } from '../util/write-fully'
import { BLOCK_HASH_BYTES } from '../blocks/block-hash'
import { blockRange } from '../blocks/block-plan'
import type { JobResult, RunJob } from './jobs'
import { PeerSessionError, type PeerSession } from './peer-session'
import { fetchRun } from './run-fetch'
import { writeFailureOf } from './write-failure'

export interface RunHooks {
  /** Blocks written and checked; `bytes` of them came over the wire. */
  verified(blocks: number[], bytes: number): void
  /** A frame's bytes are written: its memory may serve the next frame. */
  recycle?(chunk: Buffer): void
}

export async function receiveRun(job: RunJob, session: PeerSession, hooks: RunHooks): Promise<JobResult> {
  if (job.hashes.length !== job.count * BLOCK_HASH_BYTES) throw new PeerSessionError('bad-job', `a run of ${job.count} blocks of ${job.path} came with ${job.hashes.length} bytes of hashes`, false)
  const version = Buffer.from(job.version, 'hex')
  const hashes = Buffer.from(job.hashes.buffer, job.hashes.byteOffset, job.hashes.byteLength)
  const target = {
    peer: job.peer.key,
    path: job.path,
    version,
    size: job.size,
    blockSize: job.blockSize,
    hashAt: (index: number) => hashes.subarray((index - job.first) * BLOCK_HASH_BYTES, (index - job.first + 1) * BLOCK_HASH_BYTES),
  }
  const handle = await openPartialForBlocks(job.peer.folder, job.path, version).catch((error: unknown) => {
    // Gone since its owner made it (removed by hand, the folder moved): the file is tried again, not the disk waited for.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new PeerSessionError('partial-gone', `the partial of ${job.path} is gone`, true)
    throw writeFailureOf(target, error)
  })
  try {
    await fetchRun(session, target, job, {
      write: (index, pieces) => writeAt(handle, pieces, blockRange(job.size, job.blockSize, index).offset),
      written: (index, bytes) => hooks.verified([index], bytes),
      ...(hooks.recycle ? { recycle: hooks.recycle } : {}),
    })
  } finally {
    await handle.close().catch(() => {})
  }
  return { kind: 'run', ok: true }
}
