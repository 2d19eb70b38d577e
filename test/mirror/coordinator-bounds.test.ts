// What the coordinator remembers is bounded: peers gone for good, and jobs the ring dropped when
// their peer left. The coordinator in-process with real transfer workers (the CLI bundle's) and
// a hand-written peer on 127.0.0.1.
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_GONE_PEERS, MirrorCoordinator } from '../../src/main/engine/mirror/mirror-coordinator'
import { EventLog } from '../helpers/events'
import { FakePeer } from '../helpers/fake-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { cachedIdentity } from '../helpers/test-identity'

const WORKER = fileURLToPath(new URL('../../out/cli/transfer-worker.mjs', import.meta.url))

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  removeTempDirs()
})

async function coordinator(bufferSlots = 8): Promise<{ mirror: MirrorCoordinator; log: EventLog; root: string }> {
  const log = new EventLog()
  const root = tempDir('mirrors-')
  const identity = await cachedIdentity('coordinator')
  const mirror = new MirrorCoordinator({ mirrorRoot: root, workers: 1, bufferSlots, workerScript: WORKER, identity, name: 'coordinator', onEvent: log.sink })
  stops.push(() => mirror.stop())
  return { mirror, log, root }
}

describe('MirrorCoordinator bounds', () => {
  it(`keeps at most ${MAX_GONE_PEERS} peers that have left, and makes no folder for a peer that never answered`, async () => {
    const { mirror, root } = await coordinator()
    await mirror.start()
    // Devices announced and gone at once, each another device: each leaves before its dial
    // could be answered. (Their IDs are pinned only: nobody answers to prove one.)
    const device = (): string => randomBytes(32).toString('hex')
    for (let i = 0; i < MAX_GONE_PEERS + 100; i++) {
      const peer = { ip: '127.0.0.1', port: 20_000 + i }
      mirror.presence.joined(peer, device())
      mirror.presence.left(peer)
    }
    const online = { ip: '127.0.0.1', port: 19_999 }
    mirror.presence.joined(online, device())
    expect(mirror.peerCount).toBe(MAX_GONE_PEERS + 1)
    expect(readdirSync(root)).toEqual(['.dropbox-sync'])
  })

  it('forgets the jobs the ring drops when their peer leaves', async () => {
    // More files than the worker holds and the ring queues; the peer never sends them.
    const peer = new FakePeer(
      Array.from({ length: 700 }, (_, i) => ({ path: `f${i}.txt`, content: Buffer.from(`file ${i}`) })),
      { filesReply: () => [] },
    )
    await peer.start()
    stops.push(() => peer.stop())
    const { mirror, log } = await coordinator(8)
    await mirror.start()
    const endpoint = { ip: '127.0.0.1', port: peer.port }
    mirror.presence.joined(endpoint, peer.id)
    // A peer that has answered nothing queues no more than its first window (two, with one worker).
    await log.waitFor('buffer', { used: 2 }, 15_000)
    mirror.presence.left(endpoint)
    await log.until(() => mirror.jobsTracked === 0, 15_000, `no job remembered (${mirror.jobsTracked} are)`)
  })
})
