// A transfer worker thread: takes jobs from the main thread, does the network and disk work
// itself (its own connections to peers, hashing, writing) and reports back. The same script,
// started with workerData.role = HASH_WRITER_ROLE, is a transfer worker's hash-writer thread.
import { parentPort, workerData } from 'node:worker_threads'
import { FileReceiver } from './file-receiver'
import { HASH_WRITER_ROLE, HashWriter, serveHashWriter } from './hash-writer'
import type { FileJob, Job, JobResult, ListJob, WorkerInit, WorkerToMain } from './jobs'
import { PeerSession, PeerSessionError } from './peer-session'

if ((workerData as { role?: string }).role === HASH_WRITER_ROLE) serveHashWriter(parentPort!)
else serveTransfers(workerData as WorkerInit)

function serveTransfers(init: WorkerInit): void {
  const nodeId = Buffer.from(init.nodeId)
  const hashWriter = new HashWriter(new URL(import.meta.url))
  const receiver = new FileReceiver(hashWriter)
  /** One session per peer, shared by all of this worker's jobs (their requests are pipelined). */
  const sessions = new Map<string, Promise<PeerSession>>()

  /** Messages of one turn go to the main thread together: one wake-up, not one per file. */
  let outbox: WorkerToMain[] = []
  function post(message: WorkerToMain): void {
    outbox.push(message)
    if (outbox.length === 1) {
      setImmediate(() => {
        const messages = outbox
        outbox = []
        parentPort!.postMessage(messages)
      })
    }
  }

  async function sessionFor(job: Job): Promise<PeerSession> {
    const existing = sessions.get(job.peer.key)
    if (existing) {
      const session = await existing.catch(() => null)
      if (session?.isOpen) return session
      if (sessions.get(job.peer.key) !== existing) return sessionFor(job)
    }
    const opening = PeerSession.open({ ip: job.peer.ip, port: job.peer.port }, job.self, nodeId, hashWriter.pool.allocate)
    sessions.set(job.peer.key, opening)
    opening.catch(() => sessions.get(job.peer.key) === opening && sessions.delete(job.peer.key))
    return opening
  }

  function closeSession(peer: string): void {
    void sessions.get(peer)?.then((s) => s.close(), () => {})
    sessions.delete(peer)
  }

  async function runList(job: ListJob): Promise<JobResult> {
    const files = await (await sessionFor(job)).fetchList()
    return { kind: 'list', ok: true, files: files.map((f) => ({ path: f.path, version: f.version.toString('hex'), size: f.size })) }
  }

  function runFile(job: FileJob): Promise<JobResult> {
    return receiver.receive(job, () => sessionFor(job), {
      started: (total, version) => post({ type: 'started', id: job.id, total, version }),
      progress: (bytes, total) => post({ type: 'progress', id: job.id, bytes, total }),
    })
  }

  async function run(job: Job): Promise<JobResult> {
    try {
      return await (job.kind === 'list' ? runList(job) : runFile(job))
    } catch (error) {
      const failure = error instanceof PeerSessionError ? error : new PeerSessionError('io-error', String(error), true)
      // A peer that misbehaved on this session does not get to keep it.
      if (!failure.retry) closeSession(job.peer.key)
      return { kind: job.kind, ok: false, outcome: 'failed', code: failure.code, reason: failure.message, retry: failure.retry }
    }
  }

  // Jobs arrive in batches and run concurrently: the pool hands a worker several at once.
  parentPort!.on('message', (message: Job[] | { kind: 'forget'; peer: string }) => {
    if (!Array.isArray(message)) return closeSession(message.peer)
    for (const job of message) void run(job).then((result) => post({ type: 'done', id: job.id, result }))
  })
}
