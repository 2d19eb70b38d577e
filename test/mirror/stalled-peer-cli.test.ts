// A peer that stops answering must not stall the mirroring of every other peer: its folder server
// still takes requests (a hung disk under its folder) but never answers them. A real CLI receiver
// with one transfer worker, a stalled hand-written peer and a healthy one. The wait before a
// silent peer is given up on is shortened through DBS_PEER_STALL_MS (DEVELOPERS.md).
import { isDeepStrictEqual } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { FakePeer, mirroredTree } from '../helpers/fake-peer'
import { startClient, startServer, type Client } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, treeOf } from '../helpers/tree'

const fakes: FakePeer[] = []
afterEach(async () => {
  killAll()
  for (const fake of fakes.splice(0)) await fake.stop()
  removeTempDirs()
})


/** A healthy peer with 5 files joins; resolves once the receiver mirrors them all. */
async function healthyPeerMirrored(serverPort: number, receiver: Client): Promise<void> {
  const files = Array.from({ length: 5 }, (_, i) => ({ path: `ok/f${i}.txt`, content: Buffer.from(`healthy ${i}\n`) }))
  const healthy = new FakePeer(files)
  fakes.push(healthy)
  const port = await healthy.start()
  await healthy.register(serverPort)
  await receiver.cli.until(() => Object.keys(treeOf(mirrorOf(receiver.dir, port))).length === files.length, 30_000, "the healthy peer's files")
  expect(treeOf(mirrorOf(receiver.dir, port))).toEqual(mirroredTree(files))
}

describe('a peer that stops answering', () => {
  it("is given up on after a while of silence, and the other peers' files come meanwhile", { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const stalledFiles = Array.from({ length: 200 }, (_, i) => ({ path: `stuck/f${i}.txt`, content: Buffer.from(`never sent ${i}\n`) }))
    // Takes every GET_FILES and answers none (nor anything after it on that connection).
    const stalled = new FakePeer(stalledFiles, { filesReply: () => [] })
    fakes.push(stalled)
    await stalled.start()
    await stalled.register(serverPort)

    process.env['DBS_PEER_STALL_MS'] = '1500'
    const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '1', '-b', '4').finally(() => delete process.env['DBS_PEER_STALL_MS'])
    await receiver.cli.until(() => stalled.requests.some((r) => r.message.type === 'GET_FILES'), 30_000, 'the stalled peer asked for its files')

    await healthyPeerMirrored(serverPort, receiver)
    // Said as an error once per silence, naming the peer, not once per file it owed (each of those
    // has its transfer-failed line); the receiver keeps running and asks again later.
    const stalls = () => receiver.cli.events.flatMap((e) => (e.type === 'error' && e.code === 'peer-stalled' ? [e.message] : []))
    await receiver.cli.until(() => stalls().length > 0, 30_000, 'the stall said')
    const said = stalls()
    const failed = receiver.cli.events.filter((e) => e.type === 'transfer-failed' && e.peer.endsWith(`:${stalled.port}`))
    expect(said.length).toBeGreaterThan(0)
    expect(said.length).toBeLessThan(failed.length)
    expect(said[0]).toContain(`127.0.0.1:${stalled.port}`)
    expect(said[0]).toContain('answered nothing')
  })

  it("holds its first window meanwhile, and two other peers' files come side by side beside it", { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const stalled = new FakePeer(
      Array.from({ length: 200 }, (_, i) => ({ path: `stuck/f${i}.txt`, content: Buffer.from(`never sent ${i}\n`) })),
      { filesReply: () => [] },
    )
    fakes.push(stalled)
    await stalled.start()
    await stalled.register(serverPort)
    // The default wait before a silent peer is given up on (minutes): not reached in this test.
    const receiver = await startClient(serverPort, tempDir('receiver-'), '-w', '1', '-b', '4')
    const asked = (peer: FakePeer) => peer.requests.filter((r) => r.message.type === 'GET_FILES').length
    // A peer that has answered nothing holds its first window: one job per worker, at least two.
    await receiver.cli.until(() => asked(stalled) >= 2, 30_000, 'the stalled peer holding its share')

    // Each healthy peer answers only once both have been asked for files: they come only if each
    // has a job out beside the other's while the stalled peer holds its own.
    let bothAsked: () => void = () => {}
    const gate = new Promise<void>((resolve) => (bothAsked = resolve))
    const healthy = ['one', 'two'].map((name) => {
      const files = Array.from({ length: 40 }, (_, i) => ({ path: `${name}/f${i}.txt`, content: Buffer.from(`${name} ${i}\n`) }))
      const peer = new FakePeer(files, {
        filesGate: () => {
          if (healthy.every((p) => asked(p.peer) > 0)) bothAsked()
          return gate
        },
      })
      fakes.push(peer)
      return { peer, files }
    })
    for (const { peer } of healthy) {
      await peer.start()
      await peer.register(serverPort)
    }
    for (const { peer, files } of healthy) {
      // Whole, not counted: a small file's temp name, seen a moment before its rename, counts too.
      await receiver.cli.until(() => isDeepStrictEqual(treeOf(mirrorOf(receiver.dir, peer.port)), mirroredTree(files)), 30_000, `${peer.port}'s files`)
      expect(treeOf(mirrorOf(receiver.dir, peer.port))).toEqual(mirroredTree(files))
    }
    // Came while the stalled peer still held its jobs, no more than its first window: not given up
    // on, not gone from the registry.
    expect(asked(stalled)).toBe(2)
    expect(receiver.cli.count('error')).toBe(0)
    expect(receiver.cli.events.filter((e) => e.type === 'peer-left')).toEqual([])
  })
})
