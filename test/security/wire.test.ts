// Who can learn what on the wire (issue 19): a stranger with a good certificate but no membership,
// a client pinning another server, a TLS-terminating proxy, a recording proxy between two clients,
// and the registration takeover. Real sockets on 127.0.0.1, real certificates, real CLI processes.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Membership } from '../../src/main/engine/identity/membership'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import type { Message } from '../../src/main/engine/protocol/messages'
import { parseDeviceId } from '../../src/shared/device-id'
import { killAll } from '../helpers/cli'
import { freePort } from '../helpers/ports'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs } from '../helpers/temp'
import { makeMember, newIdentity, type TestIdentity } from '../helpers/test-identity'
import { filesUnder, invite, RecordingProxy, startClient, startServer, TlsMitm, type RunningServer } from './world'

const closers: Array<() => Promise<void>> = []

afterEach(async () => {
  killAll()
  for (const close of closers.splice(0)) await close().catch(() => {})
  removeTempDirs()
})

function hello(name: string): Message {
  return { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name }
}

/** A raw peer that said HELLO (and got the server's) and JOIN, as `identity`. */
async function joined(port: number, identity: TestIdentity): Promise<RawPeer> {
  const peer = await RawPeer.handshake(port, { identity })
  peer.send({ type: 'JOIN', token: Buffer.alloc(0) })
  await peer.next('JOIN_OK')
  return peer
}

async function membersOf(server: RunningServer) {
  return (await Membership.open(server.config)).list()
}

describe('a stranger with a valid self-signed certificate but no membership', () => {
  it('is held by the registry (JOIN_PENDING), refused on any request, and refused by a client before HELLO: no list, no name, no byte', async () => {
    const server = await startServer()
    const marker = `STRANGER-MARKER-${randomBytes(8).toString('hex')}`
    const fileName = `secret-${randomBytes(4).toString('hex')}.txt`
    const member = await startClient({ serverPort: server.port, name: 'alice-member', extra: ['--join', invite(server)] })
    writeFileSync(path.join(member.dir, fileName), marker)
    await member.proc.waitFor('registered')

    const stranger = await newIdentity('stranger')
    // The registry: JOIN without a token is held, and the next request ends the connection.
    const atServer = await RawPeer.handshake(server.port, { identity: stranger })
    const seenAtServer: Buffer[] = []
    atServer.socket.on('data', (chunk: Buffer) => seenAtServer.push(Buffer.from(chunk)))
    atServer.send({ type: 'JOIN', token: Buffer.alloc(0) })
    await atServer.next('JOIN_PENDING')
    expect(await server.proc.waitFor('join-request', { id: stranger.idText })).toMatchObject({ name: 'stranger' })
    atServer.send({ type: 'GET_CLIENTS' })
    const refusal = await atServer.next('ERROR')
    expect(refusal.code).toBe(ErrorCodes['not-a-member'])
    await atServer.waitClosed()
    expect(atServer.messages.map((m) => m.type)).toEqual([])
    // Every byte it got: HELLO, JOIN_PENDING, ERROR. Not the member's name, address or ID.
    const serverBytes = Buffer.concat(seenAtServer)
    expect(serverBytes.includes('alice-member')).toBe(false)
    expect(serverBytes.includes(Buffer.from(parseDeviceId(member.id).bytes!))).toBe(false)

    // A LOG_ON and a LOG_OFF straight after HELLO: refused too, no one is told anything.
    const pushy = await RawPeer.handshake(server.port, { identity: stranger })
    pushy.send({ type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: 1 } })
    expect((await pushy.next('ERROR')).code).toBe(ErrorCodes['not-a-member'])
    await pushy.waitClosed()
    expect(member.proc.find('peer-joined', { port: 1 })).toBeUndefined()

    // The member's folder port: refused before HELLO, whatever it asks behind its HELLO.
    const atClient = await RawPeer.connect(member.port, { identity: stranger })
    const seenAtClient: Buffer[] = []
    atClient.socket.on('data', (chunk: Buffer) => seenAtClient.push(Buffer.from(chunk)))
    atClient.send(hello('stranger'))
    atClient.send({ type: 'GET_FILE_LIST' })
    atClient.send({ type: 'GET_FILE', path: fileName, version: null })
    atClient.send({ type: 'GET_FILES', files: [{ path: fileName, version: null }] })
    atClient.send({ type: 'SUBSCRIBE' })
    await atClient.waitClosed(10_000)
    expect(atClient.messages.map((m) => m.type)).toEqual(['ERROR'])
    expect((atClient.messages[0] as { code: number }).code).toBe(ErrorCodes['not-a-member'])
    const clientBytes = Buffer.concat(seenAtClient)
    expect(clientBytes.includes(fileName)).toBe(false)
    expect(clientBytes.includes(marker)).toBe(false)
    expect(await member.proc.waitFor('error', { code: 'unknown-peer' })).toBeTruthy()
    // Still only a request in the server's store.
    expect((await membersOf(server)).find((m) => m.id === stranger.id.toString('hex'))?.state).toBe('pending')
  })
})

