// Peers that ask and never read the answers: PINGs on the registry server and on a client's
// folder port, GET_FILEs pipelined behind a file that cannot be sent. The process taking them is
// a real CLI process, its memory read from /proc; it must stay within its bound (the RSS before
// the flood + 64 MB) and serve a legitimate peer afterwards.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { startClient, startServer } from '../helpers/mirror-clients'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { runCli } from '../helpers/cli'
import { HELLO, peakDuring, repeated, rssMb, silentPeer } from './flooder'

/** What a flood may add to a process's resident memory (the garbage of the frames it does take). */
const BOUND_MB = 64
/** How long each flood is watched: the flood itself is bounded in bytes. */
const WINDOW_MS = 8000

const open: Socket[] = []

afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy()
  killAll()
  removeTempDirs()
})

async function silent(port: number, count: number): Promise<Socket[]> {
  const sockets = await Promise.all(Array.from({ length: count }, () => silentPeer(port, [HELLO], 'HELLO')))
  open.push(...sockets)
  return sockets
}

describe('floods from peers that never read', () => {
  it('PINGs on two connections to the registry server: its memory stays bounded, and it still serves', async () => {
    const server = runCli(['server', '-p', '0', '--host', '127.0.0.1'])
    const { port } = await server.waitFor('ready')
    const pid = server.child.pid!
    const sockets = await silent(port, 2)
    const before = rssMb(pid)
    // Four million 5-byte PINGs each, more PONGs than the socket buffers take: nobody reads them.
    const peak = await peakDuring(pid, sockets, repeated({ type: 'PING' }, 4_000_000), WINDOW_MS)
    console.log(`registry server RSS: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak of the flood`)
    expect(peak).toBeLessThan(before + BOUND_MB)
    const fresh = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 40001 })
    fresh.send({ type: 'GET_CLIENTS' })
    expect((await fresh.next('CLIENT_LIST')).clients).toEqual([])
    fresh.close()
  })

  it("PINGs on two connections to a client's folder port: its memory stays bounded, and it still serves", async () => {
    const serverPort = await startServer()
    const client = await startClient(serverPort, tempDir('shared-'), '-w', '1')
    const pid = client.cli.child.pid!
    const sockets = await silent(client.port, 2)
    const before = rssMb(pid)
    const peak = await peakDuring(pid, sockets, repeated({ type: 'PING' }, 4_000_000), WINDOW_MS)
    console.log(`client RSS (PINGs on its folder port): ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`)
    expect(peak).toBeLessThan(before + BOUND_MB)
    // Still answering: a new connection gets its HELLO and a PONG.
    const fresh = await RawPeer.hello(client.port)
    fresh.send({ type: 'PING' })
    await fresh.next('PONG')
    fresh.close()
  })

  it('GET_FILEs pipelined behind a file that cannot be sent: the requests waiting are bounded', async () => {
    const serverPort = await startServer()
    const shared = tempDir('shared-')
    // Far more than the socket buffers take: its answer stalls while nobody reads.
    writeFileSync(path.join(shared, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 7))
    writeFileSync(path.join(shared, 'a'), 'a')
    const client = await startClient(serverPort, shared, '-w', '1')
    const pid = client.cli.child.pid!
    // An announced peer (its own port closed: the client's attempts to mirror it fail, harmlessly).
    const me = { ip: '127.0.0.1', port: 9 }
    const registered = await RawPeer.logOn(serverPort, me)
    await client.cli.waitFor('peer-joined', { port: me.port })
    const socket = await silentPeer(client.port, [HELLO, { type: 'IDENTIFY', endpoint: me }], 'IDENTIFY_OK')
    open.push(socket)
    socket.write(repeated({ type: 'GET_FILE', path: 'big.bin', version: null }, 1))
    const before = rssMb(pid)
    // Half a million 9-byte requests, each to be answered in order after the stalled one.
    const peak = await peakDuring(pid, [socket], repeated({ type: 'GET_FILE', path: 'a', version: null }, 500_000), WINDOW_MS)
    console.log(`client RSS (GET_FILEs pipelined): ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`)
    expect(peak).toBeLessThan(before + BOUND_MB)
    registered.close()
  })
})
