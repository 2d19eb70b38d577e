// Per-connection and per-address bounds, each driven past its bound: connections from one address
// still in their handshake (TCP accepted, TLS or HELLO not done), devices waiting for the
// operator, frames left unsent to a peer that does not read. And the other side of holding a
// peer's requests back: nothing is lost, every request is answered once it reads.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_HANDSHAKES_PER_IP } from '../../src/main/engine/defaults'
import { encodeMessage } from '../../src/main/engine/protocol/codec'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import type { RegistryServerOptions } from '../../src/main/engine/registry/registry-server'
import { RawPeer, tlsTo } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { makeMember, newIdentity, type TestIdentity } from '../helpers/test-identity'
import { HELLO, JOIN, repeated, silentPeer } from './flooder'
import { startFolderServer, startRegistry } from './servers'

const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})

async function registry(options: Partial<RegistryServerOptions> = {}) {
  const started = await startRegistry(options)
  cleanup.push(() => started.server.stop())
  return started
}

/** A folder server sharing `root` to `announced` only. */
async function folderServer(root: string, announced: TestIdentity): Promise<number> {
  const folder = await startFolderServer(root, [announced])
  cleanup.push(() => folder.stop())
  return folder.port
}

/** A plain TCP connection, accepted by the server, that never starts TLS. */
async function tcp(port: number): Promise<Socket & { gotBytes: number }> {
  const socket = connect({ port, host: '127.0.0.1' }) as Socket & { gotBytes: number }
  socket.gotBytes = 0
  socket.on('data', (chunk: Buffer) => (socket.gotBytes += chunk.length))
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  cleanup.push(() => void socket.destroy())
  return socket
}

const closed = (socket: Socket): Promise<void> => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve())))

/**
 * Opens as many connections as one address may have in their handshake (all but one plain TCP
 * that never starts TLS, one TLS done but no HELLO); the next one is destroyed at once, before
 * TLS: no byte comes back, not even an ERROR (before TLS the server knows nobody, and a
 * plaintext ERROR is nothing a TLS client could read; answering it with a TLS handshake would
 * spend what the bound saves). A TLS dial past the bound fails the same way. The ones waiting
 * are untouched (still open when the refused one is closed: not the hello timeout), and once
 * one of them has said HELLO its place is free again.
 */
async function expectHandshakeBound(port: number, device: TestIdentity): Promise<void> {
  const waiting: Socket[] = []
  for (let i = 0; i < DEFAULT_MAX_HANDSHAKES_PER_IP - 1; i++) waiting.push(await tcp(port))
  const first = await RawPeer.connect(port, { identity: device })
  cleanup.push(() => first.close())
  const refused = await tcp(port)
  await closed(refused)
  expect(refused.gotBytes).toBe(0)
  expect(waiting.filter((s) => s.destroyed)).toEqual([])
  expect(first.closed).toBe(false)
  await expect(tlsTo(port, '127.0.0.1', device)).rejects.toThrow()
  // The one that did TLS says HELLO and is answered; its place is free for a new connection.
  first.send(HELLO)
  await first.next('HELLO')
  const next = await RawPeer.connect(port, { identity: device })
  cleanup.push(() => next.close())
  next.send(HELLO)
  await next.next('HELLO')
}

describe('connections from one address still in their handshake', () => {
  it('the registry server destroys one past the bound before TLS, with no word; the others are untouched', async () => {
    const { port } = await registry({ helloTimeoutMs: 60_000 })
    await expectHandshakeBound(port, await newIdentity())
  })

  it('a folder server destroys one past the bound before TLS, with no word; the others are untouched', async () => {
    const announced = await newIdentity('announced')
    await expectHandshakeBound(await folderServer(tempDir('shared-'), announced), announced)
  })
})

