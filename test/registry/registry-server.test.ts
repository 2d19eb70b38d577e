// The registry server in-process, driven by hand-made protocol peers over real sockets: mutual
// TLS with real certificates, each peer a device of its own that the test makes a member of the
// server (its member store in the server's config folder) before it says JOIN.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RegistryServer } from '../../src/main/engine/registry/registry-server'
import { Membership } from '../../src/main/engine/identity/membership'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { encodeMessage } from '../../src/main/engine/protocol/codec'
import type { ClientEntry } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import { EventLog } from '../helpers/events'
import { RawPeer, addMembers } from '../helpers/raw-peer'
import { knowServer, newIdentity, serverConfig, type TestIdentity } from '../helpers/test-identity'

const A = { ip: '127.0.0.1', port: 40001 }
const B = { ip: '127.0.0.1', port: 40002 }
const C = { ip: '::1', port: 40003 }

let server: RegistryServer
let log: EventLog
let port: number
/** The server's config folder: its identity and member store. */
let store: string
const peers: RawPeer[] = []

async function start(options: Partial<ConstructorParameters<typeof RegistryServer>[0]> = {}): Promise<void> {
  log = new EventLog()
  const { configDir } = await serverConfig()
  store = configDir
  server = new RegistryServer({ port: 0, host: '127.0.0.1', configDir, name: 'registry-under-test', onEvent: log.sink, ...options })
  port = (await server.start()).port
  knowServer(port, configDir)
}

/** A member device (a new one named `name`, or `identity`) logged on as `endpoint`. */
async function logOn(endpoint: Endpoint, who: string | TestIdentity = 'member'): Promise<RawPeer> {
  const identity = typeof who === 'string' ? await newIdentity(who) : who
  const peer = await RawPeer.logOn(port, endpoint, { identity })
  peers.push(peer)
  return peer
}

/** A member device that said HELLO and JOIN, not logged on. */
async function member(name = 'member'): Promise<RawPeer> {
  const peer = await RawPeer.hello(port, { identity: await newIdentity(name) })
  peers.push(peer)
  return peer
}

/** TLS done, nothing said. */
async function connect(): Promise<RawPeer> {
  const peer = await RawPeer.connect(port)
  peers.push(peer)
  return peer
}

/** The list entry of `peer`'s device at `endpoint`, as CLIENT_LIST and USER_ON carry it. */
function entry(peer: RawPeer, endpoint: Endpoint): ClientEntry {
  return { endpoint, id: peer.identity.id, name: peer.identity.name }
}

/**
 * Everything the server sent `peer` before now has arrived: a GET_CLIENTS round trip (one
 * ordered stream), so a message not seen by then was never sent. Returns the list it got.
 */
async function caughtUp(peer: RawPeer): Promise<ClientEntry[]> {
  peer.send({ type: 'GET_CLIENTS' })
  return (await peer.next('CLIENT_LIST')).clients
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
  expect((await fresh.next('CLIENT_LIST')).clients).toContainEqual(entry(registered, A))
}

beforeEach(async () => {
  await start()
})

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close()
  await server.stop()
})

