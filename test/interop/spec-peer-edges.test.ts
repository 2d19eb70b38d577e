// The spec peer holds the real CLI to the rules of docs/PROTOCOL.md beyond the happy path: the
// refusals (§1.1, §6.1, §12.1), the reply sequences of §12.3, the subscription of §12.5, LOG_OFF of
// another endpoint and USER_OFF (§6). Real processes, 127.0.0.1, port 0, generous deadlines.
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SpecPeer, planOf, type Member } from './spec-peer'
import { makeIdentity, readInvite } from './spec-peer/identity'
import { Link, ROLE_CLIENT, ROLE_SERVER, dial, helloFrame, readError, readHello, tlsOptions } from './spec-peer/link'
import { Puller, describe as describeFrame } from './spec-peer/puller'
import { RegistryLink } from './spec-peer/registry'
import { Reader, T, blob, endpoint, frame, str, u16, u32, u8 } from './spec-peer/wire'
import { members } from './cli-procs'
import { joinedPeer, startWorld, type World } from './world'

const content = randomBytes(300_000)
let world: World
let peer: SpecPeer
let real: Member

beforeAll(async () => {
  world = await startWorld({ 'a.bin': content, 'empty': Buffer.alloc(0) })
  const joined = await joinedPeer(world, 'spec-edges')
  peer = joined.peer
  real = joined.real
}, 120_000)

afterAll(() => {
  peer?.close()
  world?.dispose()
})

describe('refusals, as the spec says they come', () => {
  it('an invite used by another device: invite-used; a token the server never made: invite-unknown', async () => {
    const invite = world.invite()
    const first = await makeIdentity()
    const joined = await RegistryLink.join(first, 'first', readInvite(invite))
    joined.link.destroy()
    await expect(RegistryLink.join(await makeIdentity(), 'second', readInvite(invite))).rejects.toThrow(/ERROR 18 /)
    const forged = { ...readInvite(world.invite()), token: randomBytes(16) }
    await expect(RegistryLink.join(await makeIdentity(), 'forger', forged)).rejects.toThrow(/ERROR 20 /)
    // The device that used it, coming back with the same token, is a member: JOIN_OK (§16.3).
    const again = await RegistryLink.join(first, 'first', readInvite(invite))
    again.link.destroy()
  })

  it('a stranger is held at JOIN_PENDING and learns nothing: GET_CLIENTS earns not-a-member', async () => {
    const invite = readInvite(world.invite())
    const address = invite.addresses[0] as { ip: string; port: number }
    const { link } = await dial(await makeIdentity(), address.ip, address.port, invite.serverId, 'stranger', ROLE_SERVER)
    await link.send(frame(T.JOIN, blob(Buffer.alloc(0))))
    expect(describeFrame(await link.next())).toBe('JOIN_PENDING')
    await link.send(frame(T.GET_CLIENTS))
    const refusal = await link.next()
    expect(refusal?.type).toBe(T.ERROR)
    expect(readError(refusal!.payload).code).toBe(17)
    expect(await link.next()).toBeNull()
  })

  it("a device the server never announced gets not-a-member at the client's folder port, and no HELLO", async () => {
    await expect(Puller.open(await makeIdentity(), 'stranger', real)).rejects.toThrow(/refused: ERROR 17 /)
  })

  it('a pin that does not match closes the connection before any byte (peer-id-mismatch)', async () => {
    await expect(Puller.open(peer.me, 'spec-edges', { ...real, id: randomBytes(32) })).rejects.toThrow('peer-id-mismatch')
  })
})

