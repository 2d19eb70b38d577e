// The receiving side of GET_FILES over a real socket, against a peer the test scripts: honest
// batches land byte for byte; lies and out-of-step replies are caught, one file at a time where
// the frames stay in step, and nothing unverified reaches a final path or is left as a temp file.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchReceiver, type BatchOutcome } from '../../src/main/engine/mirror/batch-receiver'
import { FileReceiver } from '../../src/main/engine/mirror/file-receiver'
import { HashWriter } from '../../src/main/engine/mirror/hash-writer'
import type { FileJob } from '../../src/main/engine/mirror/jobs'
import { PeerSession } from '../../src/main/engine/mirror/peer-session'
import { BATCH_FILE_BYTES } from '../../src/main/engine/protocol/constants'
import { WORKER_SCRIPT } from '../helpers/app-core'
import { FakePeer, contentVersion, type FakeFile, type FakePeerOptions } from '../helpers/fake-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { cachedIdentity } from '../helpers/test-identity'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})


async function connect(files: FakeFile[], options: FakePeerOptions = {}) {
  const peer = new FakePeer(files, options)
  const port = await peer.start()
  const session = await PeerSession.open(peer.ref, await cachedIdentity('batch-receiver'), 'batch-receiver')
  cleanup.push(() => peer.stop(), () => session.close())
  const folder = tempDir('mirror-')
  const jobs = peer.entries().map(
    (entry, i): FileJob => ({
      kind: 'file',
      id: i + 1,
      peer: { ...peer.ref, key: `127.0.0.1:${port}`, folder },
      path: entry.path,
      version: entry.version.toString('hex'),
      size: entry.size,
      have: null,
      reuseFrom: null,
    }),
  )
  const receiver = new BatchReceiver(new FileReceiver(new HashWriter(new URL(`file://${WORKER_SCRIPT}`))))
  const outcomes = new Map<string, BatchOutcome>()
  const receive = () => receiver.receive(jobs, session, (job, outcome) => outcomes.set(job.path, outcome))
  return { folder, jobs, outcomes, receive, session }
}

/** Every file under `folder`, temp files included. */
function filesIn(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(folder, path.join(e.parentPath, e.name)))
    .sort()
}

describe('PeerSession.fetchList', () => {
  it('hands over each FILE_LIST frame as it arrives, in order, and resolves with the count', async () => {
    const files = Array.from({ length: 7 }, (_, i): FakeFile => ({ path: `f${i}`, content: Buffer.from(`${i}`) }))
    const { session } = await connect(files, { listFrames: 3 })
    const parts: string[][] = []
    expect(await session.fetchList((part) => parts.push(part.map((f) => f.path)))).toBe(7)
    expect(parts).toEqual([['f0', 'f1', 'f2'], ['f3', 'f4', 'f5'], ['f6']])
  })
})

describe('BatchReceiver', () => {
  it('places every file of an honest batch, empty and awkward names included; a grown file is handed back', async () => {
    const files: FakeFile[] = [
      { path: 'a.txt', content: Buffer.from('alpha') },
      { path: 'deep/er/[b], ünï 😀.bin', content: randomBytes(BATCH_FILE_BYTES) },
      { path: 'empty', content: Buffer.alloc(0) },
      // Listed small, but larger than a record now: the caller fetches it alone.
      { path: 'grew.bin', content: randomBytes(BATCH_FILE_BYTES + 1), announce: { size: 10 } },
    ]
    const { folder, outcomes, receive } = await connect(files)
    expect(await receive()).toEqual({ lied: false })
    for (const file of files.slice(0, 3)) {
      expect(outcomes.get(file.path)).toMatchObject({ ok: true, outcome: 'fetched', version: contentVersion(file.content).toString('hex'), size: file.content.length })
      expect(readFileSync(path.join(folder, file.path)).equals(file.content)).toBe(true)
    }
    expect(outcomes.get('grew.bin')).toBeNull()
    expect(filesIn(folder)).toEqual(['a.txt', 'deep/er/[b], ünï 😀.bin', 'empty'])
  })

  it('a hash lie and a size lie fail only their own files, not retried; the rest of the batch lands', async () => {
    const { folder, outcomes, receive } = await connect([
      { path: 'bad-hash.txt', content: Buffer.from('evil'), announce: { version: contentVersion('good') } },
      { path: 'fine.txt', content: Buffer.from('fine') },
      { path: 'bad-size.txt', content: Buffer.from('twenty bytes of data'), announce: { size: 10 } },
    ])
    expect(await receive()).toEqual({ lied: true })
    expect(outcomes.get('bad-hash.txt')).toMatchObject({ ok: false, code: 'hash-mismatch', retry: false })
    expect(outcomes.get('bad-size.txt')).toMatchObject({ ok: false, code: 'size-mismatch', retry: false })
    expect(outcomes.get('fine.txt')).toMatchObject({ ok: true, outcome: 'fetched' })
    expect(filesIn(folder)).toEqual(['fine.txt'])
  })

  it('more records than files asked for: the whole reply is out of step (bad-peer)', async () => {
    const { folder, receive } = await connect([{ path: 'one.txt', content: Buffer.from('1') }], {
      filesReply: (honest) => [{ type: 'FILES', last: true, records: [...honest, { status: 'not-found' }] }],
    })
    await expect(receive()).rejects.toMatchObject({ code: 'bad-peer', retry: false })
    expect(filesIn(folder)).toEqual([])
  })

  it('a last frame short of records: bad-peer, and the files placed before it stay placed', async () => {
    const { folder, outcomes, receive } = await connect(
      [
        { path: 'first.txt', content: Buffer.from('first') },
        { path: 'second.txt', content: Buffer.from('second') },
      ],
      { filesReply: (honest) => [{ type: 'FILES', last: true, records: honest.slice(0, 1) }] },
    )
    await expect(receive()).rejects.toMatchObject({ code: 'bad-peer' })
    expect(outcomes.get('first.txt')).toMatchObject({ ok: true, outcome: 'fetched' })
    expect(outcomes.has('second.txt')).toBe(false)
    expect(filesIn(folder)).toEqual(['first.txt'])
  })

  it('records split over several frames are matched in order; "up to date" without a version is a lie', async () => {
    const { folder, outcomes, receive } = await connect(
      [
        { path: 'x.txt', content: Buffer.from('x') },
        { path: 'y.txt', content: Buffer.from('y') },
        { path: 'z.txt', content: Buffer.from('z') },
      ],
      {
        filesReply: (honest) => [
          { type: 'FILES', last: false, records: honest.slice(0, 1) },
          { type: 'FILES', last: false, records: [] },
          { type: 'FILES', last: true, records: [honest[1]!, { status: 'up-to-date' }] },
        ],
      },
    )
    expect(await receive()).toEqual({ lied: true })
    expect(outcomes.get('x.txt')).toMatchObject({ ok: true })
    expect(outcomes.get('y.txt')).toMatchObject({ ok: true })
    expect(outcomes.get('z.txt')).toMatchObject({ ok: false, code: 'bad-peer' })
    expect(filesIn(folder)).toEqual(['x.txt', 'y.txt'])
  })
})
