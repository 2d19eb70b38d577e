// The registry server in-process, driven by hand-made protocol peers over real sockets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RegistryServer } from '../../src/main/engine/registry/registry-server'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { encodeMessage } from '../../src/main/engine/protocol/codec'
import { EventLog } from '../helpers/events'
import { RawPeer } from '../helpers/raw-peer'

const A = { ip: '127.0.0.1', port: 40001 }
const B = { ip: '127.0.0.1', port: 40002 }
const C = { ip: '::1', port: 40003 }

let server: RegistryServer
let log: EventLog
let port: number
const peers: RawPeer[] = []

async function start(options: Partial<ConstructorParameters<typeof RegistryServer>[0]> = {}): Promise<void> {
  log = new EventLog()
  server = new RegistryServer({ port: 0, host: '127.0.0.1', onEvent: log.sink, ...options })
  port = (await server.start()).port
}

async function logOn(endpoint: { ip: string; port: number }, nodeId?: Buffer): Promise<RawPeer> {
  const peer = await RawPeer.logOn(port, endpoint, nodeId)
  peers.push(peer)
  return peer
}

async function connect(): Promise<RawPeer> {
  const peer = await RawPeer.connect(port)
  peers.push(peer)
  return peer
}

/** The server still serves: a fresh client logs on and the registered one hears of it. */
async function expectStillServing(registered: RawPeer, probe = { ip: '127.0.0.1', port: 49999 }): Promise<void> {
  const fresh = await logOn(probe)
  await registered.until(
    () => registered.has((m) => m.type === 'USER_ON' && m.endpoint.port === probe.port),
    5000,
    `USER_ON for ${probe.port}`,
  )
  fresh.send({ type: 'GET_CLIENTS' })
  expect((await fresh.next('CLIENT_LIST')).clients).toContainEqual(A)
}

beforeEach(async () => {
  await start()
})

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close()
  await server.stop()
})

describe('registration', () => {
  it('announces a new client to the others and lists everyone but the asker', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    expect(await a.next('USER_ON')).toEqual({ type: 'USER_ON', endpoint: B })
    const c = await logOn(C)
    expect(await a.next('USER_ON')).toEqual({ type: 'USER_ON', endpoint: C })
    expect(await b.next('USER_ON')).toEqual({ type: 'USER_ON', endpoint: C })
    c.send({ type: 'GET_CLIENTS' })
    expect((await c.next('CLIENT_LIST')).clients).toEqual([A, B])
    expect(b.has((m) => m.type === 'USER_ON' && m.endpoint.port === B.port)).toBe(false)
    await log.waitFor('peer-joined', { ip: '::1', port: 40003 })
    expect(server.online).toEqual([A, B, C])
  })

  it('refuses a duplicate address from another node and changes nothing', async () => {
    const a = await logOn(A)
    const impostor = await RawPeer.hello(port)
    peers.push(impostor)
    impostor.send({ type: 'LOG_ON', endpoint: A })
    const error = await impostor.next('ERROR')
    expect(error.code).toBe(ErrorCodes.duplicate)
    expect(error.text).toContain('127.0.0.1:40001')
    impostor.send({ type: 'GET_CLIENTS' })
    expect((await impostor.next('CLIENT_LIST')).clients).toEqual([A])
    expect(server.online).toEqual([A])
    expect(a.closed).toBe(false)
    expect(a.has((m) => m.type === 'USER_OFF' || m.type === 'USER_ON')).toBe(false)
  })

  it('lets the same node reconnect in place of its stale connection, quietly', async () => {
    const b = await logOn(B)
    const first = await logOn(A)
    await b.next('USER_ON')
    const again = await logOn(A, first.nodeId)
    await first.waitClosed()
    again.send({ type: 'GET_CLIENTS' })
    expect((await again.next('CLIENT_LIST')).clients).toEqual([B])
    await new Promise((r) => setTimeout(r, 100))
    expect(b.has((m) => m.type === 'USER_OFF' || m.type === 'USER_ON')).toBe(false)
    expect(server.online).toEqual([B, A])
  })

  it('takes a client off on LOG_OFF and tells the others why', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    await a.next('USER_ON')
    b.send({ type: 'LOG_OFF', endpoint: B })
    expect(await b.next('LOG_OFF_OK')).toEqual({ type: 'LOG_OFF_OK', endpoint: B })
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, reason: 'log-off' })
    expect(await log.waitFor('peer-left', { port: B.port })).toMatchObject({ reason: 'log-off' })
  })

  it('answers LOG_OFF of an entry that is not the asker\'s with ERROR_IP_PORT_NOT_FOUND_IN_LIST', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    const unknown = { ip: '127.0.0.1', port: 45555 }
    b.send({ type: 'LOG_OFF', endpoint: unknown })
    expect(await b.next('ERROR_IP_PORT_NOT_FOUND_IN_LIST')).toEqual({ type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint: unknown })
    b.send({ type: 'LOG_OFF', endpoint: A })
    expect((await b.next('ERROR_IP_PORT_NOT_FOUND_IN_LIST')).endpoint).toEqual(A)
    expect(server.online).toEqual([A, B])
    expect(a.closed).toBe(false)
  })

  it('removes a client whose connection drops and announces it as connection-lost', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    await a.next('USER_ON')
    b.close()
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, reason: 'connection-lost' })
  })

  it('holds a thousand clients, each with its own list', async () => {
    const count = 1000
    const joined: RawPeer[] = []
    for (let i = 0; i < count; i += 100) {
      joined.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => logOn({ ip: '127.0.0.1', port: 20000 + i + j })))))
    }
    expect(server.online).toHaveLength(count)
    const last = joined[count - 1]!
    last.send({ type: 'GET_CLIENTS' })
    const list = (await last.next('CLIENT_LIST')).clients
    expect(list).toHaveLength(count - 1)
    expect(new Set(list.map((c) => c.port)).size).toBe(count - 1)
    // The first client has heard of every one after it.
    await joined[0]!.until(() => joined[0]!.messages.filter((m) => m.type === 'USER_ON').length === count - 1, 10_000, 'every USER_ON')
  })
})