describe('the folder server, request by request (§12.3)', () => {
  it('requests sent right behind HELLO wait for the admission and are answered in order (§4)', async () => {
    // HELLO and GET_FILE_LIST in one write, before the folder server's HELLO.
    const socket = tls.connect({ host: real.endpoint.ip, port: real.endpoint.port, ...tlsOptions(peer.me) })
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    const raw = new Link(socket)
    await raw.send(Buffer.concat([helloFrame(ROLE_CLIENT, 0, 'eager'), frame(T.GET_FILE_LIST)]))
    const hello = await raw.next()
    expect(hello?.type).toBe(T.HELLO)
    expect(readHello(hello!.payload)).toMatchObject({ role: ROLE_CLIENT, heartbeatMs: 5000 })
    expect(describeFrame(await raw.next())).toBe('FILE_LIST')
    raw.destroy()
  })

  it('a request and a broken frame in one write: the reply comes before the ERROR (§1.2); a non-request earns unexpected-message (§7)', async () => {
    const { link } = await dial(peer.me, real.endpoint.ip, real.endpoint.port, real.id, 'spec-edges', ROLE_CLIENT)
    await link.send(Buffer.concat([frame(T.GET_FILE_LIST), Buffer.from('00000000', 'hex')]))
    let f = await link.next()
    while (f?.type === T.FILE_LIST) f = await link.next()
    expect(f?.type, describeFrame(f)).toBe(T.ERROR)
    expect(readError(f!.payload).code).toBe(1)
    expect(link.seen).toContain('FILE_LIST')
    expect(await link.next()).toBeNull()

    const second = await dial(peer.me, real.endpoint.ip, real.endpoint.port, real.id, 'spec-edges', ROLE_CLIENT)
    await second.link.send(frame(T.FILE_LIST, u8(1), u32(0)))
    const refusal = await second.link.next()
    expect(readError(refusal!.payload)).toEqual({ code: 8, text: 'FILE_LIST is not a request a client answers' })
    expect(await second.link.next()).toBeNull()
  })

  it('up to date, not found, an empty file, a wrong version and a run past the end', async () => {
    const puller = await peer.pullFrom(real)
    try {
      const list = await waitForList(puller, 2)
      const a = list.find((e) => e.path === 'a.bin')!
      expect(a.version.equals(planOf(content).version)).toBe(true)
      expect(describeFrame(await puller.ask(frame(T.GET_FILE, str('a.bin'), u8(1), a.version)))).toBe('FILE_UP_TO_DATE')
      expect(describeFrame(await puller.ask(frame(T.GET_FILE, str('nope'), u8(0))))).toBe('FILE_NOT_FOUND')
      expect(describeFrame(await puller.ask(frame(T.GET_BLOCK_LIST, str('nope'), a.version)))).toBe('FILE_NOT_FOUND')
      expect(describeFrame(await puller.ask(frame(T.GET_BLOCKS, str('nope'), a.version, u32(0), u16(1))))).toBe('FILE_NOT_FOUND')
      expect(describeFrame(await puller.ask(frame(T.GET_BLOCKS, str('a.bin'), randomBytes(32), u32(0), u16(1))))).toMatch(/^FILE_ABORT a.bin: /)
      expect(describeFrame(await puller.ask(frame(T.GET_BLOCKS, str('a.bin'), a.version, u32(2), u16(2))))).toMatch(/^FILE_ABORT a.bin: /)

      const empty = await puller.getFile('empty')
      expect(empty.content.length).toBe(0)
      expect(empty.version.toString('hex')).toBe('0625d8c95631bb777421d0951754248c1aaec85cb3bde8a138a8ef358c482c9f')
      const emptyList = await puller.blockList('empty', empty.version)
      expect(emptyList.hashes).toEqual([])

      // A block list asked for under another version is the list of F's version now (§12.3).
      const listed = await puller.blockList('a.bin', randomBytes(32))
      expect(listed.version.equals(a.version)).toBe(true)
      const batch = await puller.getFiles(['empty'])
      expect(batch[0]!.status).toBe(0)
      expect(describeFrame(await puller.ask(frame(T.GET_FILES, u16(1), str('a.bin'), u8(1), a.version)))).toBe('FILES')

      // The last block of a run is short (300 000 bytes in blocks of 128 KiB): its FILE_DATA stops at the file's end.
      const blocks = await puller.blockList('a.bin', a.version)
      expect((await puller.blocks('a.bin', blocks, 1, 2)).equals(content.subarray(131_072))).toBe(true)
      // The connection is still in step after all of that.
      expect((await puller.getFile('a.bin')).content.equals(content)).toBe(true)
    } finally {
      puller.close()
    }
  })

  it('SUBSCRIBE: the empty INDEX_CHANGED, FOLDER_STATE 1, then pushes with versions as §12.8 defines them', async () => {
    const puller = await peer.pullFrom(real)
    try {
      expect(await puller.subscribe()).toBe(true)
      const fresh = randomBytes(200_000)
      writeFileSync(path.join(world.clientDir, 'pushed.bin'), fresh)
      let upsert
      while (!upsert) upsert = (await puller.changes()).find((c) => c.op === 'upsert' && c.path === 'pushed.bin')
      expect(upsert).toMatchObject({ size: fresh.length, snapshot: false })
      expect(upsert.op === 'upsert' && upsert.version.equals(planOf(fresh).version)).toBe(true)
      rmSync(path.join(world.clientDir, 'pushed.bin'))
      let gone
      while (!gone) gone = (await puller.changes()).find((c) => c.op === 'delete' && c.path === 'pushed.bin')
    } finally {
      puller.close()
    }
  })
})

