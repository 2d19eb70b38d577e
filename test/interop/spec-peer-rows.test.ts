// The spec peer replays the refusals of docs/PROTOCOL.md against the real CLI, row by row: §13.10's
// invalid input at the server, the folder server's decoding refusals, and what the spec leaves
// open (certificate keys, SNI, ALPN). Real processes, 127.0.0.1, port 0, generous deadlines.
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SpecPeer, type Member } from './spec-peer'
import { makeIdentity, readInvite } from './spec-peer/identity'
import { Link, ROLE_CLIENT, ROLE_SERVER, dial, helloFrame, readError, tlsOptions } from './spec-peer/link'
import { describe as describeFrame } from './spec-peer/puller'
import { RegistryLink } from './spec-peer/registry'
import { T, blob, frame, str, u16, u32, u8 } from './spec-peer/wire'
import { joinedPeer, startWorld, type World } from './world'

let world: World
let peer: SpecPeer
let real: Member

beforeAll(async () => {
  world = await startWorld({ 'a.bin': Buffer.from('a') })
  const joined = await joinedPeer(world, 'spec-rows')
  peer = joined.peer
  real = joined.real
}, 120_000)

afterAll(() => {
  peer?.close()
  world?.dispose()
})

describe('§13.10 against the real server: invalid input and the ERROR it earns, then the close', () => {
  const hello = helloFrame(ROLE_CLIENT, 0, 'rows')
  const hex = (h: string): Buffer => Buffer.from(h.replace(/ /g, ''), 'hex')
  const rows: Array<[string, Buffer, number, string | RegExp]> = [
    ['length 0', Buffer.concat([hello, hex('00 00 00 00')]), 1, 'frame length 0: a frame holds at least its type byte'],
    ['length 1 048 577', Buffer.concat([hello, hex('00 10 00 01')]), 2, 'frame length 1048577 exceeds the maximum of 1048576 bytes'],
    ['type 0x7e', Buffer.concat([hello, hex('00 00 00 01 7e')]), 3, 'unknown message type 0x7e'],
    ['type 0x20 (IDENTIFY before version 4)', Buffer.concat([hello, hex('00 00 00 01 20')]), 3, 'unknown message type 0x20'],
    ['PING with a byte', Buffer.concat([hello, hex('00 00 00 02 03 00')]), 1, 'PING: 1 unexpected bytes after the last field'],
    ['LOG_ON port 0', Buffer.concat([hello, hex('00 00 00 08 10 04 7f 00 00 01 00 00')]), 6, 'LOG_ON: port 0 cannot be reached'],
    ['LOG_ON 224.0.0.1', Buffer.concat([hello, hex('00 00 00 08 10 04 e0 00 00 01 09 c4')]), 6, 'LOG_ON: 224.0.0.1: multicast and reserved addresses cannot be reached'],
    ['JOIN token of 5 bytes', Buffer.concat([hello, hex('00 00 00 08 19 00 05 01 02 03 04 05')]), 1, 'JOIN: a token has 0 or 16 bytes, not 5'],
    ['HELLO with an empty name', hex('00 00 00 0e 01 44 42 53 59 00 05 02 00 00 00 00 00 00'), 1, 'HELLO: a device name has 1 to 64 bytes, not 0'],
    ['HELLO, a tab in the name', helloFrame(ROLE_CLIENT, 0, 'a\tb'), 1, 'HELLO: a device name holds no control characters'],
    ['HELLO, DEL in the name', helloFrame(ROLE_CLIENT, 0, 'a\u007fb'), 1, 'HELLO: a device name holds no control characters'],
    ['HELLO, a C1 control (U+0085) in the name', helloFrame(ROLE_CLIENT, 0, 'a\u0085b'), 1, 'HELLO: a device name holds no control characters'],
    ['ERROR text not UTF-8', Buffer.concat([hello, hex('00 00 00 06 02 00 07 00 01 ff')]), 1, 'ERROR: text is not valid UTF-8'],
    ['PING first', hex('00 00 00 01 03'), 8, 'PING before HELLO: every connection starts with HELLO'],
    ['HELLO version 1', hex('00 00 00 0e 01 44 42 53 59 00 01 02 00 00 00 00 00 01'), 4, 'this node speaks protocol version 5, the peer version 1'],
    ['GET_CLIENTS before JOIN_OK', Buffer.concat([hello, frame(T.GET_CLIENTS)]), 17, /./],
  ]
  it.each(rows)('%s', async (_, bytes, code, text) => {
    const socket = tls.connect({ host: '127.0.0.1', port: world.serverPort, ...tlsOptions(peer.me) })
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    const link = new Link(socket)
    await link.send(bytes)
    let f = await link.next()
    if (f?.type === T.HELLO) f = await link.next()
    expect(f?.type, describeFrame(f)).toBe(T.ERROR)
    const error = readError(f!.payload)
    expect(error.code).toBe(code)
    if (typeof text === 'string') expect(error.text).toBe(text)
    expect(await link.next()).toBeNull()
  })

  it('a PING and a length-0 frame in one write: the PING is answered first, then bad-frame', async () => {
    const serverId = readInvite(world.invite()).serverId
    const { link } = await dial(peer.me, '127.0.0.1', world.serverPort, serverId, 'rows', ROLE_SERVER)
    await link.send(hex('00 00 00 01 03 00 00 00 00'))
    const f = await link.next()
    expect(readError(f!.payload).code).toBe(1)
    expect(link.seen.slice(-2)).toEqual(['PONG', 'ERROR'])
  })
})

