// A peer session gives its connection up when requests wait and the peer sends nothing of them
// while we read, and only then: a slow answer, or our own reading held back, is no stall.
import { afterEach, describe, expect, it } from 'vitest'
import { PeerSession, PeerSessionError } from '../../src/main/engine/mirror/peer-session'
import { TokenBucket } from '../../src/main/engine/net/token-bucket'
import { FakePeer, type FakeFile, type FakePeerOptions } from '../helpers/fake-peer'
import { cachedIdentity } from '../helpers/test-identity'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

async function sessionTo(files: FakeFile[], options: FakePeerOptions, open: Parameters<typeof PeerSession.open>[3]): Promise<PeerSession> {
  const peer = new FakePeer(files, options)
  await peer.start()
  const session = await PeerSession.open(peer.ref, await cachedIdentity('peer-stall'), 'peer-stall', open)
  cleanup.push(() => peer.stop(), () => session.close())
  return session
}

/** GET_FILE answered whole: its bytes. */
function getFile(session: PeerSession, path: string): Promise<number> {
  let size = -1
  let got = 0
  return session
    .request({ type: 'GET_FILE', path, version: null }, (reply) => {
      if (reply.type === 'FILE_SIZE') size = reply.size
      else if (reply.type === 'FILE_DATA') got += reply.data.length
      else throw new Error(`unexpected ${reply.type}`)
      return size >= 0 && got === size
    })
    .then(() => got)
}

const file = (bytes: number): FakeFile => ({ path: 'f.bin', content: Buffer.alloc(bytes, 7) })

describe('a peer that stops answering', () => {
  it('is given up on once requests wait in silence, with an error that says so', async () => {
    const session = await sessionTo([file(100)], { filesReply: () => [] }, { stallMs: 400 })
    const asked = session.request({ type: 'GET_FILES', files: [{ path: 'f.bin', version: null }] }, () => true)
    const error = await asked.then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PeerSessionError)
    expect((error as PeerSessionError).code).toBe('peer-stalled')
    expect((error as PeerSessionError).retry).toBe(true)
    expect((error as PeerSessionError).message).toContain('answered nothing')
    expect(session.isOpen).toBe(false)
  })

  it('is not: an answer that trickles in, slower than the stall time in all but its pieces', async () => {
    // 1,200 bytes, 100 every 100 ms: the whole answer takes three stall times.
    const session = await sessionTo([file(1200)], { trickle: { chunkBytes: 100, everyMs: 100 } }, { stallMs: 400 })
    expect(await getFile(session, 'f.bin')).toBe(1200)
    expect(session.isOpen).toBe(true)
  })

  it('is not: our own read limit holding the answer back far longer than the stall time', async () => {
    // 64 KiB at 16 KiB/s: reading is held for seconds, the peer having sent everything at once.
    const readRate = TokenBucket.create(16 * 1024)
    const session = await sessionTo([file(64 * 1024)], {}, { stallMs: 300, readRate })
    expect(await getFile(session, 'f.bin')).toBe(64 * 1024)
    expect(session.isOpen).toBe(true)
  })
})
