// Brings one file into a mirror: from bytes already on disk (a rename or copy) or over the
// peer's connection. Every byte goes to a temp file beside the mirrors, is checked against the
// announced size and SHA-256, and only then renamed into place: a cut transfer or a lying peer
// leaves nothing at the final path. No fsync per file: a mirror can always be fetched again.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { FileJob, JobResult } from './jobs'
import { moveIntoMirror, pathInMirror } from './mirror-path'
import { PeerSessionError, type PeerSession } from './peer-session'

const PROGRESS_EVERY_MS = 100

export interface ReceiverHooks {
  started(total: number, version: string): void
  progress(bytes: number, total: number): void
}

let tempCounter = 0

export class FileReceiver {
  constructor(
    private readonly tmpDir: string,
    private readonly workerId: number,
  ) {}

  /** Where a peer's path lands; throws unless it is inside that peer's mirror folder. */
  finalPath(job: FileJob): string {
    const where = pathInMirror(job.peer.folder, job.path)
    if ('problem' in where) throw new PeerSessionError('bad-path', `${job.peer.key} offered ${JSON.stringify(job.path)}: ${where.problem}`, false)
    return where.path
  }

  async receive(job: FileJob, session: () => Promise<PeerSession>, hooks: ReceiverHooks): Promise<JobResult> {
    const target = this.finalPath(job)
    if (job.reuseFrom) {
      const reused = await this.copyLocal(job, target).catch(() => false)
      if (reused) return { kind: 'file', ok: true, outcome: 'reused', version: job.version, size: job.size, transferred: 0 }
    }
    return this.fetch(job, target, await session(), hooks)
  }

  private tempPath(): string {
    return path.join(this.tmpDir, `w${this.workerId}-${process.pid}-${++tempCounter}`)
  }

  private async copyLocal(job: FileJob, target: string): Promise<boolean> {
    const temp = this.tempPath()
    try {
      const hash = createHash('sha256')
      const out = createWriteStream(temp)
      for await (const chunk of createReadStream(job.reuseFrom!)) {
        hash.update(chunk as Buffer)
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      }
      await closeStream(out)
      if (hash.digest('hex') !== job.version) return false
      await moveIntoMirror(temp, target, job.peer.folder)
      return true
    } finally {
      await rm(temp, { force: true })
    }
  }

  private fetch(job: FileJob, target: string, session: PeerSession, hooks: ReceiverHooks): Promise<JobResult> {
    const temp = this.tempPath()
    let out: WriteStream | null = null
    let expected = 0
    let version = ''
    let received = 0
    let lastProgress = 0
    const hash = createHash('sha256')
    let outcome: JobResult | null = null
    const socket = session.connection.socket
    const request = session.request({ type: 'GET_FILE', path: job.path, version: job.have ? Buffer.from(job.have, 'hex') : null }, (reply) => {
      if (out === null) {
        if (reply.type === 'FILE_UP_TO_DATE' && reply.path === job.path) {
          outcome = { kind: 'file', ok: true, outcome: 'up-to-date', version: job.have!, size: job.size, transferred: 0 }
          return true
        }
        if (reply.type === 'FILE_NOT_FOUND' && reply.path === job.path) {
          outcome = { kind: 'file', ok: false, outcome: 'not-found' }
          return true
        }
        if (reply.type === 'FILE_ABORT' && reply.path === job.path) {
          throw new PeerSessionError('peer-aborted', `${job.peer.key} could not send ${job.path}: ${reply.reason}`, true)
        }
        if (reply.type !== 'FILE_SIZE' || reply.path !== job.path) throw session.unexpected(reply, `FILE_SIZE for ${job.path}`)
        expected = reply.size
        version = reply.version.toString('hex')
        out = createWriteStream(temp)
        out.on('error', () => {})
        hooks.started(expected, version)
        return expected === 0
      }
      if (reply.type === 'FILE_ABORT' && reply.path === job.path) {
        throw new PeerSessionError('peer-aborted', `${job.peer.key} stopped sending ${job.path}: ${reply.reason}`, true)
      }
      if (reply.type !== 'FILE_DATA') throw session.unexpected(reply, `FILE_DATA for ${job.path}`)
      received += reply.data.length
      if (received > expected) {
        throw new PeerSessionError('size-mismatch', `${job.peer.key} sent more than the ${expected} bytes it announced for ${job.path}`, false)
      }
      hash.update(reply.data)
      // The disk sets the pace: stop reading the socket while the file's queue is full.
      if (!out.write(reply.data)) {
        socket.pause()
        out.once('drain', () => socket.resume())
      }
      const now = Date.now()
      if (now - lastProgress >= PROGRESS_EVERY_MS && received < expected) {
        lastProgress = now
        hooks.progress(received, expected)
      }
      return received === expected
    })
    return request
      .then(async (): Promise<JobResult> => {
        if (outcome) return outcome
        await closeStream(out!)
        const actual = hash.digest('hex')
        if (actual !== version) {
          throw new PeerSessionError(
            'hash-mismatch',
            `${job.peer.key} sent bytes for ${job.path} whose SHA-256 ${actual.slice(0, 12)}… is not the ${version.slice(0, 12)}… it announced`,
            false,
          )
        }
        await moveIntoMirror(temp, target, job.peer.folder)
        return { kind: 'file', ok: true, outcome: 'fetched', version, size: expected, transferred: expected }
      })
      .finally(async () => {
        socket.resume()
        if (out && !out.closed) await closeStream(out).catch(() => {})
        await rm(temp, { force: true })
      })
  }

}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.closed) return resolve()
    stream.end((error?: Error | null) => (error ? reject(error) : resolve()))
  })
}
