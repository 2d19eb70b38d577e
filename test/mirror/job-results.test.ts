// JobResults (mirror/job-results.ts): what a worker's answer does to a peer's record, over a real
// JobDispatch, manifest, path records and mirror files; what the coordinator is asked to
// consider again is collected.
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/events'
import { JobDispatch } from '../../src/main/engine/mirror/job-dispatch'
import { JobResults } from '../../src/main/engine/mirror/job-results'
import type { FileJob, JobResult, ListEntry } from '../../src/main/engine/mirror/jobs'
import { ListedFiles } from '../../src/main/engine/mirror/listed-files'
import { LocalWrites } from '../../src/main/engine/mirror/local-writes'
import { MirrorFiles } from '../../src/main/engine/mirror/mirror-files'
import { MirrorManifest } from '../../src/main/engine/mirror/mirror-manifest'
import { MirrorTasks } from '../../src/main/engine/mirror/mirror-tasks'
import { newPeerState, stateOffline, stateOnline, type PeerState } from '../../src/main/engine/mirror/peer-state'
import { RunJobs } from '../../src/main/engine/mirror/run-jobs'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { describe as describeLine } from '../../src/cli/printer'

const endpoint = { ip: '127.0.0.1', port: 40010 }
const V1 = '11'.repeat(32)
const V2 = '22'.repeat(32)
const V3 = '33'.repeat(32)
const MiB = 1024 * 1024

const manifests: MirrorManifest[] = []
afterEach(async () => {
  for (const manifest of manifests.splice(0)) await manifest.flush()
  removeTempDirs()
})

function peerState(): PeerState {
  const folder = tempDir('mirror-')
  const manifest = new MirrorManifest(folder, path.join(tempDir('state-'), 'manifest.json'))
  manifests.push(manifest)
  return newPeerState({
    ref: { ...endpoint, id: 'cd'.repeat(32), key: `${endpoint.ip}:${endpoint.port}`, folder },
    endpoint,
    idText: 'PEER',
    name: 'peer',
    manifest,
    ready: () => Promise.resolve(),
    gathered: () => {},
  })
}

function setup(paused = new Set<string>()) {
  const state = peerState()
  const events: EngineEvent[] = []
  const considered: Array<{ rel: string; generation: number }> = []
  const jobs = new JobDispatch(8, () => {})
  const tasks = new MirrorTasks((event) => events.push(event))
  const results = new JobResults({
    tasks,
    onEvent: (event) => events.push(event),
    jobs,
    files: new MirrorFiles({ stateDir: tempDir('dbs-state-'), onEvent: () => {}, problem: () => {}, mirrors: () => [state] }),
    writes: new LocalWrites<PeerState>({ report: () => {}, retry: () => {}, toCome: () => 0 }),
    touch: () => {},
    peer: (id) => (id === state.ref.id ? state : undefined),
    paused: (id) => paused.has(id),
    consider: (_state, generation, rel) => {
      considered.push({ rel, generation })
      return Promise.resolve()
    },
    checkSynced: () => {},
    runs: new RunJobs({ produce: () => Promise.resolve(), generationOf: () => undefined, tell: () => false, remove: () => {} }),
  })
  return { state, events, considered, jobs, results }
}

/** A job for `rel` queued in the peer's current generation and taken by a worker. */
async function running(s: ReturnType<typeof setup>, rel: string, version: string): Promise<FileJob> {
  const job: FileJob = { kind: 'file', id: 0, peer: s.state.ref, path: rel, version, size: 2 * MiB, have: null, reuseFrom: null }
  s.state.paths.setPending(rel, version)
  await s.jobs.produce(s.state.generation, job)
  const taken = s.jobs.ring.take()!
  expect(s.jobs.accept(taken, s.state.generation)).toBe(true)
  return job
}

const placedAs = (version: string): JobResult => ({ kind: 'file', ok: true, outcome: 'reused', version, size: 2 * MiB, transferred: 0, mtimeMs: 1000 })

/** The peer left (or was paused) and is back, its new list known (`remote`) and its mirror called synced. */
function backWithList(state: PeerState, remote: ListEntry[]): void {
  stateOffline(state)
  stateOnline(state, endpoint)
  state.remote = new ListedFiles()
  for (const entry of remote) state.remote.set(entry.path, entry)
  state.synced = true
}