describe('bad input touches only its own connection', () => {
  it.each([
    ['garbage', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'frame-too-large'],
    ['an oversize length', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), 'frame-too-large'],
    ['a zero length', Buffer.from([0, 0, 0, 0]), 'bad-frame'],
    ['an unknown type', Buffer.from([0, 0, 0, 1, 0x7e]), 'unknown-type'],
  ])('%s gets an ERROR and a closed connection', async (_name, bytes, code) => {
    const a = await logOn(A)
    const bad = await connect()
    bad.sendBytes(bytes)
    const error = await bad.next('ERROR')
    expect(error.code).toBe(ErrorCodes[code as keyof typeof ErrorCodes])
    await bad.waitClosed()
    await log.waitFor('error', { code })
    await expectStillServing(a)
  })

  it('closes a registered client that sends garbage and tells the others it left', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    await a.next('USER_ON')
    b.sendBytes(Buffer.from([0, 0, 0, 2, 0x10, 9]))
    expect((await b.next('ERROR')).code).toBe(ErrorCodes['bad-address'])
    await b.waitClosed()
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, reason: 'connection-lost' })
  })

  it('handles the whole frames that came before a broken one in the same read', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    await a.next('USER_ON')
    b.sendBytes(Buffer.concat([encodeMessage({ type: 'LOG_OFF', endpoint: B }), Buffer.from([0xff, 0xff, 0xff, 0xff])]))
    expect(await b.next('LOG_OFF_OK')).toEqual({ type: 'LOG_OFF_OK', endpoint: B })
    expect((await b.next('ERROR')).code).toBe(ErrorCodes['frame-too-large'])
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, reason: 'log-off' })
  })

  it.each([
    ['port 0', [4, 127, 0, 0, 1, 0, 0]],
    ['the unspecified address', [4, 0, 0, 0, 0, 0x9c, 0x41]],
    ['a multicast address', [4, 224, 0, 0, 1, 0x9c, 0x41]],
    ['family 5', [5, 127, 0, 0, 1, 0x9c, 0x41]],
  ])('refuses LOG_ON with %s as bad-address', async (_name, payload) => {
    const a = await logOn(A)
    const bad = await RawPeer.hello(port)
    peers.push(bad)
    const body = Buffer.from([0x10, ...payload])
    const frame = Buffer.alloc(4 + body.length)
    frame.writeUInt32BE(body.length, 0)
    body.copy(frame, 4)
    bad.sendBytes(frame)
    expect((await bad.next('ERROR')).code).toBe(ErrorCodes['bad-address'])
    await bad.waitClosed()
    expect(server.online).toEqual([A])
    await expectStillServing(a)
  })

  it('refuses a peer that speaks another protocol version', async () => {
    const bad = await connect()
    bad.send({ type: 'HELLO', version: PROTOCOL_VERSION + 1, role: 'client', nodeId: bad.nodeId, heartbeatMs: 0, auth: Buffer.alloc(0) })
    const error = await bad.next('ERROR')
    expect(error.code).toBe(ErrorCodes['version-mismatch'])
    expect(error.text).toContain(`version ${PROTOCOL_VERSION}`)
    await bad.waitClosed()
  })

  it('refuses requests before HELLO', async () => {
    const bad = await connect()
    bad.send({ type: 'GET_CLIENTS' })
    expect((await bad.next('ERROR')).code).toBe(ErrorCodes['unexpected-message'])
    await bad.waitClosed()
  })

  it('refuses messages only a server sends', async () => {
    const bad = await RawPeer.hello(port)
    peers.push(bad)
    bad.send({ type: 'USER_ON', endpoint: B })
    expect((await bad.next('ERROR')).code).toBe(ErrorCodes['unexpected-message'])
    await bad.waitClosed()
  })

  it('cuts off an oversize frame as soon as its length arrives', async () => {
    const bad = await RawPeer.hello(port)
    peers.push(bad)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0)
    bad.sendBytes(header)
    expect((await bad.next('ERROR')).code).toBe(ErrorCodes['frame-too-large'])
    await bad.waitClosed()
  })
})