describe('registration', () => {
  it('announces a new client to the others, with its device ID and name, and lists everyone but the asker', async () => {
    const a = await logOn(A, 'alice')
    const b = await logOn(B, 'bob')
    expect(await a.next('USER_ON')).toEqual({ type: 'USER_ON', ...entry(b, B) })
    const c = await logOn(C, 'Cärol ✓')
    expect(await a.next('USER_ON')).toEqual({ type: 'USER_ON', ...entry(c, C) })
    expect(await b.next('USER_ON')).toEqual({ type: 'USER_ON', ...entry(c, C) })
    expect(await caughtUp(c)).toEqual([entry(a, A), entry(b, B)])
    expect(b.has((m) => m.type === 'USER_ON' && m.endpoint.port === B.port)).toBe(false)
    expect(await log.waitFor('peer-joined', { ip: '::1', port: 40003 })).toMatchObject({ id: c.identity.idText, name: 'Cärol ✓' })
    expect(server.online).toEqual([A, B, C])
  })

  it("refuses another device's LOG_ON for a registered address (duplicate) and its LOG_OFF of that entry, and changes nothing", async () => {
    const a = await logOn(A, 'alice')
    const impostor = await member('mallory')
    impostor.send({ type: 'LOG_ON', endpoint: A })
    const error = await impostor.next('ERROR')
    expect(error.code).toBe(ErrorCodes.duplicate)
    expect(error.text).toContain('127.0.0.1:40001')
    impostor.send({ type: 'LOG_OFF', endpoint: A })
    expect(await impostor.next('ERROR_IP_PORT_NOT_FOUND_IN_LIST')).toEqual({ type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint: A })
    expect(await caughtUp(impostor)).toEqual([entry(a, A)])
    expect(server.online).toEqual([A])
    // The refusals cost the impostor nothing but the entry: it may still log on as itself.
    impostor.send({ type: 'LOG_ON', endpoint: B })
    expect(await impostor.next('LOG_ON_OK')).toEqual({ type: 'LOG_ON_OK', endpoint: B })
    expect(await a.next('USER_ON')).toEqual({ type: 'USER_ON', ...entry(impostor, B) })
    await caughtUp(a)
    expect(a.closed).toBe(false)
    expect(a.has((m) => m.type === 'USER_OFF')).toBe(false)
    expect(log.find('peer-left')).toBeUndefined()
  })

  it('lets the same device reconnect in place of its stale connection, quietly', async () => {
    const b = await logOn(B, 'bob')
    const first = await logOn(A, 'alice')
    await b.next('USER_ON')
    const again = await logOn(A, first.identity)
    await first.waitClosed()
    expect(await caughtUp(again)).toEqual([entry(b, B)])
    // LOG_ON_OK went to the new connection after anything the takeover sent the others.
    expect(await caughtUp(b)).toEqual([entry(again, A)])
    expect(b.has((m) => m.type === 'USER_OFF' || m.type === 'USER_ON')).toBe(false)
    expect(log.find('peer-left')).toBeUndefined()
    expect(log.count('peer-joined')).toBe(2)
    expect(server.online).toEqual([B, A])
  })

  it('moves a device that comes back at another address: its old entry leaves, the new one arrives', async () => {
    const b = await logOn(B, 'bob')
    const first = await logOn(A, 'alice')
    await b.next('USER_ON')
    const moved = await logOn(C, first.identity)
    await first.waitClosed()
    expect(await b.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: A, id: first.identity.id, reason: 'connection-lost' })
    expect(await b.next('USER_ON')).toEqual({ type: 'USER_ON', ...entry(moved, C) })
    expect(await caughtUp(b)).toEqual([entry(moved, C)])
    expect(server.online).toEqual([B, C])
  })

  it('takes a client off on LOG_OFF and tells the others who and why', async () => {
    const a = await logOn(A, 'alice')
    const b = await logOn(B, 'bob')
    await a.next('USER_ON')
    b.send({ type: 'LOG_OFF', endpoint: B })
    expect(await b.next('LOG_OFF_OK')).toEqual({ type: 'LOG_OFF_OK', endpoint: B })
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, id: b.identity.id, reason: 'log-off' })
    expect(await log.waitFor('peer-left', { port: B.port })).toMatchObject({ reason: 'log-off', id: b.identity.idText, name: 'bob' })
    expect(await caughtUp(a)).toEqual([])
  })

  it("answers LOG_OFF of an entry that is not the asker's with ERROR_IP_PORT_NOT_FOUND_IN_LIST", async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    const unknown = { ip: '127.0.0.1', port: 45555 }
    b.send({ type: 'LOG_OFF', endpoint: unknown })
    expect(await b.next('ERROR_IP_PORT_NOT_FOUND_IN_LIST')).toEqual({ type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', endpoint: unknown })
    b.send({ type: 'LOG_OFF', endpoint: A })
    expect((await b.next('ERROR_IP_PORT_NOT_FOUND_IN_LIST')).endpoint).toEqual(A)
    expect(server.online).toEqual([A, B])
    await caughtUp(a)
    expect(a.closed).toBe(false)
    expect(a.has((m) => m.type === 'USER_OFF')).toBe(false)
  })

  it('refuses a second LOG_ON on a logged-on connection (already-logged-on) and keeps the first', async () => {
    const a = await logOn(A)
    a.send({ type: 'LOG_ON', endpoint: B })
    expect((await a.next('ERROR')).code).toBe(ErrorCodes['already-logged-on'])
    expect(server.online).toEqual([A])
    expect(a.closed).toBe(false)
  })

  it('removes a client whose connection drops and announces it as connection-lost', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    await a.next('USER_ON')
    b.close()
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, id: b.identity.id, reason: 'connection-lost' })
  })

  // Every device a TLS connection of its own, both ends in this process, and every USER_ON to every
  // one before it (n²/2 frames, each encrypted and decrypted here): 300 keeps this test within its
  // time. bench/registry.ts runs 1,000 against a real server process.
  it('holds three hundred devices, each with its own list', async () => {
    await server.stop()
    // The peers never PING: a heartbeat long enough that none is dropped however slow the machine.
    await start({ heartbeatMs: 3_600_000 })
    const count = 300
    const identities = await Promise.all(Array.from({ length: count }, (_, i) => newIdentity(`device ${i}`)))
    // One write of the member store for all of them (makeMember writes it once per device).
    await addMembers(port, identities)
    const joined: RawPeer[] = []
    for (let i = 0; i < count; i += 100) {
      const batch = identities.slice(i, i + 100).map((identity, j) => RawPeer.logOn(port, { ip: '127.0.0.1', port: 20000 + i + j }, { identity, inStore: true }))
      const more = await Promise.all(batch)
      peers.push(...more)
      joined.push(...more)
    }
    expect(server.online).toHaveLength(count)
    const last = joined[count - 1]!
    const list = await caughtUp(last)
    expect(list).toHaveLength(count - 1)
    expect(new Set(list.map((c) => c.endpoint.port)).size).toBe(count - 1)
    // Each entry carries the device that logged on there (in order of arrival, which within a
    // batch is any order).
    for (const client of list) {
      const i = client.endpoint.port - 20000
      expect(client).toEqual({ endpoint: { ip: '127.0.0.1', port: 20000 + i }, id: identities[i]!.id, name: `device ${i}` })
    }
    // The first client has heard of every one after it.
    await joined[0]!.until(() => joined[0]!.messages.filter((m) => m.type === 'USER_ON').length === count - 1, 10_000, 'every USER_ON')
  })
})

