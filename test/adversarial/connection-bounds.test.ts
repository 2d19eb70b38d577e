// Per-connection and per-address bounds, each driven past its bound: connections from one address
// still in their handshake, frames left unsent to a peer that does not read. And the other side
// of holding a peer's requests back: nothing is lost, every request is answered once it reads.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderServer } from '../../src/main/engine/client/folder-server'
import { DEFAULT_MAX_HANDSHAKES_PER_IP } from '../../src/main/engine/defaults'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { encodeMessage } from '../../src/main/engine/protocol/codec'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { RegistryServer } from '../../src/main/engine/registry/registry-server'
import { EventLog } from '../helpers/events'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { HELLO, repeated, silentPeer } from './flooder'

const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})

async function registry(options: Partial<ConstructorParameters<typeof RegistryServer>[0]> = {}): Promise<{ port: number; log: EventLog }> {
  const log = new EventLog()
  const server = new RegistryServer({ port: 0, host: '127.0.0.1', onEvent: log.sink, ...options })
  const { port } = await server.start()
  cleanup.push(() => server.stop())
  return { port, log }
}

async function folderServer(root: string): Promise<number> {
  const log = new EventLog()
  const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), log.sink)
  await index.open()
  const server = new FolderServer({
    port: 0,
    host: '127.0.0.1',
    nodeId: randomBytes(16),
    index,
    peers: { has: (key) => key === '127.0.0.1:40001', waitFor: async (key) => key === '127.0.0.1:40001' },
    onEvent: log.sink,
  })
  const { port } = await server.start()
  cleanup.push(() => index.close(), () => server.stop())
  return port
}

async function connected(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect(port)
  cleanup.push(() => peer.close())
  return peer
}

/**
 * Opens as many connections as one address may have in their handshake, none saying HELLO;
 * the next one is refused with ERROR too-many-connections and closed. Once one of them has said
 * HELLO, its place is free again.
 */
async function expectHandshakeBound(port: number): Promise<void> {
  const waiting: RawPeer[] = []
  for (let i = 0; i < DEFAULT_MAX_HANDSHAKES_PER_IP; i++) waiting.push(await connected(port))
  const refused = await connected(port)
  const error = await refused.next('ERROR')
  expect(error.code).toBe(ErrorCodes['too-many-connections'])
  expect(error.text).toMatch(/127\.0\.0\.1/)
  await refused.waitClosed()
  // The ones waiting are untouched: one says HELLO and is answered.
  const first = waiting[0]!
  first.send(HELLO)
  await first.next('HELLO')
  const next = await connected(port)
  next.send(HELLO)
  await next.next('HELLO')
}

describe('connections from one address still in their handshake', () => {
  it('the registry server refuses one past the bound, with a clear error', async () => {
    const { port } = await registry()
    await expectHandshakeBound(port)
  })

  it('a folder server refuses one past the bound, with a clear error', async () => {
    await expectHandshakeBound(await folderServer(tempDir('shared-')))
  })
})

describe('frames a peer leaves unsent', () => {
  it('past the frame bound the peer is cut off as a slow consumer, however small the frames', async () => {
    const { port, log } = await registry({ maxQueueFrames: 64 })
    const socket: Socket = await silentPeer(port, [HELLO], 'HELLO')
    cleanup.push(() => void socket.destroy())
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
    const port = await folderServer(root)
    const peer = await RawPeer.hello(port)
    cleanup.push(() => peer.close())
    peer.send({ type: 'IDENTIFY', endpoint: { ip: '127.0.0.1', port: 40001 } })
    await peer.next('IDENTIFY_OK')
    const paths = Array.from({ length: 5000 }, (_, i) => (i % 2 ? 'a.txt' : `missing-${i}`))
    peer.sendBytes(Buffer.concat(paths.map((p) => encodeMessage({ type: 'GET_FILE', path: p, version: null }))))
    await peer.until(() => peer.messages.filter((m) => m.type !== 'FILE_SIZE').length >= paths.length, 20_000, 'every answer')
    const answered = peer.messages.filter((m) => m.type === 'FILE_NOT_FOUND' || m.type === 'FILE_DATA')
    expect(answered.map((m) => (m.type === 'FILE_NOT_FOUND' ? m.path : 'a.txt'))).toEqual(paths)
  })
})

describe('a peer that asks without reading', () => {
  it('is no longer read, and once it has read nothing of ours for three heartbeats it is cut off', async () => {
    const { port, log } = await registry({ heartbeatMs: 200 })
    const socket: Socket = await silentPeer(port, [HELLO], 'HELLO')
    cleanup.push(() => void socket.destroy())
    // Far more PONGs than the socket buffers hold, so some wait in the server, unsent.
    socket.write(repeated({ type: 'PING' }, 4_000_000))
    const cut = await log.waitFor('error', { code: 'heartbeat-timeout' }, 20_000)
    expect(cut.message).toMatch(/silent for/)
    expect(log.find('error', { code: 'slow-consumer' })).toBeUndefined()
  })
})
