// The server's member store over real files: invites are single use, join requests wait for the
// operator, removal sticks, bad files are one clear error, and a second process (the CLI) and the
// running server see each other's changes.
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeInvite } from '../../src/main/engine/identity/invite'
import { Membership, MembershipFileError, type MemberChange, type MembershipOptions } from '../../src/main/engine/identity/membership'
import { removeTempDirs, tempDir } from '../helpers/temp'

const open: Membership[] = []
afterEach(() => {
  for (const membership of open.splice(0)) membership.close()
  removeTempDirs()
})

async function openAt(dir: string, options: MembershipOptions = {}): Promise<Membership> {
  const membership = await Membership.open(dir, options)
  open.push(membership)
  return membership
}

const device = (): Buffer => randomBytes(32)
const hex = (id: Uint8Array): string => Buffer.from(id).toString('hex')
const SERVER = device()
const ADDRESSES = [{ host: '192.168.1.20', port: 4000 }]
const NOW = new Date('2030-01-01T12:00:00Z')
const later = (hours: number): Date => new Date(NOW.getTime() + hours * 3600_000)

async function invite(membership: Membership, validHours = 24): Promise<Uint8Array> {
  const text = await membership.createInvite({ addresses: ADDRESSES, serverId: SERVER, validHours, now: NOW })
  const decoded = decodeInvite(text, NOW.getTime() / 1000)
  if (!decoded.ok) throw new Error(decoded.message)
  return decoded.invite.token
}

describe('invites', () => {
  it('makes an invite for this server that records only the hash of its token', async () => {
    const dir = tempDir()
    const membership = await openAt(dir)
    const text = await membership.createInvite({ addresses: ADDRESSES, serverId: SERVER, validHours: 24, now: NOW })
    const decoded = decodeInvite(text, NOW.getTime() / 1000)
    if (!decoded.ok) expect.fail(decoded.message)
    expect(decoded.invite.addresses).toEqual(ADDRESSES)
    expect(Buffer.from(decoded.invite.serverId)).toEqual(SERVER)
    expect(decoded.invite.expires).toBe(NOW.getTime() / 1000 + 24 * 3600)
    const saved = readFileSync(path.join(dir, 'invites.json'), 'utf8')
    expect(saved).not.toContain(hex(decoded.invite.token))
    expect(saved).toContain(createHash('sha256').update(decoded.invite.token).digest('hex'))
    expect(statSync(path.join(dir, 'invites.json')).mode & 0o777).toBe(0o600)
  })

  it('joins once: a second device is told "used", the same device retrying is let in again', async () => {
    const membership = await openAt(tempDir())
    const token = await invite(membership)
    const [alice, mallory] = [device(), device()]
    expect(await membership.redeemInvite(token, alice, 'alice', later(1))).toBe('ok')
    expect(membership.isMember(alice)).toBe(true)
    expect(await membership.redeemInvite(token, mallory, 'mallory', later(1))).toBe('used')
    expect(membership.isMember(mallory)).toBe(false)
    // Its first answer was lost with the connection: the retry must not lock it out.
    expect(await membership.redeemInvite(token, alice, 'alice', later(2))).toBe('ok')
    expect(membership.list().map((m) => [m.id, m.name, m.state])).toEqual([[hex(alice), 'alice', 'member']])
  })

  it('a removed device cannot come back with the invite it used', async () => {
    const membership = await openAt(tempDir())
    const token = await invite(membership)
    const alice = device()
    expect(await membership.redeemInvite(token, alice, 'alice', later(1))).toBe('ok')
    await membership.remove(alice)
    expect(await membership.redeemInvite(token, alice, 'alice', later(1))).toBe('used')
  })

  it('refuses an expired invite and a token nobody made', async () => {
    const membership = await openAt(tempDir())
    const token = await invite(membership, 2)
    expect(await membership.redeemInvite(token, device(), 'late', later(2))).toBe('expired')
    expect(await membership.redeemInvite(randomBytes(16), device(), 'forger', later(1))).toBe('unknown')
    expect(membership.list()).toEqual([])
  })

  it('an invite long expired is forgotten at the next write (then "unknown"); a recent one is "expired"', async () => {
    const membership = await openAt(tempDir())
    const old = await invite(membership, 1)
    const recent = await invite(membership, 24 * 7)
    await membership.createInvite({ addresses: ADDRESSES, serverId: SERVER, validHours: 1, now: later(24 * 8 + 1) })
    expect(await membership.redeemInvite(old, device(), 'd', later(24 * 8 + 1))).toBe('unknown')
    expect(await membership.redeemInvite(recent, device(), 'd', later(24 * 8 + 1))).toBe('expired')
  })

  it('two processes redeeming one invite at once: exactly one gets in', async () => {
    const dir = tempDir()
    const token = await invite(await openAt(dir))
    const [a, b] = [await openAt(dir), await openAt(dir)]
    const results = await Promise.all([a.redeemInvite(token, device(), 'a', later(1)), b.redeemInvite(token, device(), 'b', later(1))])
    expect(results.sort()).toEqual(['ok', 'used'])
    expect((await openAt(dir)).list()).toHaveLength(1)
  })

  it('invites made by two processes at once are all kept', async () => {
    const dir = tempDir()
    const makers = await Promise.all(Array.from({ length: 4 }, () => openAt(dir)))
    // Enough at once that a lock handed over while its removal is still on its way shows.
    const tokens = await Promise.all(Array.from({ length: 24 }, (_, i) => invite(makers[i % makers.length]!)))
    const checker = await openAt(dir)
    const results = await Promise.all(tokens.map((token) => checker.redeemInvite(token, device(), 'd', later(1))))
    expect(results).toEqual(tokens.map(() => 'ok'))
  })
})

