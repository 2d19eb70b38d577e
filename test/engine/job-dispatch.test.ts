// JobDispatch, the ring's producer side: small files of one peer are gathered into batch jobs
// (one ring slot each), full or at the end of the producer's turn; other jobs go alone; a peer
// that leaves takes its batch still filling with it, and nothing stays remembered.
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { FILES_PER_BATCH } from '../../src/main/engine/mirror/batch-rule'
import { JobDispatch } from '../../src/main/engine/mirror/job-dispatch'
import type { FileJob, Job, PeerRef } from '../../src/main/engine/mirror/jobs'
import { BATCH_FILE_BYTES } from '../../src/main/engine/protocol/constants'

function peer(id: string): PeerRef {
  return { ip: '127.0.0.1', port: 40000, id, key: `127.0.0.1:${id}`, folder: `/nonexistent/${id}` }
}

function file(of: PeerRef, rel: string, size = 4096, reuseFrom: string | null = null): FileJob {
  return { kind: 'file', id: 0, peer: of, path: rel, version: '00'.repeat(32), size, have: null, reuseFrom }
}

/** Everything in the ring, taken out, as `kind:paths`. */
function drain(dispatch: JobDispatch): string[] {
  const out: string[] = []
  for (let job = dispatch.ring.take(); job; job = dispatch.ring.take()) out.push(describeJob(job))
  return out
}

function describeJob(job: Job): string {
  if (job.kind === 'batch') return `batch:${job.files.length}`
  return job.kind === 'file' ? `file:${job.path}` : 'run'
}

describe('JobDispatch', () => {
  const a = peer('a')
  const b = peer('b')
  const cases: Array<{ name: string; jobs: FileJob[]; ring: string[] }> = [
    { name: 'a full batch enters at once, the rest at the end of the turn', jobs: Array.from({ length: FILES_PER_BATCH + 3 }, (_, i) => file(a, `f${i}`)), ring: [`batch:${FILES_PER_BATCH}`, 'batch:3'] },
    { name: 'a file past the batch limit goes alone', jobs: [file(a, 'small'), file(a, 'big', BATCH_FILE_BYTES + 1)], ring: ['file:big', 'batch:1'] },
    { name: 'a local copy goes alone', jobs: [file(a, 'copy', 10, '/elsewhere')], ring: ['file:copy'] },
    { name: 'each peer has its own batch', jobs: [file(a, 'x'), file(b, 'y'), file(a, 'z')], ring: ['batch:2', 'batch:1'] },
  ]
  for (const { name, jobs, ring } of cases) {
    it(name, async () => {
      const dispatch = new JobDispatch(64, () => {})
      for (const job of jobs) await dispatch.produce(1, job)
      await nextTurn()
      expect(drain(dispatch)).toEqual(ring)
    })
  }

  it('waits for a slot only when a batch is full and the ring too', async () => {
    const dispatch = new JobDispatch(1, () => {})
    await dispatch.produce(1, file(a, 'big', BATCH_FILE_BYTES + 1))
    let produced = 0
    const producing = (async () => {
      for (let i = 0; i < FILES_PER_BATCH; i++) {
        await dispatch.produce(1, file(a, `f${i}`))
        produced++
      }
    })()
    await nextTurn()
    // The batch filled up and waits for the one slot, which the big file holds.
    expect(produced).toBe(FILES_PER_BATCH - 1)
    expect(dispatch.ring.take()?.kind).toBe('file')
    await producing
    expect(drain(dispatch)).toEqual([`batch:${FILES_PER_BATCH}`])
  })

  it('a taken batch stands for its files: its own stamp is forgotten, theirs stay until each ends', async () => {
    const dispatch = new JobDispatch(4, () => {})
    const files = [file(a, 'x'), file(a, 'y')]
    for (const job of files) await dispatch.produce(7, job)
    await nextTurn()
    const batch = dispatch.ring.take()!
    expect(dispatch.accept(batch, 7)).toBe(true)
    expect(dispatch.tracked).toBe(2)
    expect(files.map((f) => dispatch.finish(f.id))).toEqual([7, 7])
    expect(dispatch.tracked).toBe(0)
  })

  it('a batch of a peer that came back since is dropped with its files', async () => {
    const dispatch = new JobDispatch(4, () => {})
    for (const rel of ['x', 'y']) await dispatch.produce(1, file(a, rel))
    await nextTurn()
    expect(dispatch.accept(dispatch.ring.take()!, 2)).toBe(false)
    expect(dispatch.tracked).toBe(0)
  })

  it('a peer that leaves takes its queued and filling batches with it', async () => {
    const dispatch = new JobDispatch(4, () => {})
    for (let i = 0; i < FILES_PER_BATCH + 2; i++) await dispatch.produce(1, file(a, `f${i}`))
    await dispatch.produce(1, file(b, 'stays'))
    dispatch.dropPeer(a.id)
    await nextTurn()
    expect(drain(dispatch)).toEqual(['batch:1'])
    expect(dispatch.tracked).toBe(2)
  })
})