describe('membership', () => {
  it('a member asking anything before JOIN is refused (not-a-member) and learns nothing', async () => {
    const identity = await newIdentity('early')
    await addMembers(port, [identity])
    await logOn(A)
    const early = await RawPeer.handshake(port, { identity })
    peers.push(early)
    early.send({ type: 'GET_CLIENTS' })
    expect((await early.next('ERROR')).code).toBe(ErrorCodes['not-a-member'])
    await early.waitClosed()
    expect(early.has((m) => m.type === 'CLIENT_LIST' || m.type === 'USER_ON')).toBe(false)
  })

  it('a device that is no member is held (JOIN_PENDING) and let in when the operator accepts it', async () => {
    const a = await logOn(A, 'alice')
    const stranger = await RawPeer.handshake(port, { identity: await newIdentity('stranger') })
    peers.push(stranger)
    stranger.send({ type: 'JOIN', token: Buffer.alloc(0) })
    await stranger.next('JOIN_PENDING')
    expect(await log.waitFor('join-request', { id: stranger.identity.idText })).toMatchObject({ name: 'stranger' })
    const membership = await Membership.open(store)
    expect(await membership.accept(stranger.identity.id)).toBe('accepted')
    await stranger.next('JOIN_OK')
    stranger.send({ type: 'LOG_ON', endpoint: B })
    await stranger.next('LOG_ON_OK')
    expect(await a.next('USER_ON')).toEqual({ type: 'USER_ON', ...entry(stranger, B) })
  })

  it('a removed member is cut off, announced as removed, and refused when it comes back', async () => {
    const a = await logOn(A, 'alice')
    const b = await logOn(B, 'bob')
    await a.next('USER_ON')
    const membership = await Membership.open(store)
    expect(await membership.remove(b.identity.id)).toBe('removed')
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, id: b.identity.id, reason: 'removed' })
    expect((await b.next('ERROR')).code).toBe(ErrorCodes.removed)
    await b.waitClosed()
    const back = await RawPeer.handshake(port, { identity: b.identity })
    peers.push(back)
    back.send({ type: 'JOIN', token: Buffer.alloc(0) })
    expect((await back.next('ERROR')).code).toBe(ErrorCodes.removed)
    await back.waitClosed()
    // The server's own line says what it did, in its words: "this device was removed" is the device's.
    const line = await log.waitFor('error', { code: 'removed' })
    expect(line.message).toMatch(new RegExp(`: turned away bob \\(${b.identity.idText}\\): it was removed from this server's members$`))
    expect(await caughtUp(a)).toEqual([])
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
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, id: b.identity.id, reason: 'connection-lost' })
  })

  it('handles the whole frames that came before a broken one in the same read', async () => {
    const a = await logOn(A)
    const b = await logOn(B)
    await a.next('USER_ON')
    b.sendBytes(Buffer.concat([encodeMessage({ type: 'LOG_OFF', endpoint: B }), Buffer.from([0xff, 0xff, 0xff, 0xff])]))
    expect(await b.next('LOG_OFF_OK')).toEqual({ type: 'LOG_OFF_OK', endpoint: B })
    expect((await b.next('ERROR')).code).toBe(ErrorCodes['frame-too-large'])
    expect(await a.next('USER_OFF')).toEqual({ type: 'USER_OFF', endpoint: B, id: b.identity.id, reason: 'log-off' })
  })

  it.each([
    ['port 0', [4, 127, 0, 0, 1, 0, 0]],
    ['the unspecified address', [4, 0, 0, 0, 0, 0x9c, 0x41]],
    ['a multicast address', [4, 224, 0, 0, 1, 0x9c, 0x41]],
    ['family 5', [5, 127, 0, 0, 1, 0x9c, 0x41]],
  ])('refuses LOG_ON with %s as bad-address', async (_name, payload) => {
    const a = await logOn(A)
    const bad = await member()
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
    bad.send({ type: 'HELLO', version: PROTOCOL_VERSION + 1, role: 'client', heartbeatMs: 0, name: 'from the future' })
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
    const bad = await member()
    bad.send({ type: 'USER_ON', endpoint: B, id: bad.identity.id, name: 'me' })
    expect((await bad.next('ERROR')).code).toBe(ErrorCodes['unexpected-message'])
    await bad.waitClosed()
  })

  it('cuts off an oversize frame as soon as its length arrives', async () => {
    const bad = await member()
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
      expect(await watcher.next('USER_OFF', 5000)).toEqual({ type: 'USER_OFF', endpoint: B, id: silent.identity.id, reason: 'timeout' })
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
    expect((await b.next('CLIENT_LIST')).clients.map((c) => c.endpoint.port)).toContain(40010)
  })
})
