// Which file jobs travel together: small files of one peer, gathered by the producer into one
// batch job (one ring slot, one GET_FILES), so a worker pipelines a few batches, not thousands of files.
import { BATCH_FILE_BYTES } from '../protocol/constants'
import type { FileJob } from './jobs'

/** Files one batch (one GET_FILES) names. */
export const FILES_PER_BATCH = 32

/** A file job a batch can carry: small by the peer's list, and not copied from local bytes. */
export function isBatchable(job: FileJob): boolean {
  return job.reuseFrom === null && job.size <= BATCH_FILE_BYTES
}
