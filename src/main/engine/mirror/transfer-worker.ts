// A transfer worker thread: takes jobs from the main thread, does the network and disk work
// itself (its own connections to peers, hashing, writing) and reports back. The same script,
// started with workerData.role = HASH_WRITER_ROLE, is a transfer worker's hash-writer thread.
import { parentPort, workerData } from 'node:worker_threads'
import { BatchReceiver } from './batch-receiver'
import { FileReceiver } from './file-receiver'
import { crash, loadBlockHash } from '../blocks/block-hash'
import { HASH_WRITER_ROLE, HashWriter, serveHashWriter } from './hash-writer'
import type { AnsweredJob, FileJob, JobResult, LocalSource, MainToWorker, PeerRef, RunJob, WorkerInit, WorkerToMain } from './jobs'
import { PeerSession, PeerSessionError } from './peer-session'
import { receiveRun } from './run-receiver'
import { SpreadRuns } from './spread-runs'
import { TokenBucket } from '../net/token-bucket'
import { asWriteFailure } from './write-failure'

if ((workerData as { role?: string }).role === HASH_WRITER_ROLE) serveHashWriter(parentPort!)
else serveTransfers(workerData as WorkerInit)

function serveTransfers(init: WorkerInit): void {
  const credentials = { certPem: init.certPem, keyPem: init.keyPem }
  // The main thread's download limit, the same memory in every worker: one limit for them all.
  const readRate = init.downloadRate ? TokenBucket.attach(init.downloadRate) : undefined
  const hashWriter = new HashWriter(new URL(import.meta.url))
  // post is hoisted: spreads only post once jobs run.
  const spreads = new SpreadRuns((message) => post(message, true))
  const receiver = new FileReceiver(hashWriter, { spread: spreads, workers: init.workers ?? 1 })
  const batches = new BatchReceiver(receiver)
  /** One session per peer, shared by all of this worker's jobs (their requests are pipelined). */
  const sessions = new Map<string, Promise<PeerSession>>()

  /**
   * Messages of one turn go to the main thread together: one wake-up, not one per file. `now`:
   * this one (and what waits with it) goes at once, for the main thread to start on it while
   * this thread keeps going.
   */
  let outbox: WorkerToMain[] = []
  let flushScheduled = false
  function flush(): void {
    flushScheduled = false
    if (outbox.length === 0) return
    const messages = outbox
    outbox = []
    parentPort!.postMessage(messages)
  }
  function post(message: WorkerToMain, now = false): void {
    outbox.push(message)
    if (now) return flush()
    if (flushScheduled) return
    flushScheduled = true
    setImmediate(flush)
  }

  // How often each peer was forgotten (it left), and the count each job arrived under: a job from
  // before its peer left must not reopen a connection to it, and wait there holding its place.
  const forgets = new Map<string, number>()
  const arrivedUnder = new WeakMap<object, number>()

  async function sessionFor(job: { peer: PeerRef }): Promise<PeerSession> {
    const { peer } = job
    const epoch = arrivedUnder.get(job) ?? forgets.get(peer.key) ?? 0
    const left = (): boolean => (forgets.get(peer.key) ?? 0) !== epoch
    if (left()) throw new PeerSessionError('connection-lost', `${peer.key} left before this transfer began`, true)
    const existing = sessions.get(peer.key)
    if (existing) {
      const session = await existing.catch(() => null)
      if (left()) throw new PeerSessionError('connection-lost', `${peer.key} left while this transfer waited for its connection`, true)
      if (session?.isOpen) return session
      if (sessions.get(peer.key) !== existing) return sessionFor(job)
    }
    const opening = PeerSession.open(peer, credentials, init.name, {
      allocateBody: hashWriter.pool.allocate,
      ...(readRate ? { readRate } : {}),
      ...(init.peerStallMs !== undefined ? { stallMs: init.peerStallMs } : {}),
    })
    sessions.set(peer.key, opening)
    opening.catch(() => sessions.get(peer.key) === opening && sessions.delete(peer.key))
    return opening
  }

  function closeSession(peer: string): void {
    sessions.get(peer)?.then((s) => s.close(), () => {})
    sessions.delete(peer)
  }

  /** Asks for local blocks waiting for the main thread's answer, by number. */
  const asking = new Map<number, (sources: LocalSource[]) => void>()
  let asks = 0
  function findLocal(job: FileJob, blockSize: number, hashes: Buffer): Promise<LocalSource[]> {
    const ask = ++asks
    return new Promise((resolve) => {
      asking.set(ask, resolve)
      post({ type: 'find-blocks', id: job.id, ask, blockSize, hashes }, true)
    })
  }

  function runFile(job: FileJob): Promise<JobResult> {
    return receiver.receive(job, () => sessionFor(job), {
      started: (total, version) => post({ type: 'started', id: job.id, total, version }),
      progress: (bytes, total) => post({ type: 'progress', id: job.id, bytes, total }),
      ...(job.localBlocks ? { findLocal: (blockSize: number, hashes: Buffer) => findLocal(job, blockSize, hashes) } : {}),
    })
  }

  /** Blocks of another job's file into its partial; each block said as soon as it is written. */
  async function runBlocks(job: RunJob): Promise<JobResult> {
    return receiveRun(job, await sessionFor(job), {
      verified: (blocks, bytes) => {
        // Blocks of one turn travel as one word: each message the owner gets wakes its thread.
        const last = outbox.at(-1)
        if (last?.type === 'verified' && last.id === job.id) {
          last.blocks.push(...blocks)
          last.bytes += bytes
        } else post({ type: 'verified', id: job.id, blocks: [...blocks], bytes })
      },
      recycle: hashWriter.pool.recycle,
    })
  }

  function failure(error: unknown, job: AnsweredJob): JobResult {
    const problem = error instanceof PeerSessionError ? error : asWriteFailure(error) ?? new PeerSessionError('io-error', String(error), true)
    // A peer that misbehaved on this session does not get to keep it.
    if (!problem.retry) closeSession(job.peer.key)
    return { kind: job.kind, ok: false, outcome: 'failed', code: problem.code, reason: problem.message, retry: problem.retry }
  }

  async function run(job: AnsweredJob): Promise<JobResult> {
    try {
      return await (job.kind === 'run' ? runBlocks(job) : runFile(job))
    } catch (error) {
      return failure(error, job)
    }
  }

  function start(job: AnsweredJob): void {
    // run() turns every failure into a result; a throw after that still answers the job.
    run(job).then(
      (result) => post({ type: 'done', id: job.id, result }),
      (error: unknown) => post({ type: 'done', id: job.id, result: failure(error, job) }),
    )
  }

  /** Small files of one peer in one GET_FILES; a file that has grown meanwhile goes alone. */
  async function runBatch(jobs: FileJob[]): Promise<void> {
    const open = new Set(jobs)
    const settled = (job: FileJob, outcome: JobResult | null): void => {
      open.delete(job)
      if (outcome) post({ type: 'done', id: job.id, result: outcome })
      else start(job)
    }
    const peer = jobs[0]!.peer.key
    try {
      const { lied } = await batches.receive(jobs, await sessionFor(jobs[0]!), settled)
      if (lied) closeSession(peer)
    } catch (error) {
      const result = failure(error, jobs[0]!)
      for (const job of open) post({ type: 'done', id: job.id, result })
    }
  }

  /** runBatch answers every job itself; should it throw, each job is answered as failed (a second answer is ignored). */
  function startBatch(jobs: FileJob[]): void {
    runBatch(jobs).catch((error: unknown) => {
      for (const job of jobs) post({ type: 'done', id: job.id, result: failure(error, job) })
    })
  }

  // Jobs arrive several at a time and run concurrently, their requests pipelined per peer.
  // Receiving verifies with the block hash: messages wait until this thread has it, in order.
  const ready = loadBlockHash()
  parentPort!.on('message', (message: MainToWorker) => ready.then(() => handle(message)).catch(crash))
  const handle = (message: MainToWorker): void => {
    if (!Array.isArray(message)) {
      if (message.kind === 'forget') {
        forgets.set(message.peer, (forgets.get(message.peer) ?? 0) + 1)
        return closeSession(message.peer)
      }
      if (message.kind === 'blocks-found') {
        asking.get(message.ask)?.(message.sources)
        asking.delete(message.ask)
        return
      }
      if (message.kind === 'run-verified' || message.kind === 'run-ended') return spreads.news(message)
      // A failed early connection is no one's error: the first job opens it again and reports.
      return void sessionFor(message).catch(() => {})
    }
    for (const job of message) {
      for (const one of job.kind === 'batch' ? job.files : [job]) arrivedUnder.set(one, forgets.get(one.peer.key) ?? 0)
      if (job.kind === 'batch') startBatch(job.files)
      else start(job)
    }
  }
}