describe('pinning', () => {
  it('a client that pins the wrong server ID refuses it (peer-id-mismatch, exit 1) and sends nothing', async () => {
    const server = await startServer()
    const other = await newIdentity('not-the-server')
    const client = await startClient({ serverPort: server.port, extra: ['--server-id', other.idText] })
    const error = await client.proc.waitFor('error', { code: 'peer-id-mismatch' })
    expect(error.message).toContain(other.idText.slice(0, 7))
    expect((await client.proc.exited).code).toBe(1)
    expect(client.proc.find('registered')).toBeUndefined()
    // Nothing reached the server: no JOIN (which would have made a request), no event.
    expect(await membersOf(server)).toEqual([])
    expect(server.proc.find('join-request')).toBeUndefined()
    expect(existsSync(path.join(client.config, 'server.json'))).toBe(false)
  })

  it('a TLS-terminating proxy with its own certificate is refused by the client (pin) and by the server (not a member)', async () => {
    const server = await startServer()
    const proxyIdentity = await newIdentity('mitm')
    const mitm = await TlsMitm.start(proxyIdentity, { host: '127.0.0.1', port: server.port })
    closers.push(() => mitm.close())

    // Client side: an invite whose address leads to the proxy. The pin (the server's ID, in the
    // invite) does not match the proxy's certificate: refused before any protocol byte.
    const victim = await startClient({ serverPort: mitm.port, extra: ['--join', invite(server, `127.0.0.1:${mitm.port}`)] })
    const error = await victim.proc.waitFor('error', { code: 'peer-id-mismatch' })
    expect(error.message).toContain(proxyIdentity.idText.slice(0, 7))
    expect((await victim.proc.exited).code).toBe(1)
    // It did reach the proxy (and, TLS 1.3, dropped the connection as soon as it saw the
    // certificate, before even the proxy's side of the handshake had finished).
    expect(mitm.connections).toBeGreaterThanOrEqual(1)
    // Not one byte of plaintext from the client: no HELLO, no JOIN, no invite token.
    expect(Buffer.concat(mitm.fromClients.flat()).length).toBe(0)
    expect(existsSync(path.join(victim.config, 'server.json'))).toBe(false)

    // Server side: a careless member that pins nothing goes through the proxy. The server sees
    // the proxy's certificate, which is no member: held, then refused; the member's own
    // membership is of no use to the proxy.
    const member = await newIdentity('careless-member')
    await makeMember(server.config, member)
    const careless = await RawPeer.handshake(mitm.port, { identity: member })
    // What the careless side could have checked: the certificate is the proxy's.
    expect(careless.serverId!.equals(proxyIdentity.id)).toBe(true)
    careless.send({ type: 'JOIN', token: Buffer.alloc(0) })
    await careless.next('JOIN_PENDING')
    expect(await server.proc.waitFor('join-request', { id: proxyIdentity.idText })).toBeTruthy()
    careless.send({ type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: 40999 } })
    careless.send({ type: 'GET_CLIENTS' })
    expect((await careless.next('ERROR')).code).toBe(ErrorCodes['not-a-member'])
    await careless.waitClosed()
    expect(careless.messages.filter((m) => m.type === 'CLIENT_LIST' || m.type === 'LOG_ON_OK')).toEqual([])
    expect(server.proc.find('peer-joined')).toBeUndefined()
  })
})