describe('join requests and removal', () => {
  it('a stranger waits as pending until accepted; the address it asked from is kept', async () => {
    const membership = await openAt(tempDir())
    const bob = device()
    expect(await membership.request(bob, 'bob', '10.0.0.7:52000', NOW)).toBe('pending')
    expect(await membership.request(bob, 'bob', '10.0.0.7:52001', NOW)).toBe('pending')
    expect(membership.isMember(bob)).toBe(false)
    expect(membership.list()).toEqual([{ id: hex(bob), name: 'bob', added: NOW.toISOString(), state: 'pending', address: '10.0.0.7:52001' }])
    expect(await membership.accept(bob, later(1))).toBe('accepted')
    expect(membership.isMember(bob)).toBe(true)
    expect(membership.get(bob)).toMatchObject({ state: 'member', added: later(1).toISOString() })
    expect(await membership.accept(bob)).toBe('already-member')
    expect(await membership.request(bob, 'bob', '10.0.0.7:52002')).toBe('member')
  })

  it('a refused or removed device stays so when it asks again, until accepted', async () => {
    const membership = await openAt(tempDir())
    const [eve, carol] = [device(), device()]
    await membership.request(eve, 'eve', '10.0.0.9:1', NOW)
    expect(await membership.refuse(eve)).toBe('refused')
    expect(await membership.request(eve, 'eve', '10.0.0.9:2', NOW)).toBe('refused')
    expect(await membership.refuse(eve)).toBe('not-pending')
    await membership.add(carol, 'carol', NOW)
    expect(await membership.remove(carol)).toBe('removed')
    expect(membership.isMember(carol)).toBe(false)
    expect(await membership.request(carol, 'carol', '10.0.0.8:1', NOW)).toBe('removed')
    expect(await membership.accept(carol)).toBe('accepted')
    expect(membership.isMember(carol)).toBe(true)
  })

  it('removing what is not a member forgets it; unknown IDs are said so', async () => {
    const membership = await openAt(tempDir())
    const [eve, nobody] = [device(), device()]
    await membership.request(eve, 'eve', '10.0.0.9:1', NOW)
    expect(await membership.remove(eve)).toBe('forgotten')
    expect(membership.list()).toEqual([])
    expect(await membership.remove(nobody)).toBe('unknown')
    expect(await membership.accept(nobody)).toBe('unknown')
    expect(await membership.refuse(nobody)).toBe('unknown')
  })

  it('names a peer chose are cleaned of control characters and cut to 64 characters', async () => {
    const membership = await openAt(tempDir())
    const id = device()
    await membership.request(id, `evil\u001b]0;pwned\u0007${'x'.repeat(100)}`, '10.0.0.9:1', NOW)
    const name = membership.get(id)!.name
    expect(name).not.toMatch(/[\u0000-\u001f\u007f]/)
    expect(name.length).toBeLessThanOrEqual(64)
    const wide = device()
    await membership.request(wide, '🙂'.repeat(40), '10.0.0.9:1', NOW)
    expect(membership.get(wide)!.name).toBe('🙂'.repeat(32))
    // What was written still passes the file's own check.
    expect((await openAt(membership.dir)).list()).toHaveLength(2)
  })
})

