// RunJobs (mirror/run-jobs.ts), the main thread's part in spreading a big file: over a real
// JobDispatch and its ring, with what it tells the owner's worker collected.
import { describe, expect, it } from 'vitest'
import { JobDispatch } from '../../src/main/engine/mirror/job-dispatch'
import type { FileJob, Job, MainToWorker, RunJob } from '../../src/main/engine/mirror/jobs'
import { RunJobs } from '../../src/main/engine/mirror/run-jobs'

const peer = { ip: '127.0.0.1', port: 40002, id: 'ab'.repeat(32), key: '127.0.0.1:40002', folder: '/nonexistent' }

function setup(slots = 16) {
  const jobs = new JobDispatch(slots, () => {})
  const told: Array<{ owner: number; message: MainToWorker }> = []
  let running = new Set<number>()
  const runs = new RunJobs({
    produce: (generation, job) => jobs.produce(generation, job),
    generationOf: (id) => jobs.generationOf(id),
    tell: (owner, message) => {
      told.push({ owner, message })
      return running.has(owner)
    },
    remove: (drop) => void jobs.remove(drop),
  })
  jobs.onDropped = (job) => job.kind === 'run' && runs.dropped(job)
  const taken = (): Job[] => {
    const out: Job[] = []
    for (let job = jobs.ring.take(); job; job = jobs.ring.take()) out.push(job)
    return out
  }
  return { jobs, runs, told, taken, running: (ids: number[]) => (running = new Set(ids)) }
}

/** The owner's file job, queued in `generation` and taken by a worker. */
async function owner(s: ReturnType<typeof setup>, generation: number): Promise<FileJob> {
  const job: FileJob = { kind: 'file', id: 0, peer, path: 'big.bin', version: 'aa'.repeat(32), size: 64 * 1024 * 1024, have: null, reuseFrom: null }
  await s.jobs.produce(generation, job)
  s.taken()
  s.running([job.id])
  return job
}

const hashes = Uint8Array.from({ length: 6 * 32 }, (_, i) => i >> 5)
const spread = (runs: Array<{ first: number; count: number }>) => ({ type: 'spread' as const, id: 0, runs, version: 'bb'.repeat(32), size: 6 * 131072, blockSize: 131072, hashes })

describe('RunJobs', () => {
  it('queues each run as a job of the owner, in its generation, with that run’s hashes only', async () => {
    const s = setup()
    const file = await owner(s, 7)
    await s.runs.spread(file, spread([{ first: 0, count: 2 }, { first: 2, count: 3 }, { first: 5, count: 1 }]))
    const queued = s.taken() as RunJob[]
    expect(queued.map(({ kind, owner: o, path, first, count, version, size, blockSize }) => ({ kind, o, path, first, count, version, size, blockSize }))).toEqual([
      { kind: 'run', o: file.id, path: 'big.bin', first: 0, count: 2, version: 'bb'.repeat(32), size: 6 * 131072, blockSize: 131072 },
      { kind: 'run', o: file.id, path: 'big.bin', first: 2, count: 3, version: 'bb'.repeat(32), size: 6 * 131072, blockSize: 131072 },
      { kind: 'run', o: file.id, path: 'big.bin', first: 5, count: 1, version: 'bb'.repeat(32), size: 6 * 131072, blockSize: 131072 },
    ])
    // Block i's hash is 32 bytes of i here.
    expect(queued.map((job) => [...new Set(job.hashes)])).toEqual([[0, 1], [2, 3, 4], [5]])
    expect(queued.map((job) => job.hashes.length)).toEqual([64, 96, 32])
    for (const job of queued) expect(s.jobs.generationOf(job.id)).toBe(7)
  })

  it('says to the owner what each run verified and how it ended; a failure carries its code and whether to retry', async () => {
    const s = setup()
    const file = await owner(s, 1)
    await s.runs.spread(file, spread([{ first: 0, count: 3 }, { first: 3, count: 3 }]))
    const [a, b] = s.taken() as RunJob[]
    s.runs.verified(a!, { type: 'verified', id: a!.id, blocks: [0, 1], bytes: 262144 })
    s.runs.ended(a!, { kind: 'run', ok: true })
    s.runs.ended(b!, { kind: 'run', ok: false, outcome: 'failed', code: 'hash-mismatch', reason: 'block 4 lied', retry: false })
    expect(s.told).toEqual([
      { owner: file.id, message: { kind: 'run-verified', owner: file.id, blocks: [0, 1], bytes: 262144 } },
      { owner: file.id, message: { kind: 'run-ended', owner: file.id } },
      { owner: file.id, message: { kind: 'run-ended', owner: file.id, failure: { code: 'hash-mismatch', reason: 'block 4 lied', retry: false } } },
    ])
  })

  it('a peer that leaves drops its queued runs, each said ended to the owner (retried), so the owner never waits for them', async () => {
    const s = setup()
    const file = await owner(s, 1)
    await s.runs.spread(file, spread([{ first: 0, count: 2 }, { first: 2, count: 2 }, { first: 4, count: 2 }]))
    s.jobs.dropPeer(peer.id)
    expect(s.jobs.ring.used).toBe(0)
    expect(s.told.map(({ message }) => message)).toEqual(
      Array.from({ length: 3 }, () => ({ kind: 'run-ended', owner: file.id, failure: { code: 'peer-left', reason: expect.stringContaining('left'), retry: true } })),
    )
  })

  it('a run taken after its peer came back (another generation) is dropped the same way', async () => {
    const s = setup()
    const file = await owner(s, 1)
    await s.runs.spread(file, spread([{ first: 0, count: 6 }]))
    const run = s.jobs.ring.take()!
    expect(s.jobs.accept(run, 2)).toBe(false)
    expect(s.told.map(({ message }) => message)).toEqual([{ kind: 'run-ended', owner: file.id, failure: expect.objectContaining({ code: 'peer-left', retry: true }) }])
  })

  it('an owner that ended (its worker crashed) takes its runs still queued with it, and no other', async () => {
    const s = setup()
    const file = await owner(s, 1)
    const other = await owner(s, 1)
    s.running([file.id, other.id])
    await s.runs.spread(file, spread([{ first: 0, count: 3 }, { first: 3, count: 3 }]))
    await s.runs.spread(other, spread([{ first: 0, count: 6 }]))
    s.runs.ownerEnded(file.id)
    expect((s.taken() as RunJob[]).map((job) => job.owner)).toEqual([other.id])
    // Forgotten with them: what is left is the two file jobs and the other's run.
    expect(s.jobs.tracked).toBe(3)
  })
})