describe('JobResults: a file placed by a job of an earlier generation', () => {
  it.each([
    { case: 'the peer lists a newer version now', remote: [{ path: 'a.bin', version: V3, size: 2 * MiB }], synced: false },
    { case: 'the peer deleted it meanwhile', remote: [], synced: false },
    { case: 'the peer lists what was placed', remote: [{ path: 'a.bin', version: V2, size: 2 * MiB }], synced: true },
  ])('is on record, and weighed against the list that came since: $case', async ({ remote, synced }) => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const job = await running(s, 'a.bin', V2)
    backWithList(s.state, remote)
    await s.results.onDone(job, placedAs(V2))
    expect(s.state.manifest.files.get('a.bin')?.version).toBe(V2)
    expect(s.considered).toEqual([{ rel: 'a.bin', generation: s.state.generation }])
    expect(s.state.synced).toBe(synced)
  })

  it('newer than the job asked for, marks nothing outrun in the new generation: its list is the news now', async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const job = await running(s, 'a.bin', V1)
    backWithList(s.state, [{ path: 'a.bin', version: V1, size: 2 * MiB }])
    await s.results.onDone(job, placedAs(V2))
    expect(s.state.paths.of('a.bin').outrun).toBeUndefined()
    expect(s.considered).toEqual([{ rel: 'a.bin', generation: s.state.generation }])
    expect(s.state.synced).toBe(false)
  })

  it('is left to the job the new generation has under way for the path', async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const job = await running(s, 'a.bin', V2)
    backWithList(s.state, [{ path: 'a.bin', version: V3, size: 2 * MiB }])
    s.state.paths.setPending('a.bin', V3)
    await s.results.onDone(job, placedAs(V2))
    expect(s.state.manifest.files.get('a.bin')?.version).toBe(V2)
    expect(s.considered).toEqual([])
  })

  it('waits for the list while the peer is away or its list is still coming', async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const first = await running(s, 'a.bin', V2)
    const second = await running(s, 'b.bin', V1)
    stateOffline(s.state)
    await s.results.onDone(first, placedAs(V2))
    stateOnline(s.state, endpoint)
    await s.results.onDone(second, placedAs(V1))
    expect([...s.state.manifest.files.keys()].sort()).toEqual(['a.bin', 'b.bin'])
    expect(s.considered).toEqual([])
  })
})

const failedWith = (code: string, reason: string): JobResult => ({ kind: 'file', ok: false, outcome: 'failed', code, reason, retry: true })

describe('JobResults: what a failure says', () => {
  it('a lost connection is said by its transfer-failed line (and the peer-left that follows), not also as an error; an error once it keeps failing', async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const said = (): string[] => s.events.map((e) => (e.type === 'transfer-failed' ? `failed retrying=${e.retrying}` : e.type === 'error' ? `error ${e.code}` : e.type))
    await s.results.onDone(await running(s, 'a.bin', V1), failedWith('connection-lost', 'the connection to 127.0.0.1:40010 ended (closed)'))
    expect(said()).toEqual(['failed retrying=true'])
    // Tried again and lost again, until the last try: then it is an error, once.
    for (let attempt = 2; attempt <= 5; attempt++) {
      s.state.paths.clearPending('a.bin')
      await s.results.onDone(await running(s, 'a.bin', V1), failedWith('connection-lost', 'the connection to 127.0.0.1:40010 ended (closed)'))
    }
    expect(said()).toEqual(['failed retrying=true', 'failed retrying=true', 'failed retrying=true', 'failed retrying=true', 'failed retrying=false', 'error connection-lost'])
  })

  it('a transfer cut because its peer left says the file comes once the peer is back, not that it is tried again', async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const job = await running(s, 'a.bin', V1)
    stateOffline(s.state)
    await s.results.onDone(job, failedWith('connection-lost', 'the connection to 127.0.0.1:40010 ended (closed)'))
    expect(s.events).toEqual([{ type: 'transfer-failed', peer: s.state.ref.key, path: 'a.bin', reason: 'the connection to 127.0.0.1:40010 ended (closed)', retrying: false, waitsForPeer: true }])
    // In words on the terminal (the Activity screen's: test/renderer/activity-bursts.test.ts).
    expect(describeLine(s.events[0]!)).toMatch(/^transfer failed: .* a\.bin: the connection to 127\.0\.0\.1:40010 ended \(closed\) \(it comes once the peer is back\)$/)
  })

  it("a worker's word on a transfer whose peer is no longer mirrored (paused, or gone) is not passed on: its row would come back and stay", async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    const job = await running(s, 'a.bin', V1)
    s.results.onWorkerMessage(job, { type: 'progress', id: job.id, bytes: MiB, total: 2 * MiB })
    expect(s.events.map((e) => e.type)).toEqual(['transfer-progress'])
    stateOffline(s.state)
    s.results.onWorkerMessage(job, { type: 'progress', id: job.id, bytes: MiB + 1, total: 2 * MiB })
    // Back (resumed) before the old job ended: the old job is of an earlier generation.
    stateOnline(s.state, endpoint)
    s.results.onWorkerMessage(job, { type: 'started', id: job.id, total: 2 * MiB, version: V1 })
    expect(s.events.map((e) => e.type)).toEqual(['transfer-progress'])
  })

  it('a transfer cut because the user paused its peer (or the client) is no failure: nothing is said, it comes at the resume', async () => {
    const paused = new Set<string>()
    const s = setup(paused)
    stateOnline(s.state, endpoint)
    const job = await running(s, 'a.bin', V1)
    paused.add(s.state.ref.id)
    stateOffline(s.state)
    await s.results.onDone(job, failedWith('connection-lost', 'the connection to 127.0.0.1:40010 ended (local)'))
    expect(s.events).toEqual([])
  })

  it('a request cut with a connection closed for another file says nothing of its own, and is asked for again', async () => {
    const s = setup()
    stateOnline(s.state, endpoint)
    await s.results.onDone(await running(s, 'b.bin', V1), failedWith('request-dropped', 'cut when the connection to 127.0.0.1:40010 was closed for another file'))
    expect(s.events).toEqual([])
    expect(s.state.paths.isPending('b.bin')).toBe(true)
    expect(s.state.paths.attempts('b.bin')).toBe(0)
  })
})