describe('a recording TCP proxy on the path', () => {
  it('sees TLS and never the marker, the file name or the device names, while a file syncs through it', async () => {
    const server = await startServer()
    const tag = randomBytes(6).toString('hex')
    const marker = `WIRE-MARKER-${tag}`
    const smallName = `small-secret-${tag}.txt`
    const largeName = `large-secret-${tag}.bin`
    const large = Buffer.from(`${marker}\n`.repeat(Math.ceil((300 * 1024) / (marker.length + 1))))

    // The registry behind one proxy: invites give its address, so every server link crosses it.
    const serverProxy = await RecordingProxy.start({ host: '127.0.0.1', port: server.port }, { host: '127.0.0.1', port: 0 })
    closers.push(() => serverProxy.close())
    // Bob listens on 127.0.0.1:P and announces 127.0.0.2:P, where a proxy forwards to him: every
    // peer's folder connection to Bob crosses it.
    const bobPort = await freePort()
    const folderProxy = await RecordingProxy.start({ host: '127.0.0.1', port: bobPort }, { host: '127.0.0.2', port: bobPort })
    closers.push(() => folderProxy.close())

    const bob = await startClient({
      serverPort: serverProxy.port,
      name: `bob-${tag}`,
      extra: ['--join', invite(server, `127.0.0.1:${serverProxy.port}`), '--host', '127.0.0.1', '--advertise', '127.0.0.2', '-p', String(bobPort)],
    })
    expect(bob.port).toBe(bobPort)
    writeFileSync(path.join(bob.dir, smallName), marker)
    writeFileSync(path.join(bob.dir, largeName), large)
    const alice = await startClient({ serverPort: serverProxy.port, name: `alice-${tag}`, extra: ['--join', invite(server, `127.0.0.1:${serverProxy.port}`)] })
    await alice.proc.waitFor('peer-joined', { ip: '127.0.0.2', port: bobPort }, 10_000)
    await alice.proc.waitFor('file-synced', { path: smallName }, 20_000)
    await alice.proc.waitFor('file-synced', { path: largeName }, 20_000)
    // The files did arrive, whole.
    const mirrors = `${alice.dir}-mirrors`
    const mirrored = filesUnder(mirrors)
    const small = mirrored.find((f) => f.endsWith(smallName))
    const big = mirrored.find((f) => f.endsWith(largeName))
    expect(readFileSync(path.join(mirrors, small!), 'utf8')).toBe(marker)
    expect(readFileSync(path.join(mirrors, big!)).equals(large)).toBe(true)

    // The folder traffic crossed the proxy: at least the files' bytes, every connection TLS.
    expect(folderProxy.connections.length).toBeGreaterThanOrEqual(1)
    const folderBytes = folderProxy.all()
    expect(folderBytes.length).toBeGreaterThan(large.length)
    for (const c of [...folderProxy.connections, ...serverProxy.connections]) {
      if (c.up.length) expect(c.up[0]![0]).toBe(0x16) // ClientHello: a TLS handshake record
      if (c.down.length) expect(c.down[0]![0]).toBe(0x16) // ServerHello
    }
    expect(serverProxy.connections.length).toBeGreaterThanOrEqual(2)
    for (const bytes of [folderBytes, serverProxy.all()]) {
      for (const secret of [marker, smallName, largeName, `bob-${tag}`, `alice-${tag}`, 'DBSY']) {
        expect(bytes.includes(secret), `${secret} seen on the wire`).toBe(false)
      }
    }
  })
})

describe('the registration takeover (issue 19)', () => {
  it("a member's LOG_ON for another member's endpoint and its LOG_OFF of another's entry are refused, 40 of 40 times", async () => {
    const server = await startServer()
    const real = await startClient({ serverPort: server.port, name: 'real', extra: ['--join', invite(server)] })
    await real.proc.waitFor('registered')
    const observer = await startClient({ serverPort: server.port, name: 'observer', extra: ['--join', invite(server)] })
    await observer.proc.waitFor('peer-joined', { port: real.port })
    const target = { ip: '127.0.0.1', port: real.port }

    const attacker = await newIdentity('attacker')
    await makeMember(server.config, attacker)
    for (let i = 0; i < 40; i++) {
      const peer = await joined(server.port, attacker)
      // Every other try, the attacker holds a registration of its own first.
      if (i % 2 === 1) {
        peer.send({ type: 'LOG_ON', endpoint: { ip: '127.0.0.1', port: 50_000 + i } })
        await peer.next('LOG_ON_OK')
      } else {
        peer.send({ type: 'LOG_ON', endpoint: target })
        const error = await peer.next('ERROR')
        expect(error.code).toBe(ErrorCodes.duplicate)
      }
      peer.send({ type: 'LOG_OFF', endpoint: target })
      expect(await peer.next('ERROR_IP_PORT_NOT_FOUND_IN_LIST')).toMatchObject({ endpoint: target })
      expect(peer.has((m) => m.type === 'LOG_OFF_OK')).toBe(false)
      peer.close()
    }

    // The real client is still registered, and was never told otherwise.
    const check = await joined(server.port, attacker)
    check.send({ type: 'GET_CLIENTS' })
    const list = await check.next('CLIENT_LIST')
    const entry = list.clients.find((c) => c.endpoint.port === real.port)
    expect(entry?.id.equals(Buffer.from(parseDeviceId(real.id).bytes!))).toBe(true)
    check.close()
    expect(real.proc.count('server-lost')).toBe(0)
    expect(real.proc.count('registered')).toBe(1)
    expect(observer.proc.find('peer-left', { port: real.port })).toBeUndefined()
    expect(server.proc.find('peer-left', { port: real.port })).toBeUndefined()
  })
})