describe('the real folder server refuses what the spec says, then closes', () => {
  const rows: Array<[string, Buffer, number, string | RegExp]> = [
    ['GET_FILE, has version 2', Buffer.from('00000005240001610' + '2', 'hex'), 1, 'GET_FILE: has version must be 0 or 1, not 2'],
    ['GET_FILES, count 0', frame(T.GET_FILES, u16(0)), 1, /GET_FILES/],
    ['GET_FILES, count 257', frame(T.GET_FILES, u16(257), ...Array.from({ length: 257 }, () => Buffer.concat([str('a'), u8(0)]))), 1, /GET_FILES/],
    ['GET_BLOCKS, count 0', frame(T.GET_BLOCKS, str('a.bin'), Buffer.alloc(32), u32(0), u16(0)), 1, 'GET_BLOCKS: count 0: a run holds at least one block'],
    ['a path that is not UTF-8', frame(T.GET_FILE, blob(Buffer.from([0xff])), u8(0)), 1, /not valid UTF-8/],
    ['type 0x33', frame(0x33), 3, 'unknown message type 0x33'],
    ['a second HELLO', helloFrame(ROLE_CLIENT, 0, 'again'), 8, /HELLO/],
    ['SUBSCRIBE with a byte', frame(T.SUBSCRIBE, u8(0)), 1, 'SUBSCRIBE: 1 unexpected bytes after the last field'],
  ]
  it.each(rows)('%s', async (_, bytes, code, text) => {
    const { link } = await dial(peer.me, real.endpoint.ip, real.endpoint.port, real.id, 'rows', ROLE_CLIENT)
    await link.send(bytes)
    const f = await link.next()
    expect(f?.type, describeFrame(f)).toBe(T.ERROR)
    const error = readError(f!.payload)
    expect(error.code).toBe(code)
    if (typeof text === 'string') expect(error.text).toBe(text)
    else expect(error.text).toMatch(text)
    expect(await link.next()).toBeNull()
  })
})

describe('what the spec leaves open, asked of the real server', () => {
  for (const kind of ['p384', 'rsa', 'ed25519'] as const) {
    it(`a device whose certificate key is ${kind}`, async () => {
      const who = await makeIdentity(kind)
      const joined = await RegistryLink.join(who, kind, readInvite(world.invite()))
      joined.link.destroy()
    })
  }

  it('ALPN dropbox-sync/4 fails the TLS handshake; no ALPN at all: closed before a byte (§1.1)', async () => {
    const v4 = tls.connect({ host: '127.0.0.1', port: world.serverPort, ...tlsOptions(peer.me), ALPNProtocols: ['dropbox-sync/4'] })
    await expect(new Promise((resolve, reject) => v4.once('secureConnect', resolve).once('error', reject))).rejects.toThrow(/no application protocol|alert/i)
    const none = tls.connect({ host: '127.0.0.1', port: world.serverPort, ...tlsOptions(peer.me), ALPNProtocols: [] })
    const received: Buffer[] = []
    none.on('data', (d: Buffer) => received.push(d))
    await new Promise<void>((resolve) => {
      none.once('close', () => resolve())
      none.once('secureConnect', () => none.write(helloFrame(ROLE_CLIENT, 0, 'no-alpn')))
    })
    expect(received).toEqual([])
  })

  it('an initiator that sends SNI', async () => {
    const invite = readInvite(world.invite())
    const address = invite.addresses[0] as { ip: string; port: number }
    const socket = tls.connect({ host: address.ip, port: address.port, servername: 'registry.example', ...tlsOptions(peer.me) })
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    const link = new Link(socket)
    await link.send(helloFrame(ROLE_CLIENT, 0, 'sni'))
    expect(describeFrame(await link.next())).toBe('HELLO')
    link.destroy()
  })
})
