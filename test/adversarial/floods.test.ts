// Peers that ask and never read the answers: PINGs on the registry server and on a client's
// folder port, GET_FILEs pipelined behind a file that cannot be sent. Every flooding peer is a
// real device over mutual TLS and first becomes what the flood needs: a member of the server
// (added to its member store, then JOIN), or a device the server announced to the client. And
// floods by devices that are no members: a stranger's requests after HELLO, a device held for the
// operator that PINGs, a device the server never announced pipelining requests at a folder port;
// each is held (not read) or cut at its first request. The process taking a flood is a real CLI
// process, its memory read from /proc; it must stay within its bound (the RSS before the flood +
// 64 MB) and serve a legitimate peer afterwards.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, type CliProcess } from '../helpers/cli'
import { startClient, startServerDevice } from '../helpers/mirror-clients'
import { RawPeer, tlsTo } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { knowServer, makeMember, newIdentity, type TestIdentity } from '../helpers/test-identity'
import { decodeBody } from '../../src/main/engine/protocol/codec'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import type { Endpoint } from '../../src/shared/endpoint'
import { HELLO, JOIN, peakDuring, repeated, rssMb, silentPeer } from './flooder'

/** What a flood may add to a process's resident memory (the garbage of the frames it does take). */
const BOUND_MB = 64
/** How long each flood is watched: the flood itself is bounded in bytes. */
const WINDOW_MS = 8000

const open: TLSSocket[] = []
const peers: RawPeer[] = []

afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy()
  for (const peer of peers.splice(0)) peer.close()
  killAll()
  removeTempDirs()
})

/** A registry server process whose member store makeMember and RawPeer know by its port. */
async function server(): Promise<{ port: number; pid: number; configDir: string; cli: CliProcess }> {
  const { port, configDir, cli } = await startServerDevice()
  knowServer(port, configDir)
  return { port, pid: cli.child.pid!, configDir, cli }
}

/** `count` members of the registry that say HELLO and JOIN, read until JOIN_OK, and never again. */
async function silentMembers(port: number, configDir: string, count: number): Promise<TLSSocket[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const identity = await newIdentity('flooding-member')
      await makeMember(configDir, identity)
      return silentPeer(port, [HELLO, JOIN], 'JOIN_OK', identity)
    }),
  )
  open.push(...sockets)
  return sockets
}

/** A device registered at `serverPort` as `endpoint`, once `client` has heard of it. */
async function announced(serverPort: number, client: Awaited<ReturnType<typeof startClient>>, endpoint: Endpoint): Promise<TestIdentity> {
  const identity = await newIdentity('announced-flooder')
  peers.push(await RawPeer.logOn(serverPort, endpoint, { identity }))
  await client.cli.waitFor('peer-joined', { port: endpoint.port, id: identity.idText }, 15_000)
  return identity
}

const closed = (socket: TLSSocket): Promise<void> => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve())))

describe('floods from members that never read', () => {
  it('PINGs on two member connections to the registry server: its memory stays bounded, and it still serves', async () => {
    const { port, pid, configDir } = await server()
    const sockets = await silentMembers(port, configDir, 2)
    const before = rssMb(pid)
    // Four million 5-byte PINGs each, more PONGs than the socket buffers take: nobody reads them.
    const peak = await peakDuring(pid, sockets, repeated({ type: 'PING' }, 4_000_000), WINDOW_MS)
    console.log(`registry server RSS (PINGs from 2 members): ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak of the flood`)
    expect(peak).toBeLessThan(before + BOUND_MB)
    const fresh = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 40001 })
    peers.push(fresh)
    fresh.send({ type: 'GET_CLIENTS' })
    expect((await fresh.next('CLIENT_LIST')).clients).toEqual([])
  })

  it("PINGs on two connections of announced devices to a client's folder port: its memory stays bounded, and it still serves", async () => {
    const { port: serverPort } = await server()
    const client = await startClient(serverPort, tempDir('shared-'), '-w', '1')
    const pid = client.cli.child.pid!
    // Announced at ports nobody listens on: the client's attempts to mirror them fail, harmlessly.
    const devices = [await announced(serverPort, client, { ip: '127.0.0.1', port: 9 }), await announced(serverPort, client, { ip: '127.0.0.1', port: 13 })]
    const sockets = await Promise.all(devices.map((identity) => silentPeer(client.port, [HELLO], 'HELLO', identity)))
    open.push(...sockets)
    const before = rssMb(pid)
    const peak = await peakDuring(pid, sockets, repeated({ type: 'PING' }, 4_000_000), WINDOW_MS)
    console.log(`client RSS (PINGs on its folder port): ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`)
    expect(peak).toBeLessThan(before + BOUND_MB)
    // Still answering: an announced device gets its HELLO and a PONG.
    const fresh = await RawPeer.handshake(client.port, { identity: devices[0]! })
    peers.push(fresh)
    fresh.send({ type: 'PING' })
    await fresh.next('PONG')
  })

  it('GET_FILEs pipelined behind a file that cannot be sent: the requests waiting are bounded', async () => {
    const { port: serverPort } = await server()
    const shared = tempDir('shared-')
    // Far more than the socket buffers take: its answer stalls while nobody reads.
    writeFileSync(path.join(shared, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 7))
    writeFileSync(path.join(shared, 'a'), 'a')
    const client = await startClient(serverPort, shared, '-w', '1')
    const pid = client.cli.child.pid!
    const me = await announced(serverPort, client, { ip: '127.0.0.1', port: 9 })
    const socket = await silentPeer(client.port, [HELLO], 'HELLO', me)
    open.push(socket)
    socket.write(repeated({ type: 'GET_FILE', path: 'big.bin', version: null }, 1))
    const before = rssMb(pid)
    // Half a million 9-byte requests, each to be answered in order after the stalled one.
    const peak = await peakDuring(pid, [socket], repeated({ type: 'GET_FILE', path: 'a', version: null }, 500_000), WINDOW_MS)
    console.log(`client RSS (GET_FILEs pipelined): ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`)
    expect(peak).toBeLessThan(before + BOUND_MB)
  })
})

