// Who may join, and how the operator takes it back (issue 19): invites (once, then used, expired
// or mistyped), approval of a device that asks, refusal, and removal cutting a device off within
// the product's 1 s. Real CLI processes, each with its own config folder.
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeInvite, encodeInvite } from '../../src/main/engine/identity/invite'
import { Membership } from '../../src/main/engine/identity/membership'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { parseDeviceId } from '../../src/shared/device-id'
import { killAll, runCliOnce, runCliReadable } from '../helpers/cli'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { newIdentity } from '../helpers/test-identity'
import { identityIn, invite, startClient, startServer, type RunningServer } from './world'

afterEach(() => {
  killAll()
  removeTempDirs()
})

/** The product's promise: a removed device is cut off within 1 s. */
const CUT_OFF_DEADLINE_MS = 1000

function clientArgs(server: RunningServer, config: string, ...extra: string[]): string[] {
  return ['client', '-d', tempDir('dbs-sec-share-'), '-p', '0', '-sp', String(server.port), '-sip', '127.0.0.1', '--config', config, ...extra]
}

/** Lines that say something (stdout and stderr of a readable run). */
function linesOf(...texts: string[]): string[] {
  return texts.flatMap((t) => t.split('\n')).filter((l) => l.trim() !== '')
}

describe('invites', () => {
  it('an invite joins once; a second device using it is refused with one line and exit 2, and saves nothing', async () => {
    const server = await startServer()
    const code = invite(server)
    const first = await startClient({ serverPort: server.port, name: 'first', extra: ['--join', code] })
    await first.proc.waitFor('registered')
    expect(await server.proc.waitFor('member-added', { id: first.id })).toMatchObject({ name: 'first' })
    await first.proc.until(() => existsSync(path.join(first.config, 'server.json')))

    // The same invite, another device.
    const config = tempDir('dbs-sec-second-')
    const second = runCliReadable(clientArgs(server, config, '--join', code, '--name', 'second'))
    const exit = await second.exited
    expect(exit.code).toBe(2)
    const refusals = linesOf(second.stdoutLines.join('\n'), second.stderr).filter((l) => /invite/i.test(l))
    expect(refusals).toHaveLength(1)
    expect(refusals[0]).toMatch(/used already/)
    expect(existsSync(path.join(config, 'server.json'))).toBe(false)
    const members = (await Membership.open(server.config)).list()
    expect(members.map((m) => m.name)).toEqual(['first'])

    // The first device needs no invite any more: its saved membership suffices.
    first.proc.kill('SIGINT')
    expect((await first.proc.exited).code).toBe(0)
    const again = await startClient({ serverPort: server.port, config: first.config, dir: first.dir, name: 'first' })
    await again.proc.waitFor('registered')
    again.proc.kill('SIGINT')
    await again.proc.exited
    // Nor does its own invite, given again while still valid (the app keeps it in its settings).
    const withIt = await startClient({ serverPort: server.port, config: first.config, dir: first.dir, name: 'first', extra: ['--join', code] })
    await withIt.proc.waitFor('registered')

    // Removed, it is told so when it comes back with that invite, not that the invite was used.
    expect((await runCliOnce(['members', 'remove', first.id, '--config', server.config])).code).toBe(0)
    expect((await withIt.proc.exited).code).toBe(1)
    const back = await startClient({ serverPort: server.port, config: first.config, dir: first.dir, name: 'first', extra: ['--join', code] })
    expect(await back.proc.waitFor('removed')).toBeTruthy()
    expect((await back.proc.exited).code).toBe(1)
    expect(back.proc.find('error', { code: 'invite-used' })).toBeUndefined()
  })

  it('an expired invite, an unknown one and a one-character typo are refused with one line and exit 2; nothing is saved', async () => {
    const server = await startServer()
    const serverId = Buffer.from(parseDeviceId(server.id).bytes!)
    const address = { host: '127.0.0.1', port: server.port }
    // Made by the server's own store a day and an hour ago, valid for 24 hours.
    const store = await Membership.open(server.config)
    const expired = await store.createInvite({ addresses: [address], serverId, validHours: 24, now: new Date(Date.now() - 25 * 3600_000) })
    const fresh = invite(server)
    // One character changed in the middle of the body, for another one of the alphabet.
    const at = Math.floor(fresh.length / 2)
    const typo = fresh.slice(0, at) + (fresh[at] === 'a' ? 'b' : 'a') + fresh.slice(at + 1)
    // Well formed, the server's ID, but a token the server never made.
    const unknown = encodeInvite({ addresses: [address], serverId, token: randomBytes(16), expires: Math.floor(Date.now() / 1000) + 3600 })

    for (const [text, why] of [
      [expired, /expired/],
      [typo, /mistyped/],
    ] as const) {
      const config = tempDir('dbs-sec-refused-')
      const run = await runCliOnce(clientArgs(server, config, '--join', text))
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(linesOf(run.stderr)).toHaveLength(1)
      expect(run.stderr).toMatch(why)
      // Refused before anything is made: not even an identity.
      expect(readdirSync(config)).toEqual([])
    }

    // The unknown token reaches the server, which refuses it.
    const config = tempDir('dbs-sec-unknown-')
    const run = runCliReadable(clientArgs(server, config, '--join', unknown))
    expect((await run.exited).code).toBe(2)
    const refusals = linesOf(run.stdoutLines.join('\n'), run.stderr).filter((l) => /invite/i.test(l))
    expect(refusals).toHaveLength(1)
    expect(refusals[0]).toMatch(/no such invite/)
    expect(existsSync(path.join(config, 'server.json'))).toBe(false)

    // The server itself refuses the expired token (whatever a client's clock says).
    const decoded = decodeInvite(expired, 0)
    if (!decoded.ok) throw new Error(decoded.message)
    const peer = await RawPeer.handshake(server.port, { identity: await newIdentity('late') })
    peer.send({ type: 'JOIN', token: Buffer.from(decoded.invite.token) })
    expect((await peer.next('ERROR')).code).toBe(ErrorCodes['invite-expired'])
    await peer.waitClosed()
    expect((await Membership.open(server.config)).list()).toEqual([])

    // The invite whose typo was refused still works, for the one device it is meant for.
    const good = await startClient({ serverPort: server.port, extra: ['--join', fresh] })
    await good.proc.waitFor('registered')
  })
})