describe('the real client as P takes every cut the spec allows', () => {
  it('a list of 600 files in one frame, FILE_DATA of 100 000 bytes, a block list 5 hashes a frame, a snapshot', async () => {
    const server = await SpecPeer.create('spec-cuts')
    server.folder.cuts.fileData = 100_000
    server.folder.cuts.hashesPerFrame = 5
    const small = new Map<string, Buffer>()
    for (let i = 0; i < 600; i++) small.set(`many/f${i}.txt`, Buffer.from(`file ${i}\n`))
    for (const [p, c] of small) server.folder.setFile(p, c)
    const big = randomBytes(3 * 1024 * 1024 + 7)
    server.folder.setFile('big.bin', big)
    server.folder.setFile('moving.log', Buffer.from('still being written'), true)
    try {
      await server.join(world.invite())
      const at = `127.0.0.1:${server.folderPort}`
      await world.client.waitFor('peer-synced', { peer: at }, 120_000)
      const mirror = mirrorOf(server)
      for (const [p, c] of small) expect(readFileSync(path.join(mirror, p)).equals(c), p).toBe(true)
      expect(readFileSync(path.join(mirror, 'big.bin')).equals(big)).toBe(true)
      expect(world.client.find('file-synced', { peer: at, path: 'moving.log' })).toMatchObject({ snapshot: true })

      const edited = Buffer.from(big)
      randomBytes(10).copy(edited, 2 * 1024 * 1024 + 5)
      server.folder.setFile('big.bin', edited)
      await world.client.waitFor('file-synced', { peer: at, path: 'big.bin', version: planOf(edited).version.toString('hex') }, 90_000)
      expect(readFileSync(path.join(mirror, 'big.bin')).equals(edited)).toBe(true)
      expect(server.folder.requests).toContain('GET_BLOCK_LIST')
      expect(server.folder.unexpected).toEqual([])
      expect(world.client.find('transfer-failed', { peer: at })).toBeUndefined()
    } finally {
      await server.leave().catch(() => {})
      server.close()
    }
  }, 180_000)
})

function mirrorOf(server: SpecPeer): string {
  const mirrors = `${world.clientDir}-mirrors`
  // README: a mirror folder is named NAME-SHORTID, the short ID being the first group of the device ID (§16.2).
  const name = `${server.name}-${server.displayId.slice(0, 7)}`
  if (!readdirSync(mirrors).includes(name)) throw new Error(`no mirror folder ${name} in ${readdirSync(mirrors).join(', ')}`)
  return path.join(mirrors, name)
}

describe('membership through the operator (§6.1, §6.2)', () => {
  it('a device without an invite is held, accepted by `members accept` on the same connection, then removed by `members remove`', async () => {
    const who = await SpecPeer.create('spec-asks')
    const invite = readInvite(world.invite())
    const address = invite.addresses[0] as { ip: string; port: number }
    const { link } = await dial(who.me, address.ip, address.port, invite.serverId, who.name, ROLE_SERVER)
    await link.send(frame(T.JOIN, blob(Buffer.alloc(0))))
    expect(describeFrame(await link.next())).toBe('JOIN_PENDING')
    await world.server.waitFor('join-request', { id: who.displayId, name: 'spec-asks' })
    members(world.serverConfig, 'accept', who.displayId)
    expect(describeFrame(await link.next())).toBe('JOIN_OK')
    link.destroy()

    // A member now: it joins with no token, registers, and the real client sees it.
    const registry = await RegistryLink.join(who.me, who.name, { ...invite, token: Buffer.alloc(0) })
    await registry.logOn({ ip: '127.0.0.1', port: 9 })
    await world.client.waitFor('peer-joined', { id: who.displayId })
    const closed = new Promise<void>((resolve) => registry.link.once('closed', resolve))
    const refusal = new Promise<string>((resolve) => registry.on('unexpected', resolve))
    members(world.serverConfig, 'remove', who.displayId)
    expect(await refusal).toMatch(/ERROR 22 /)
    await closed
    const left = await world.client.waitFor('peer-left', { id: who.displayId })
    expect(left.reason).toBe('removed')
    await expect(RegistryLink.join(who.me, who.name, { ...invite, token: Buffer.alloc(0) })).rejects.toThrow(/ERROR 22 /)
  }, 60_000)
})

