// The owner's side of a big file spread over the workers: its missing runs go to the main thread,
// which queues each as a RunJob in the ring for any worker to fetch over its own connection. The
// owner keeps the partial open and is the one writer of its record: each block another worker
// reports written and checked is marked here, and the pull settles once every run has ended, so a
// cut transfer's record holds every block that was verified.
import type { PartialFile } from '../blocks/partial-file'
import type { BlockList } from '../protocol/block-list-frames'
import type { Failure, FileJob, MainToWorker, WorkerToMain } from './jobs'
import { PeerSessionError } from './peer-session'
import { writeFailureOf } from './write-failure'
import type { Run } from './run-plan'

interface Spread {
  job: FileJob
  partial: PartialFile
  list: BlockList
  verified: (index: number) => void
  /** Runs not ended yet. */
  open: number
  transferred: number
  /** Marks in the partial (and the record writes they start), all of them. */
  marking: Promise<void>
  markError: unknown
  failure: Failure | null
  settle: (result: { transferred: number } | { error: unknown }) => void
}

export type RunNews = Extract<MainToWorker, { kind: 'run-verified' | 'run-ended' }>

export class SpreadRuns {
  private readonly spreads = new Map<number, Spread>()

  constructor(private readonly post: (message: WorkerToMain) => void) {}

  /** Has `runs` of `job`'s file fetched by the workers; resolves to the content bytes that came. */
  fetch(job: FileJob, partial: PartialFile, list: BlockList, runs: Run[], verified: (index: number) => void): Promise<number> {
    if (runs.length === 0) return Promise.resolve(0)
    return new Promise<{ transferred: number } | { error: unknown }>((settle) => {
      this.spreads.set(job.id, { job, partial, list, verified, open: runs.length, transferred: 0, marking: Promise.resolve(), markError: null, failure: null, settle })
      this.post({ type: 'spread', id: job.id, runs, version: list.version.toString('hex'), size: list.size, blockSize: list.blockSize, hashes: partial.list.hashes })
    }).then((result) => {
      if ('error' in result) throw result.error
      return result.transferred
    })
  }

  /** What the main thread says of a spread's runs. */
  news(message: RunNews): void {
    const spread = this.spreads.get(message.owner)
    if (!spread) return
    if (message.kind === 'run-verified') {
      spread.transferred += message.bytes
      for (const index of message.blocks) {
        // A block index outside the file is no block of it: never marked.
        if (!Number.isInteger(index) || index < 0 || index >= spread.partial.blocks || spread.partial.isVerified(index)) continue
        // Marked at once (the bit is set before markVerified's first await; its record writes queue).
        const marked = spread.partial.markVerified(index).catch((error: unknown) => void (spread.markError ??= error))
        spread.marking = Promise.all([spread.marking, marked]).then(() => {})
        spread.verified(index)
      }
      return
    }
    // A peer that lied outweighs a connection that dropped: its file is refused, not retried.
    if (message.failure && (!spread.failure || (spread.failure.retry && !message.failure.retry))) spread.failure = message.failure
    if (--spread.open > 0) return
    this.spreads.delete(message.owner)
    // Settled once every mark is made: the record then holds every block a worker verified.
    const settle = (): void => {
      const { job, failure, markError } = spread
      if (failure) spread.settle({ error: new PeerSessionError(failure.code, failure.reason, failure.retry) })
      else if (markError) spread.settle({ error: writeFailureOf({ peer: job.peer.key, path: job.path }, markError) })
      else spread.settle({ transferred: spread.transferred })
    }
    spread.marking.then(settle, settle)
  }
}