describe('approval and removal from the command line while the server runs', () => {
  it('a device that asks waits; members accept lets it in; members remove cuts it off, its reconnects are refused and its peers drop it', async () => {
    const server = await startServer()
    const peer = await startClient({ serverPort: server.port, name: 'peer', extra: ['--join', invite(server)] })
    await peer.proc.waitFor('registered')

    // Asks to join with the server's ID only, and is held.
    const asker = await startClient({ serverPort: server.port, name: 'asker', extra: ['--server-id', server.id] })
    await asker.proc.waitFor('error', { code: 'join-pending' })
    expect(await server.proc.waitFor('join-request', { id: asker.id })).toMatchObject({ name: 'asker' })
    expect(asker.proc.find('registered')).toBeUndefined()
    expect(peer.proc.find('peer-joined', { port: asker.port })).toBeUndefined()

    const accepted = await runCliOnce(['members', 'accept', asker.id, '--config', server.config])
    expect(accepted).toMatchObject({ code: 0, stderr: '' })
    expect(accepted.stdout).toMatch(/^asker \(\w{7}\) accepted\n$/)
    await asker.proc.waitFor('registered', {}, 5000)
    await peer.proc.waitFor('peer-joined', { port: asker.port, id: asker.id })
    await asker.proc.waitFor('peer-joined', { port: peer.port, id: peer.id })
    // Joined: the membership is saved for next time.
    await asker.proc.until(() => existsSync(path.join(asker.config, 'server.json')))

    // A folder connection to the peer as the asker's device, open and answered before the removal.
    const askerIdentity = await identityIn(asker.config, 'asker')
    const folder = await RawPeer.connect(peer.port, { identity: askerIdentity })
    folder.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'asker' })
    await folder.next('HELLO')
    folder.send({ type: 'GET_FILE_LIST' })
    await folder.next('FILE_LIST')

    const started = Date.now()
    const removed = await runCliOnce(['members', 'remove', asker.id, '--config', server.config])
    // Measured from the command's exit (its change is on disk by then); the server often acts on
    // it before the exit reaches us, hence times of 0.
    const t0 = Date.now()
    console.log(`members remove ran for ${t0 - started} ms`)
    expect(removed).toMatchObject({ code: 0, stdout: expect.stringMatching(/removed/) as unknown })
    const [toRemoved, toPeerLeft, toFolderClosed] = await Promise.all([
      asker.proc.waitFor('removed', {}, 5000).then(() => Date.now() - t0),
      peer.proc.waitFor('peer-left', { port: asker.port, reason: 'removed' }, 5000).then(() => Date.now() - t0),
      folder.waitClosed(5000).then(() => Date.now() - t0),
    ])
    for (const [what, ms] of Object.entries({ removed: toRemoved, 'peer-left': toPeerLeft, 'folder connection closed': toFolderClosed })) {
      console.log(`members remove → ${what}: ${ms} ms`)
      expect(ms, `${what} ${ms} ms after the remove command exited`).toBeLessThan(CUT_OFF_DEADLINE_MS)
    }
    expect(await server.proc.waitFor('member-removed', { id: asker.id })).toBeTruthy()
    // The removed device stops (exit 1) rather than retrying.
    expect((await asker.proc.exited).code).toBe(1)
    expect(asker.proc.count('server-lost')).toBe(0)
    // The operator's own act is said as member-removed and peer-left, not as an error on the server.
    expect(server.proc.events.filter((e) => e.type === 'error')).toEqual([])

    // Its reconnects are refused: the CLI again (saved membership) and the device by hand.
    const back = await startClient({ serverPort: server.port, config: asker.config, dir: asker.dir, name: 'asker' })
    await back.proc.waitFor('removed')
    expect((await back.proc.exited).code).toBe(1)
    expect(back.proc.find('registered')).toBeUndefined()
    const byHand = await RawPeer.handshake(server.port, { identity: askerIdentity })
    byHand.send({ type: 'JOIN', token: Buffer.alloc(0) })
    expect((await byHand.next('ERROR')).code).toBe(ErrorCodes.removed)
    await byHand.waitClosed()
    // And the peer refuses its folder connections from now on.
    const refusedFolder = await RawPeer.connect(peer.port, { identity: askerIdentity })
    refusedFolder.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'asker' })
    await refusedFolder.waitClosed(10_000)
    expect(refusedFolder.messages.map((m) => m.type)).toEqual(['ERROR'])
    // Announced once, when it was accepted; never again.
    expect(peer.proc.events.filter((e) => e.type === 'peer-joined' && e.id === asker.id)).toHaveLength(1)

    // A new invite brings it back, though its config folder still holds the membership it lost.
    const invited = await startClient({ serverPort: server.port, config: asker.config, dir: asker.dir, name: 'asker', extra: ['--join', invite(server)] })
    await invited.proc.waitFor('registered', {}, 15_000)
    await server.proc.waitFor('member-added', { id: asker.id })
  })

  it('members refuse ends a waiting device with exit 1; it saves nothing', async () => {
    const server = await startServer()
    const asker = await startClient({ serverPort: server.port, name: 'turned-down', extra: ['--server-id', server.id] })
    await server.proc.waitFor('join-request', { id: asker.id })
    await asker.proc.waitFor('error', { code: 'join-pending' })
    const refused = await runCliOnce(['members', 'refuse', asker.id, '--config', server.config])
    expect(refused).toMatchObject({ code: 0, stdout: expect.stringMatching(/refused/) as unknown })
    const error = await asker.proc.waitFor('error', { code: 'refused' })
    expect(error.message).toMatch(/refused/)
    expect((await asker.proc.exited).code).toBe(1)
    expect(asker.proc.find('registered')).toBeUndefined()
    expect(server.proc.events.filter((e) => e.type === 'error')).toEqual([])
    expect(existsSync(path.join(asker.config, 'server.json'))).toBe(false)
    expect((await Membership.open(server.config)).list().map((m) => m.state)).toEqual(['refused'])
  })
})
