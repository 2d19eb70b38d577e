// Brings many small files of one peer into its mirror with one GET_FILES: the peer answers with
// FILES frames whose records carry whole files, in request order. Each record is checked and
// placed as its frame arrives, with the same rules as a single transfer (file-receiver.ts): the
// bytes must hash to the record's version, go to a temp file beside the final path, and only
// then are renamed into place. One request and a few frames instead of a request, a FILE_SIZE
// and a FILE_DATA per file is what makes ten thousand small files cheap.
import { rmSync } from 'node:fs'
import type { FileRecord } from '../protocol/messages'
import { placed, placeSmallFile, type FileReceiver } from './file-receiver'
import type { FileJob, JobResult } from './jobs'
import { PeerSessionError, type PeerSession } from './peer-session'
import { writeFailureOf } from './write-failure'
import { versionOfBytes } from '../blocks/version-hasher'

/** What became of one job of a batch; null: the file grew past the batch limit, fetch it alone. */
export type BatchOutcome = JobResult | null

export class BatchReceiver {
  constructor(private readonly receiver: FileReceiver) {}

  /**
   * Fetches `jobs` (all of one peer) in one request. Each job's outcome goes to `settled` as its
   * record is placed, in order. Resolves with `lied` true when a record proved the peer
   * dishonest (its connection must go). Rejects, like a single transfer, when the connection ends
   * or the reply is out of step; the jobs settled by then stay settled.
   */
  async receive(jobs: FileJob[], session: PeerSession, settled: (job: FileJob, outcome: BatchOutcome) => void): Promise<{ lied: boolean }> {
    let placed = 0
    let lied = false
    const files = jobs.map((job) => ({ path: job.path, version: job.have ? Buffer.from(job.have, 'hex') : null }))
    await session.request({ type: 'GET_FILES', files }, (reply) => {
      if (reply.type !== 'FILES') throw session.unexpected(reply, 'FILES')
      if (placed + reply.records.length > jobs.length) {
        throw new PeerSessionError('bad-peer', `${session.peer} answered ${jobs.length} files with more records than that`, false)
      }
      for (const record of reply.records) {
        const job = jobs[placed++]!
        const outcome = this.place(job, record)
        if (outcome && !outcome.ok && outcome.outcome === 'failed' && !outcome.retry) lied = true
        settled(job, outcome)
      }
      if (reply.last && placed < jobs.length) {
        throw new PeerSessionError('bad-peer', `${session.peer} answered only ${placed} of ${jobs.length} files`, false)
      }
      return reply.last
    })
    return { lied }
  }

  private place(job: FileJob, record: FileRecord): BatchOutcome {
    try {
      return this.placeRecord(job, record)
    } catch (error) {
      return failed(writeFailureOf({ peer: job.peer.key, path: job.path }, error))
    }
  }

  private placeRecord(job: FileJob, record: FileRecord): BatchOutcome {
    switch (record.status) {
      case 'too-large':
        return null
      case 'not-found':
        return { kind: 'file', ok: false, outcome: 'not-found' }
      case 'abort':
        throw new PeerSessionError('peer-aborted', `${job.peer.key} could not send ${job.path}: ${record.reason}`, true)
      case 'up-to-date': {
        if (!job.have) throw new PeerSessionError('bad-peer', `${job.peer.key} called ${job.path} up to date, but no version of it was named`, false)
        const target = this.receiver.finalPath(job)
        return placed('up-to-date', job.have, job.size, target, 0)
      }
      case 'content':
        return this.placeContent(job, record.version, record.data)
    }
  }

  private placeContent(job: FileJob, named: Buffer, data: Buffer): JobResult {
    const version = named.toString('hex')
    // One content has one size: the version the list named, with another size, is a lie.
    if (version === job.version && data.length !== job.size) {
      throw new PeerSessionError('size-mismatch', `${job.peer.key} sent ${data.length} bytes for ${job.path}, whose version it had announced with ${job.size}`, false)
    }
    const actual = versionOfBytes(data)
    if (!actual.equals(named)) {
      throw new PeerSessionError(
        'hash-mismatch',
        `${job.peer.key} sent bytes for ${job.path} whose version ${actual.toString('hex').slice(0, 12)}… is not the ${version.slice(0, 12)}… it announced`,
        false,
      )
    }
    const target = this.receiver.finalPath(job)
    const writer = this.receiver.writer
    const temp = writer.prepare(target, job.peer.folder, false)
    try {
      const mtimeMs = placeSmallFile(writer, job, target, temp, [data])
      return placed('fetched', version, data.length, target, data.length, mtimeMs)
    } catch (error) {
      rmSync(temp, { force: true })
      throw error
    }
  }
}

function failed(error: PeerSessionError): JobResult {
  return { kind: 'file', ok: false, outcome: 'failed', code: error.code, reason: error.message, retry: error.retry }
}