describe('the files', () => {
  it('survive a restart, written whole and owner-only', async () => {
    const dir = tempDir()
    const alice = device()
    await (await openAt(dir)).add(alice, 'alice', NOW)
    const again = await openAt(dir)
    expect(again.isMember(alice)).toBe(true)
    expect(JSON.parse(readFileSync(path.join(dir, 'members.json'), 'utf8'))).toEqual({
      version: 1,
      members: [{ id: hex(alice), name: 'alice', added: NOW.toISOString(), state: 'member' }],
    })
    expect(statSync(path.join(dir, 'members.json')).mode & 0o777).toBe(0o600)
  })

  it.each([
    ['not JSON', 'members.json', '{"version": 1, "members": [', /members\.json is not JSON/],
    ['a bad device ID', 'members.json', '{"version":1,"members":[{"id":"xyz","name":"a","added":"2030-01-01T00:00:00.000Z","state":"member"}]}', /members\.json is not a valid member list: members\.0\.id/],
    ['an unknown state', 'members.json', `{"version":1,"members":[{"id":"${'a'.repeat(64)}","name":"a","added":"2030-01-01T00:00:00.000Z","state":"boss"}]}`, /members\.0\.state/],
    ['a device listed twice', 'members.json', `{"version":1,"members":[${Array(2).fill(`{"id":"${'a'.repeat(64)}","name":"a","added":"2030-01-01T00:00:00.000Z","state":"member"}`).join(',')}]}`, /listed twice/],
    ['a later version', 'members.json', '{"version":2,"members":[]}', /version/],
    ['a bad invite list', 'invites.json', '{"version":1,"invites":[{"tokenHash":"00","expires":1,"used":false}]}', /invites\.json is not a valid invite list: invites\.0\.tokenHash/],
    ['a key it does not know', 'members.json', `{"version":1,"members":[{"id":"${'a'.repeat(64)}","name":"a","added":"2030-01-01T00:00:00.000Z","state":"member","admin":true}]}`, /members\.0: unrecognized key "admin"/],
    ['a member without a name', 'members.json', `{"version":1,"members":[{"id":"${'a'.repeat(64)}","added":"2030-01-01T00:00:00.000Z","state":"member"}]}`, /members\.0\.name: missing/],
    ['a name too long', 'members.json', `{"version":1,"members":[{"id":"${'a'.repeat(64)}","name":"${'n'.repeat(65)}","added":"2030-01-01T00:00:00.000Z","state":"member"}]}`, /members\.0\.name: longer than 64/],
    ['a date that is not one', 'members.json', `{"version":1,"members":[{"id":"${'a'.repeat(64)}","name":"a","added":"yesterday","state":"member"}]}`, /members\.0\.added/],
    ['members that are not a list', 'members.json', '{"version":1,"members":{}}', /members: expected an array/],
    ['an expiry before 1970', 'invites.json', `{"version":1,"invites":[{"tokenHash":"${'b'.repeat(64)}","expires":-1,"used":false}]}`, /invites\.0\.expires/],
    ['a used flag that is not true or false', 'invites.json', `{"version":1,"invites":[{"tokenHash":"${'b'.repeat(64)}","expires":1,"used":"no"}]}`, /invites\.0\.used/],
  ])('a file with %s is one clear error naming it', async (_name, file, content, message) => {
    const dir = tempDir()
    writeFileSync(path.join(dir, file), content)
    const error = await Membership.open(dir).then(
      () => expect.fail('opened'),
      (e: unknown) => e as MembershipFileError,
    )
    expect(error).toBeInstanceOf(MembershipFileError)
    expect(error.file).toBe(path.join(dir, file))
    expect(error.message).toContain(path.join(dir, file))
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('\n')
  })

  it('a file damaged while the server runs: lookups keep what was read, writes refuse to overwrite it', async () => {
    const dir = tempDir()
    const problems: string[] = []
    const server = await openAt(dir, { onProblem: (message) => problems.push(message) })
    const alice = device()
    await server.add(alice, 'alice', NOW)
    writeFileSync(path.join(dir, 'members.json'), '{ broken')
    expect(server.isMember(alice)).toBe(true)
    expect(server.isMember(alice)).toBe(true)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/members\.json is not JSON/)
    await expect(server.add(device(), 'bob', NOW)).rejects.toThrow(MembershipFileError)
    expect(readFileSync(path.join(dir, 'members.json'), 'utf8')).toBe('{ broken')
  })
})

describe('two processes on one folder (the running server and the CLI)', () => {
  it("each sees the other's changes at its next lookup", async () => {
    const dir = tempDir()
    const [server, cli] = [await openAt(dir), await openAt(dir)]
    const bob = device()
    await server.request(bob, 'bob', '10.0.0.7:52000', NOW)
    expect(cli.get(bob)?.state).toBe('pending')
    await cli.accept(bob)
    expect(server.isMember(bob)).toBe(true)
    await cli.remove(bob)
    expect(server.isMember(bob)).toBe(false)
  })

  it("a watching server is told of the CLI's changes without looking anything up", async () => {
    const dir = tempDir()
    const changes: MemberChange[] = []
    let notify = (): void => {}
    const server = await openAt(dir, {
      onChange: (batch) => {
        changes.push(...batch)
        notify()
      },
    })
    server.watch()
    const cli = await openAt(dir)
    const bob = device()
    const next = (): Promise<void> => new Promise((resolve) => (notify = resolve))

    let told = next()
    await cli.request(bob, 'bob', '10.0.0.7:52000', NOW)
    await told
    told = next()
    await cli.accept(bob)
    await told
    told = next()
    await cli.remove(bob)
    await told
    expect(changes.map((c) => [c.id, c.before, c.after])).toEqual([
      [hex(bob), null, 'pending'],
      [hex(bob), 'pending', 'member'],
      [hex(bob), 'member', 'removed'],
    ])
  })
})
