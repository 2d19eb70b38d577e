// A transfer worker thread: takes one job at a time from the main thread, does the network and
// disk work itself (its own connections to peers, hashing, writing) and reports back.
import { parentPort, workerData } from 'node:worker_threads'
import { FileReceiver } from './file-receiver'
import type { FileJob, Job, JobResult, ListJob, WorkerInit, WorkerToMain } from './jobs'
import { PeerSession, PeerSessionError } from './peer-session'

const init = workerData as WorkerInit
const nodeId = Buffer.from(init.nodeId)
const receiver = new FileReceiver(init.tmpDir, init.workerId)
/** One open session per peer, reused across jobs. */
const sessions = new Map<string, PeerSession>()

function post(message: WorkerToMain): void {
  parentPort!.postMessage(message)
}

async function sessionFor(job: Job): Promise<PeerSession> {
  const existing = sessions.get(job.peer.key)
  if (existing?.isOpen) return existing
  const session = await PeerSession.open({ ip: job.peer.ip, port: job.peer.port }, job.self, nodeId)
  sessions.set(job.peer.key, session)
  return session
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
    if (!failure.retry) sessions.get(job.peer.key)?.close()
    return { kind: job.kind, ok: false, outcome: 'failed', code: failure.code, reason: failure.message, retry: failure.retry }
  }
}

parentPort!.on('message', (message: Job | { kind: 'forget'; peer: string } | { kind: 'exit' }) => {
  if (message.kind === 'forget') {
    sessions.get(message.peer)?.close()
    sessions.delete(message.peer)
    return
  }
  if (message.kind === 'exit') {
    for (const session of sessions.values()) session.close()
    process.exit(0)
  }
  void run(message).then((result) => post({ type: 'done', id: message.id, result }))
})

