// The writing half of a connection (net/outgoing-frames.ts) over a real loopback socket whose
// other end does not read: its bounds, and that closing it ends every wait it began.
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { OutgoingFrames, PACE_FRAMES, type OutgoingOptions } from '../../src/main/engine/net/outgoing-frames'
import { TokenBucket } from '../../src/main/engine/net/token-bucket'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** A client socket to a server that accepts and never reads. */
async function unreadSocket(): Promise<Socket> {
  const server: Server = createServer((peer) => {
    peer.pause()
    cleanups.push(() => peer.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address() as { port: number }
  const socket = connect(address.port, '127.0.0.1')
  await once(socket, 'connect')
  cleanups.push(() => {
    socket.destroy()
    server.close()
  })
  return socket
}

/** The writing half over `socket`, with what its owner is told. */
function outgoing(socket: Socket, options: OutgoingOptions): { out: OutgoingFrames; seen: { tooSlow: string[]; taken: number } } {
  const seen = { tooSlow: [] as string[], taken: 0 }
  const out = new OutgoingFrames(socket, options, { tooSlow: (what) => void seen.tooSlow.push(what), framesTaken: () => void seen.taken++ })
  return { out, seen }
}

describe('OutgoingFrames', () => {
  it('refuses the frame past the frame bound and names the bound, once per refusal', async () => {
    const socket = await unreadSocket()
    // Corked: no write completes, so every frame stays counted as unsent.
    socket.cork()
    const { out, seen } = outgoing(socket, { maxQueueBytes: 1 << 30, maxQueueFrames: 3 })
    const frame = Buffer.alloc(8)
    expect([1, 2, 3, 4].map(() => out.write(frame, false, 0))).toEqual([true, true, true, false])
    expect(seen.tooSlow).toEqual(['3 frames'])
  })

  it('refuses a frame whose bytes, with the content that follows it, pass the byte bound', async () => {
    const socket = await unreadSocket()
    const { out, seen } = outgoing(socket, { maxQueueBytes: 1000, maxQueueFrames: 100 })
    expect(out.write(Buffer.alloc(10), false, 989)).toBe(true)
    expect(out.write(Buffer.alloc(10), false, 0)).toBe(true)
    socket.cork()
    expect(out.write(Buffer.alloc(10), false, 5000)).toBe(false)
    expect(seen.tooSlow).toEqual(['1000 bytes'])
  })

  it('paced() waits while more than PACE_FRAMES frames are unsent, and close() ends the wait', async () => {
    const socket = await unreadSocket()
    socket.cork()
    const { out } = outgoing(socket, { maxQueueBytes: 1 << 30, maxQueueFrames: 1 << 20 })
    for (let i = 0; i <= PACE_FRAMES; i++) out.write(Buffer.alloc(4), false, 0)
    expect(out.crowded).toBe(true)
    let paced = false
    const waiting = out.paced().then(() => (paced = true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(paced).toBe(false)
    out.close()
    await waiting
    expect(out.write(Buffer.alloc(4), false, 0)).toBe(false)
  })

  it('paced() resolves once the corked frames are written, and the owner hears of every frame taken', async () => {
    const socket = await unreadSocket()
    socket.cork()
    const { out, seen } = outgoing(socket, { maxQueueBytes: 1 << 30, maxQueueFrames: 1 << 20 })
    const frames = PACE_FRAMES + 10
    for (let i = 0; i < frames; i++) out.write(Buffer.alloc(4), false, 0)
    const waiting = out.paced()
    socket.uncork()
    await waiting
    expect(out.crowded).toBe(false)
    expect(seen.taken).toBeGreaterThanOrEqual(10)
  })

  it('throttle() waits for the rate, and close() ends that wait at once', async () => {
    const socket = await unreadSocket()
    // 1 KiB/s: taking 1 MiB puts the taker about 1,000 s in debt.
    const { out } = outgoing(socket, { maxQueueBytes: 1 << 30, maxQueueFrames: 100, writeRate: TokenBucket.create(1024) })
    let done = false
    const waiting = out.throttle(1 << 20).then(() => (done = true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(done).toBe(false)
    out.close()
    await waiting
    await out.throttle(1 << 20)
  })
})