describe('floods from devices that are no members', () => {
  it('a stranger flooding requests after HELLO is cut at the first (not-a-member); one held for the operator flooding PINGs stays bounded; the server still serves', async () => {
    const { port, pid, cli } = await server()
    // Says HELLO, then floods GET_CLIENTS without JOIN: the first earns ERROR not-a-member and the close.
    const stranger = await silentPeer(port, [HELLO], 'HELLO')
    // Says JOIN with no invite: held for the operator (JOIN_PENDING), then floods PINGs.
    const held = await silentPeer(port, [HELLO, JOIN], 'JOIN_PENDING')
    open.push(stranger, held)
    const before = rssMb(pid)
    const strangerPeak = await peakDuring(pid, [stranger], repeated({ type: 'GET_CLIENTS' }, 1_000_000), WINDOW_MS)
    // The server cut it at its first request (it says so); what followed was never read.
    await cli.waitFor('error', { code: 'not-a-member' }, 10_000)
    const heldPeak = await peakDuring(pid, [held], repeated({ type: 'PING' }, 4_000_000), WINDOW_MS)
    console.log(`registry server RSS (floods by non-members): ${before.toFixed(0)} MB before, ${strangerPeak.toFixed(0)} MB at the peak of a stranger's requests, ${heldPeak.toFixed(0)} MB at the peak of a held device's PINGs`)
    expect(strangerPeak).toBeLessThan(before + BOUND_MB)
    expect(heldPeak).toBeLessThan(before + BOUND_MB)
    const fresh = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 40001 })
    peers.push(fresh)
    fresh.send({ type: 'GET_CLIENTS' })
    expect((await fresh.next('CLIENT_LIST')).clients).toEqual([])
  }, 60_000)

  it("a device the server never announced, pipelining requests at a client's folder port, is not read, then refused (not-a-member); memory stays bounded", async () => {
    const { port: serverPort } = await server()
    const shared = tempDir('shared-')
    writeFileSync(path.join(shared, 'a'), 'a')
    const client = await startClient(serverPort, shared, '-w', '1')
    const pid = client.cli.child.pid!
    // TLS with a valid certificate, HELLO, and half a million GET_FILEs behind it, in the same flood.
    const stranger = await tlsTo(client.port, '127.0.0.1', await newIdentity('stranger'))
    stranger.on('error', () => {})
    const decoder = new FrameDecoder()
    const got: Message[] = []
    stranger.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) got.push(decodeBody(body))
    })
    open.push(stranger)
    stranger.write(repeated(HELLO, 1))
    const before = rssMb(pid)
    const peak = await peakDuring(pid, [stranger], repeated({ type: 'GET_FILE', path: 'a', version: null }, 500_000), WINDOW_MS)
    await client.cli.waitFor('error', { code: 'unknown-peer' }, 15_000)
    await closed(stranger)
    console.log(`client RSS (requests from a device never announced): ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`)
    expect(peak).toBeLessThan(before + BOUND_MB)
    // It learnt nothing: no HELLO, no answer; the ERROR not-a-member at most.
    expect(got.map((m) => (m.type === 'ERROR' ? m.code : m.type))).toEqual(got.length ? [ErrorCodes['not-a-member']] : [])
  })
})
