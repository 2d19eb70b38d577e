// WorkerPool: real worker threads (a small script that answers every job with the id of the
// worker that ran it) fed from a real JobRing.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { JobRing } from '../../src/main/engine/mirror/job-ring'
import type { Job, JobResult } from '../../src/main/engine/mirror/jobs'
import { BOOTING_AT_ONCE, MAX_JOBS_PER_WORKER, WorkerPool } from '../../src/main/engine/mirror/worker-pool'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

/** Answers each job with a result whose reason is the worker's id (see ranOn). */
const ANSWERING_WORKER = `
import { parentPort, workerData } from 'node:worker_threads'
parentPort.on('message', (jobs) => {
  if (!Array.isArray(jobs)) return
  parentPort.postMessage(jobs.map((job) => ({ type: 'done', id: job.id, result: { kind: 'run', ok: false, outcome: 'failed', code: 'ran-on', reason: String(workerData.workerId), retry: false } })))
})
`

/** The worker a job ran on, from its answer. */
function ranOn(result: JobResult): number {
  return !result.ok && result.outcome === 'failed' && result.code === 'ran-on' ? Number(result.reason) : -1
}

/**
 * Answers every job a little later, a batch file by file, each with the id of the worker; and
 * says how many jobs it holds unanswered after each arrival (a 'progress' message of a job it holds).
 */
const SLOW_WORKER = `
import { parentPort, workerData } from 'node:worker_threads'
let holding = 0
parentPort.on('message', (jobs) => {
  if (!Array.isArray(jobs)) return
  for (const job of jobs) {
    const answered = job.kind === 'batch' ? job.files : [job]
    holding++
    answered.forEach((each, i) => setTimeout(() => {
      if (i === answered.length - 1) holding--
      parentPort.postMessage([{ type: 'done', id: each.id, result: { kind: 'run', ok: false, outcome: 'failed', code: 'ran-on', reason: String(workerData.workerId), retry: false } }])
    }, 5 + 3 * i))
  }
  const held = jobs.at(-1)
  if (held) parentPort.postMessage([{ type: 'progress', id: held.kind === 'batch' ? held.files[0].id : held.id, bytes: holding, total: 0 }])
})
`

/** A device ID (hex) for the peer of the jobs: nobody is dialled here. */
const PEER_ID = '00'.repeat(32)
/** What every worker is given: this device's certificate and key (unused by the answering script), and its name. */
const INIT = { certPem: '', keyPem: '', name: 'pool-test' }

/**
 * A file job spreads (and waits until told its runs ended); run jobs are answered only once the
 * worker holds a full load of them at once (MAX_JOBS_PER_WORKER with a ring of as many slots, passed as workerData.full).
 */
const SPREADING_WORKER = `
import { parentPort, workerData } from 'node:worker_threads'
let runs = []
parentPort.on('message', (message) => {
  if (!Array.isArray(message)) {
    if (message.kind === 'run-ended') parentPort.postMessage([{ type: 'done', id: message.owner, result: { kind: 'file', ok: false, outcome: 'not-found' } }])
    return
  }
  for (const job of message) {
    if (job.kind === 'file') parentPort.postMessage([{ type: 'spread', id: job.id, runs: [], version: '', size: 0, blockSize: 0, hashes: new Uint8Array() }])
    else runs.push(job)
  }
  if (runs.length === workerData.full) {
    parentPort.postMessage(runs.map((job) => ({ type: 'done', id: job.id, result: { kind: 'run', ok: true } })))
    runs = []
  }
})
`

const PEER = { ip: '127.0.0.1', port: 40002, id: PEER_ID, key: '127.0.0.1:40002', folder: '/nonexistent' }

/**
 * Never answers the jobs of peer `stalled` (a peer that takes requests and answers none); answers
 * the others only once it holds at least `need` jobs of every one of them at once (or all of a
 * peer's `totals` have come), so they end only if each healthy peer gets room beside the others.
 */