describe('timeouts and slow readers', () => {
  it('closes a connection that never says HELLO', async () => {
    await server.stop()
    await start({ helloTimeoutMs: 300 })
    const a = await logOn(A)
    const silent = await connect()
    expect((await silent.next('ERROR')).code).toBe(ErrorCodes['hello-timeout'])
    await silent.waitClosed()
    await expectStillServing(a)
  })

  it('drops a client that goes silent, by heartbeat, and announces a timeout', async () => {
    await server.stop()
    await start({ heartbeatMs: 200 })
    const watcher = await logOn(A)
    const silent = await logOn(B)
    // The watcher keeps pinging as a client must; the silent one never does.
    const ping = setInterval(() => watcher.send({ type: 'PING' }), 100)
    try {
      expect(await watcher.next('USER_OFF', 5000)).toEqual({ type: 'USER_OFF', endpoint: B, reason: 'timeout' })
      expect(watcher.closed).toBe(false)
      await silent.waitClosed()
      expect(await log.waitFor('peer-left', { port: B.port })).toMatchObject({ reason: 'timeout' })
    } finally {
      clearInterval(ping)
    }
  })

  it('cuts off a client that stops reading, and the rest keep working', async () => {
    await server.stop()
    // Below what PACE_FRAMES answers take: cut by the byte bound before its reading is held back.
    await start({ maxQueueBytes: 16 * 1024 })
    const a = await logOn(A)
    const b = await logOn(B)
    await logOn({ ip: '127.0.0.1', port: 40010 })
    const stalled = await logOn({ ip: '127.0.0.1', port: 40011 })
    stalled.socket.pause()
    // Ask for far more than the queue bound and the kernel's buffers can hold, never reading.
    const request = Buffer.from([0, 0, 0, 1, 0x14])
    const flood = Buffer.concat(Array.from({ length: 200_000 }, () => request))
    stalled.sendBytes(flood)
    expect(await a.next('USER_OFF', 15_000)).toMatchObject({ endpoint: { port: 40011 }, reason: 'connection-lost' })
    await log.waitFor('error', { code: 'slow-consumer' })
    await expectStillServing(a)
    b.send({ type: 'GET_CLIENTS' })
    expect((await b.next('CLIENT_LIST')).clients.map((c) => c.port)).toContain(40010)
  })
})