describe('devices waiting for the operator', () => {
  it('past the bound on devices held, a non-member JOIN gets ERROR too-many-connections and the close; those held learn nothing', async () => {
    const { port } = await registry({ maxPending: 2 })
    const held: RawPeer[] = []
    for (let i = 0; i < 2; i++) {
      const peer = await RawPeer.handshake(port)
      cleanup.push(() => peer.close())
      peer.send(JOIN)
      await peer.next('JOIN_PENDING')
      held.push(peer)
    }
    const third = await RawPeer.handshake(port)
    cleanup.push(() => third.close())
    third.send(JOIN)
    expect((await third.next('ERROR')).code).toBe(ErrorCodes['too-many-connections'])
    await third.waitClosed()
    // A held device asking anything is cut off: it is no member.
    held[0]!.send({ type: 'GET_CLIENTS' })
    expect((await held[0]!.next('ERROR')).code).toBe(ErrorCodes['not-a-member'])
    await held[0]!.waitClosed()
    expect(held.flatMap((p) => p.messages.map((m) => m.type))).toEqual([])
    // Its place is free again.
    const fourth = await RawPeer.handshake(port)
    cleanup.push(() => fourth.close())
    fourth.send(JOIN)
    await fourth.next('JOIN_PENDING')
  })
})

/** A member of the registry at `port` that reads until JOIN_OK, then never again. */
async function silentMember(port: number, configDir: string) {
  const identity = await newIdentity('silent-member')
  await makeMember(configDir, identity)
  const socket = await silentPeer(port, [HELLO, JOIN], 'JOIN_OK', identity)
  cleanup.push(() => void socket.destroy())
  return socket
}

describe('frames a peer leaves unsent', () => {
  it('past the frame bound the peer is cut off as a slow consumer, however small the frames', async () => {
    const { port, log, configDir } = await registry({ maxQueueFrames: 64 })
    const socket = await silentMember(port, configDir)
    socket.write(repeated({ type: 'PING' }, 100_000))
    const cut = await log.waitFor('error', { code: 'slow-consumer' }, 10_000)
    expect(cut.message).toMatch(/64 frames/)
  })

  it('PINGs held back while their PONGs wait are all answered once the peer reads', async () => {
    const { port } = await registry()
    const peer = await RawPeer.hello(port)
    cleanup.push(() => peer.close())
    peer.socket.pause()
    peer.sendBytes(repeated({ type: 'PING' }, 200_000))
    peer.socket.resume()
    await peer.until(() => peer.messages.length >= 200_000, 20_000, '200,000 PONGs')
    expect(peer.messages.every((m) => m.type === 'PONG')).toBe(true)
    peer.send({ type: 'GET_CLIENTS' })
    await peer.next('CLIENT_LIST')
  })

  it('a folder server answers every one of thousands of pipelined requests, in order', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'hello')
    const announced = await newIdentity('announced')
    const port = await folderServer(root, announced)
    const peer = await RawPeer.handshake(port, { identity: announced })
    cleanup.push(() => peer.close())
    const paths = Array.from({ length: 5000 }, (_, i) => (i % 2 ? 'a.txt' : `missing-${i}`))
    peer.sendBytes(Buffer.concat(paths.map((p) => encodeMessage({ type: 'GET_FILE', path: p, version: null }))))
    await peer.until(() => peer.messages.filter((m) => m.type !== 'FILE_SIZE').length >= paths.length, 20_000, 'every answer')
    const answered = peer.messages.filter((m) => m.type === 'FILE_NOT_FOUND' || m.type === 'FILE_DATA')
    expect(answered.map((m) => (m.type === 'FILE_NOT_FOUND' ? m.path : 'a.txt'))).toEqual(paths)
  })
})

describe('a peer that asks without reading', () => {
  it('is no longer read, and once it has read nothing of ours for three heartbeats it is cut off', async () => {
    const { port, log, configDir } = await registry({ heartbeatMs: 200 })
    const socket = await silentMember(port, configDir)
    // Far more PONGs than the socket buffers hold, so some wait in the server, unsent.
    socket.write(repeated({ type: 'PING' }, 4_000_000))
    const cut = await log.waitFor('error', { code: 'heartbeat-timeout' }, 20_000)
    expect(cut.message).toMatch(/silent for/)
    expect(log.find('error', { code: 'slow-consumer' })).toBeUndefined()
  })
})