const FAIR_WORKER = `
import { parentPort, workerData } from 'node:worker_threads'
const { stalled, need, totals } = workerData
const held = new Map()
const came = new Map()
parentPort.on('message', (jobs) => {
  if (!Array.isArray(jobs)) return
  for (const job of jobs) {
    if (job.peer.id === stalled) continue
    came.set(job.peer.id, (came.get(job.peer.id) ?? 0) + 1)
    held.set(job.peer.id, [...(held.get(job.peer.id) ?? []), job])
  }
  const ready = Object.keys(totals).every((peer) => (held.get(peer)?.length ?? 0) >= need || came.get(peer) === totals[peer])
  if (!ready) return
  parentPort.postMessage([...held.values()].flat().map((job) => ({ type: 'done', id: job.id, result: { kind: 'run', ok: true } })))
  held.clear()
})
`

const peerNamed = (name: string) => ({ ...PEER, id: name.padStart(64, '0'), key: `127.0.0.1:${name}` })

/** A job any worker takes (the least loaded), as a run of another file's blocks is. */
function runJob(id: number): Job {
  return { kind: 'run', id, peer: PEER, path: `r${id}`, owner: 0, version: '', size: 1, blockSize: 1, first: 0, count: 1, hashes: new Uint8Array() }
}

function batchJob(id: number, files: number): Job {
  const peer = PEER
  return { kind: 'batch', id, peer, files: Array.from({ length: files }, (_, i) => ({ kind: 'file', id: id * 100 + i, peer, path: `d${id}/f${i}`, version: '', size: 1, have: null, reuseFrom: null })) }
}