describe('heartbeat (§5): silence ends a connection, without an ERROR', () => {
  it('a peer that never PINGs the folder server, and a registered device that never PINGs the server, are dropped; the client hears timeout', async () => {
    const folder = await dial(peer.me, real.endpoint.ip, real.endpoint.port, real.id, 'silent', ROLE_CLIENT, false)
    const quiet = await SpecPeer.create('spec-silent')
    const invite = readInvite(world.invite())
    const address = invite.addresses[0] as { ip: string; port: number }
    const { link, hello } = await dial(quiet.me, address.ip, address.port, invite.serverId, quiet.name, ROLE_SERVER, false)
    expect(hello.heartbeatMs).toBe(5000)
    await link.send(frame(T.JOIN, blob(invite.token)))
    expect(describeFrame(await link.next())).toBe('JOIN_OK')
    await link.send(frame(T.LOG_ON, endpoint({ ip: '127.0.0.1', port: 11 })))
    expect(describeFrame(await link.next())).toBe('LOG_ON_OK')
    // Nothing but the closes may come: no ERROR on either connection.
    expect(await framesUntilClose(folder.link)).not.toContain('ERROR')
    expect(await framesUntilClose(link)).not.toContain('ERROR')
    expect(await world.client.waitFor('peer-left', { id: quiet.displayId })).toMatchObject({ reason: 'timeout' })
  }, 90_000)
})

describe('the registry, to the end', () => {
  it('LOG_OFF of an endpoint that is not ours: ERROR_IP_PORT_NOT_FOUND_IN_LIST, and the registration stays', async () => {
    const other = { ip: '127.0.0.1', port: world.clientPort }
    const reply = await peer.registry!.ask(frame(T.LOG_OFF, endpoint(other)))
    expect(reply.type).toBe(T.ERROR_IP_PORT_NOT_FOUND_IN_LIST)
    expect(new Reader(reply.payload, 'ERROR_IP_PORT_NOT_FOUND_IN_LIST').endpoint()).toEqual(other)
    // Still registered: GET_CLIENTS is answered on the same connection.
    expect((await peer.registry!.ask(frame(T.GET_CLIENTS))).type).toBe(T.CLIENT_LIST)
    expect(world.client.find('peer-left', { port: peer.folderPort })).toBeUndefined()
  })

  it("LOG_ON of another device's endpoint: duplicate; a second LOG_ON: already-logged-on; both keep the connection (§10)", async () => {
    const other = await SpecPeer.create('spec-second')
    const registry = await RegistryLink.join(other.me, other.name, readInvite(world.invite()))
    try {
      const taken = await registry.ask(frame(T.LOG_ON, endpoint({ ip: '127.0.0.1', port: world.clientPort })))
      expect(taken.type).toBe(T.ERROR)
      expect(readError(taken.payload).code).toBe(7)
      expect((await registry.ask(frame(T.GET_CLIENTS))).type).toBe(T.CLIENT_LIST)
      await registry.logOn({ ip: '127.0.0.1', port: 9 })
      const twice = await registry.ask(frame(T.LOG_ON, endpoint({ ip: '127.0.0.1', port: 10 })))
      expect(twice.type).toBe(T.ERROR)
      expect(readError(twice.payload).code).toBe(12)
      expect((await registry.ask(frame(T.GET_CLIENTS))).type).toBe(T.CLIENT_LIST)
      await registry.logOff()
    } finally {
      registry.link.destroy()
    }
  })

  it('the real client stops (SIGINT): USER_OFF reason log-off with its device ID', async () => {
    const off = new Promise<{ id: Buffer; reason: string }>((resolve) =>
      peer.registry!.on('user-off', (m: { id: Buffer; reason: string }) => {
        if (m.id.equals(real.id)) resolve(m)
      }),
    )
    world.client.child.kill('SIGINT')
    const seen = await off
    expect(seen.reason).toBe('log-off')
    expect(seen.id.equals(real.id)).toBe(true)
    expect(peer.registry!.online.has(real.id.toString('hex'))).toBe(false)
  })
})

async function waitForList(puller: Puller, files: number): Promise<Awaited<ReturnType<Puller['list']>>> {
  for (let tries = 0; ; tries++) {
    const list = await puller.list()
    if (list.length >= files || tries > 120) return list
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** The types of every frame a connection brings until it closes. */
async function framesUntilClose(link: Link): Promise<string[]> {
  const types: string[] = []
  for (let f = await link.next(60_000); f; f = await link.next(60_000)) types.push(describeFrame(f))
  return types
}
