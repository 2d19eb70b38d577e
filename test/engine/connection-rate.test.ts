// A Connection under a rate limit, over real TLS on 127.0.0.1: reading stops past the limit
// (and the pauses do not count as the peer's silence), and a sender's wait ends at the close.
import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Connection, type CloseInfo } from '../../src/main/engine/net/connection'
import { acceptTls, dialTls } from '../../src/main/engine/net/tls'
import { TokenBucket } from '../../src/main/engine/net/token-bucket'
import type { Message } from '../../src/main/engine/protocol/messages'
import { newIdentity } from '../helpers/test-identity'

const KiB = 1024
const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** An acceptor and an initiator, handshaken; the acceptor asks for a PING every `heartbeatMs`. */
async function pair(heartbeatMs: number, rates: { read?: TokenBucket; write?: TokenBucket }): Promise<{ acceptor: Connection; initiator: Connection }> {
  const [a, b] = await Promise.all([newIdentity('acceptor'), newIdentity('initiator')])
  const common = { role: 'client', helloTimeoutMs: 5000, maxQueueBytes: 4 * 1024 * KiB } as const
  let acceptor: Promise<Connection> = new Promise(() => {})
  const server: Server = createServer((raw) => {
    acceptor = new Promise((resolve) =>
      acceptTls(raw, a, 5000, (socket) => {
        const connection = new Connection(socket, { ...common, side: 'acceptor', name: 'a', heartbeatMs, ...(rates.write ? { writeRate: rates.write } : {}) })
        connection.once('ready', () => resolve(connection))
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => server.close())
  const port = (server.address() as { port: number }).port
  const socket = await dialTls({ host: '127.0.0.1', port, credentials: b, expectId: a.id, timeoutMs: 5000 })
  const initiator = new Connection(socket, { ...common, side: 'initiator', name: 'b', heartbeatMs: 0, ...(rates.read ? { readRate: rates.read } : {}) })
  await new Promise((resolve) => initiator.once('ready', resolve))
  const accepted = await acceptor
  cleanups.push(() => (accepted.close(), initiator.close()))
  return { acceptor: accepted, initiator }
}

describe('a Connection under a rate limit', () => {
  it('reads no faster than its read limit, and its pauses, longer than the heartbeat allows, do not end it', async () => {
    // 16 KiB/s: each TLS record of 16 KiB costs a pause of about a second; three missed 100 ms PINGs end a connection.
    const { acceptor, initiator } = await pair(100, { read: TokenBucket.create(16 * KiB) })
    let received = 0
    const all = new Promise<void>((resolve, reject) => {
      initiator.on('message', (message: Message) => {
        if (message.type === 'FILE_DATA' && (received += message.data.length) === 64 * KiB) resolve()
      })
      initiator.on('close', (info: CloseInfo) => reject(new Error(`closed after ${received} bytes: ${JSON.stringify(info)}`)))
    })
    const started = performance.now()
    acceptor.sendFileData(Buffer.alloc(64 * KiB, 7))
    await all
    // What is read before the first pause, and the burst, come free: the rest is paid for.
    expect((performance.now() - started) / 1000).toBeGreaterThanOrEqual((32 * KiB) / (16 * KiB) - 0.1)
    expect(initiator.isClosed).toBe(false)
    expect(acceptor.isClosed).toBe(false)
  })

  it('holds a sender that waits as throttle() says, and a wait ends when the connection closes', async () => {
    const { acceptor, initiator } = await pair(5000, { write: TokenBucket.create(64 * KiB) })
    const started = performance.now()
    for (let i = 0; i < 4; i++) {
      await acceptor.throttle(32 * KiB)
      acceptor.sendFileData(Buffer.alloc(32 * KiB))
    }
    // 128 KiB at 64 KiB/s, each chunk paid for before it goes: all but the burst.
    expect((performance.now() - started) / 1000).toBeGreaterThanOrEqual(2 - 0.1)
    // A wait of about 16 s, cut short by the close (the test's own time limit is 30 s).
    const waiting = acceptor.throttle(1024 * KiB)
    initiator.close()
    await waiting
    expect(acceptor.isClosed).toBe(true)
  })
})