describe('WorkerPool', () => {
  for (const { workers, capacity } of [
    { workers: 2, capacity: 4 },
    { workers: 1, capacity: 1 },
    { workers: 2, capacity: 3 },
    { workers: 1, capacity: 200 },
  ]) {
    it(`-w ${workers} -b ${capacity}: never more than the ring's capacity out, a worker at most its share; a batch is out until its last file is answered`, async () => {
      const script = path.join(tempDir('pool-'), 'worker.mjs')
      writeFileSync(script, SLOW_WORKER)
      const ring = new JobRing<Job>(capacity)
      const share = Math.min(MAX_JOBS_PER_WORKER, Math.ceil(capacity / workers))
      const jobs = Array.from({ length: 120 }, (_, i) => (i % 3 ? batchJob(i + 1, 1 + (i % 5)) : runJob(i + 1)))
      const answers = jobs.reduce((n, job) => n + (job.kind === 'batch' ? job.files.length : 1), 0)
      const answered = new Set<number>()
      let most = 0
      let mostHeld = 0
      let finished: () => void = () => {}
      const allDone = new Promise<void>((resolve) => (finished = resolve))
      const pool: WorkerPool = new WorkerPool(workers, script, INIT, ring, {
        accept: () => true,
        // What each worker says it holds, counted by the worker itself.
        message: (_job, message) => void (mostHeld = Math.max(mostHeld, message.type === 'progress' ? message.bytes : 0)),
        done: (job) => {
          answered.add(job.id)
          if (answered.size === answers) finished()
        },
        changed: () => {
          most = Math.max(most, pool.out)
          for (const state of pool.states) expect(state.jobs ?? 0).toBeLessThanOrEqual(share)
          expect(pool.states.reduce((n, s) => n + (s.jobs ?? 0), 0)).toBe(pool.out)
        },
      })
      try {
        for (const job of jobs) await ring.put(job)
        await allDone
        expect(most).toBeLessThanOrEqual(capacity)
        expect(mostHeld).toBeLessThanOrEqual(share)
        // Work was really out in parallel, up to the bound (one at a time would pass the checks above too).
        expect(most).toBe(Math.min(capacity, workers * share))
        expect(pool.out).toBe(0)
        expect(ring.used).toBe(0)
      } finally {
        await pool.stop()
      }
    })
  }

  it('gives a thread still booting no jobs, and hands them out once one is up', async () => {
    const script = path.join(tempDir('pool-'), 'worker.mjs')
    writeFileSync(script, ANSWERING_WORKER)
    const ring = new JobRing<Job>(8)
    const done: Array<{ job: Job; result: JobResult }> = []
    let finished: () => void = () => {}
    const allDone = new Promise<void>((resolve) => (finished = resolve))
    const pool = new WorkerPool(2, script, INIT, ring, {
      accept: () => true,
      message: () => {},
      done: (job, result) => {
        done.push({ job, result })
        if (done.length === 3) finished()
      },
      changed: () => {},
    })
    try {
      for (let id = 1; id <= 3; id++) await ring.put(runJob(id))
      // Both threads were only just started: the jobs wait in the ring, not in a booting thread.
      pool.dispatch()
      expect(pool.busy).toBe(0)
      expect(ring.used).toBe(3)
      await allDone
      expect(done.map((d) => d.job.id).sort()).toEqual([1, 2, 3])
      for (const { result } of done) expect([0, 1]).toContain(ranOn(result))
      expect(ring.used).toBe(0)
    } finally {
      await pool.stop()
    }
  })

  it('boots one thread per core at a time; the rest start as those come up, and all take jobs', async () => {
    const script = path.join(tempDir('pool-'), 'worker.mjs')
    writeFileSync(script, ANSWERING_WORKER)
    const count = BOOTING_AT_ONCE + 6
    const ring = new JobRing<Job>(64)
    const ranOnWorkers = new Set<number>()
    let finished: () => void = () => {}
    const allDone = new Promise<void>((resolve) => (finished = resolve))
    const pool = new WorkerPool(count, script, INIT, ring, {
      accept: () => true,
      message: () => {},
      done: (_job, result) => {
        ranOnWorkers.add(ranOn(result))
        if (ranOnWorkers.size === count) finished()
      },
      changed: () => {},
    })
    try {
      expect(pool.started).toBe(BOOTING_AT_ONCE)
      expect(pool.size).toBe(count)
      expect(pool.states.map((s) => s.id)).toEqual(Array.from({ length: count }, (_, id) => id))
      for (let i = 0; i < 200 && pool.ready < count; i++) await new Promise((r) => setTimeout(r, 50))
      expect(pool.started).toBe(count)
      expect(pool.ready).toBe(count)
      // One job each, handed out in one turn: every thread, booted last or first, takes one.
      for (let id = 1; id <= count; id++) await ring.put(runJob(id))
      await allDone
      expect([...ranOnWorkers].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, id) => id))
    } finally {
      await pool.stop()
    }
  })

  it('a file job waiting for its runs takes no room: its one worker still takes a full load of runs, and hears of their end', async () => {
    const script = path.join(tempDir('pool-'), 'worker.mjs')
    writeFileSync(script, SPREADING_WORKER)
    const ring = new JobRing<Job>(MAX_JOBS_PER_WORKER)
    const peer = PEER
    let runsDone = 0
    let finished: (result: JobResult) => void = () => {}
    const fileDone = new Promise<JobResult>((resolve) => (finished = resolve))
    const pool: WorkerPool = new WorkerPool(1, script, { ...INIT, full: MAX_JOBS_PER_WORKER } as typeof INIT, ring, {
      accept: () => true,
      message: (job, message) => {
        if (message.type !== 'spread') return
        void (async () => {
          for (let i = 0; i < MAX_JOBS_PER_WORKER; i++) {
            await ring.put({ kind: 'run', id: 100 + i, peer, path: 'big.bin', owner: job.id, version: '', size: 0, blockSize: 0, first: i, count: 1, hashes: new Uint8Array() })
          }
        })()
      },
      done: (job, result) => {
        if (job.kind === 'file') return finished(result)
        // Had the waiting file taken a place, one run would have stayed in the ring and none would end.
        if (++runsDone === MAX_JOBS_PER_WORKER) expect(pool.tell(1, { kind: 'run-ended', owner: 1 })).toBe(true)
      },
      changed: () => {},
    })
    try {
      await ring.put({ kind: 'file', id: 1, peer, path: 'big.bin', version: '', size: 0, have: null, reuseFrom: null })
      expect(await fileDone).toEqual({ kind: 'file', ok: false, outcome: 'not-found' })
      expect(runsDone).toBe(MAX_JOBS_PER_WORKER)
      // The file ended: nobody runs it now.
      expect(pool.tell(1, { kind: 'run-ended', owner: 1 })).toBe(false)
    } finally {
      await pool.stop()
    }
  }, 30_000)

  // Each row: the ring, the jobs of a stalled peer queued first, then the healthy peers' jobs; they
  // end only if every healthy peer holds `need` jobs at once beside the stalled one's (one slot
  // each when -b is all taken, up to the first window when the jobs would all fit).
  for (const { capacity, need, healthy, perPeer } of [
    { capacity: 4, need: 1, healthy: ['b', 'c'], perPeer: 10 },
    { capacity: 16, need: 2, healthy: ['b', 'c'], perPeer: 6 },
    { capacity: 64, need: 2, healthy: ['b', 'c', 'd'], perPeer: 20 },
  ]) {
    it(`-b ${capacity}: a stalled peer holds its first window, and ${healthy.length} healthy peers get ${need} jobs each out beside it`, async () => {
      const script = path.join(tempDir('pool-'), 'worker.mjs')
      writeFileSync(script, FAIR_WORKER)
      const stalled = peerNamed('a')
      const peers = healthy.map(peerNamed)
      const totals = Object.fromEntries(peers.map((p) => [p.id, perPeer]))
      const ring = new JobRing<Job>(capacity, (job) => job.peer.id)
      const out = new Map<string, number>()
      const most = new Map<string, number>()
      let finished = 0
      let allDone: () => void = () => {}
      const done = new Promise<void>((resolve) => (allDone = resolve))
      const pool: WorkerPool = new WorkerPool(1, script, { ...INIT, stalled: stalled.id, need, totals } as typeof INIT, ring, {
        accept: (job) => {
          out.set(job.peer.id, (out.get(job.peer.id) ?? 0) + 1)
          most.set(job.peer.id, Math.max(most.get(job.peer.id) ?? 0, out.get(job.peer.id)!))
          return true
        },
        message: () => {},
        done: (job) => {
          out.set(job.peer.id, out.get(job.peer.id)! - 1)
          if (++finished === peers.length * perPeer) allDone()
        },
        changed: () => expect(pool.out).toBeLessThanOrEqual(capacity),
      })
      let id = 1
      const produce = async (peer: typeof PEER, count: number) => {
        for (let i = 0; i < count; i++) await ring.put({ ...runJob(id++), peer })
      }
      try {
        void produce(stalled, 500)
        for (let i = 0; i < 400 && (out.get(stalled.id) ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 25))
        await Promise.all(peers.map((peer) => produce(peer, perPeer)))
        await done
        // The stalled peer never took more than its first window, the others got room beside it.
        expect(most.get(stalled.id)).toBe(2)
        for (const peer of peers) expect(most.get(peer.id)).toBeGreaterThanOrEqual(need)
        expect(out.get(stalled.id)).toBe(2)
      } finally {
        await pool.stop()
      }
    }, 30_000)
  }

  it('a lone peer that answers earns all but one slot', async () => {
    const script = path.join(tempDir('pool-'), 'worker.mjs')
    writeFileSync(script, FAIR_WORKER)
    const peer = peerNamed('b')
    const ring = new JobRing<Job>(16, (job) => job.peer.id)
    let mostOut = 0
    let finished = 0
    let allDone: () => void = () => {}
    const done = new Promise<void>((resolve) => (allDone = resolve))
    const pool: WorkerPool = new WorkerPool(1, script, { ...INIT, stalled: '', need: 1, totals: { [peer.id]: 200 } } as typeof INIT, ring, {
      accept: () => true,
      message: () => {},
      done: () => void (++finished === 200 && allDone()),
      changed: () => void (mostOut = Math.max(mostOut, pool.out)),
    })
    try {
      for (let id = 1; id <= 200; id++) await ring.put({ ...runJob(id), peer })
      await done
      expect(mostOut).toBe(15)
    } finally {
      await pool.stop()
    }
  }, 30_000)
})
