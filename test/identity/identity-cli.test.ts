// `dropbox-sync id`, `invite` and `members` as real processes on real config folders; the server
// side of each is played by the engine's Membership on the same folder, as a running server would.
import { randomBytes } from 'node:crypto'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeInvite } from '../../src/main/engine/identity/invite'
import { Membership } from '../../src/main/engine/identity/membership'
import { formatDeviceId, parseDeviceId } from '../../src/shared/device-id'
import { runCliOnce } from '../helpers/cli'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const ID_TEXT = /^[A-Z2-7]{7}(?:-[A-Z2-7]{7}){7}$/

/** A usage problem: exit 2 and one line on stderr, nothing on stdout. */
function expectUsageError(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.code, result.stderr).toBe(2)
  expect(result.stdout).toBe('')
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(result.stderr).toMatch(message)
}

describe('dropbox-sync id', () => {
  it('prints the same one-line ID at every run, from a key only the owner can read', async () => {
    const dir = path.join(tempDir(), 'config')
    const first = await runCliOnce(['id', '--config', dir])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(new RegExp(`^${ID_TEXT.source.slice(1, -1)}\\n$`))
    expect(first.stderr).toContain(`made this device's identity in ${dir}`)
    expect(statSync(path.join(dir, 'device-key.pem')).mode & 0o777).toBe(0o600)
    const second = await runCliOnce(['id', '--config', dir])
    expect(second).toEqual({ code: 0, stdout: first.stdout, stderr: '' })
  })

  it('a damaged key is one line naming the file, exit 1, and the file is left as it was', async () => {
    const dir = tempDir()
    await runCliOnce(['id', '--config', dir])
    writeFileSync(path.join(dir, 'device-key.pem'), 'garbage\n')
    const result = await runCliOnce(['id', '--config', dir])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(`${path.join(dir, 'device-key.pem')} is not a private key`)])
  })
})

describe('dropbox-sync invite', () => {
  it('prints one invite, carrying this device ID, that the running server accepts once', async () => {
    const dir = tempDir()
    const id = (await runCliOnce(['id', '--config', dir])).stdout.trim()
    const before = Math.floor(Date.now() / 1000)
    const result = await runCliOnce(['invite', '--config', dir, '--valid', '2', '--address', '10.0.0.5:4000', '--address', '[fd00::5]:4000'])
    const after = Math.ceil(Date.now() / 1000)
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    const decoded = decodeInvite(lines[0]!, before)
    if (!decoded.ok) expect.fail(decoded.message)
    expect(formatDeviceId(decoded.invite.serverId)).toBe(id)
    expect(decoded.invite.addresses).toEqual([
      { host: '10.0.0.5', port: 4000 },
      { host: 'fd00::5', port: 4000 },
    ])
    expect(decoded.invite.expires).toBeGreaterThanOrEqual(before + 2 * 3600)
    expect(decoded.invite.expires).toBeLessThanOrEqual(after + 2 * 3600)

    const server = await Membership.open(dir)
    const device = randomBytes(32)
    expect(await server.redeemInvite(decoded.invite.token, device, 'laptop')).toBe('ok')
    expect(await server.redeemInvite(decoded.invite.token, randomBytes(32), 'other')).toBe('used')
    const list = await runCliOnce(['members', 'list', '--config', dir])
    expect(list.stdout).toMatch(new RegExp(`^${formatDeviceId(device)}  member  laptop  since \\S+\\n$`))
  })

  it("without --address: this machine's addresses, then 127.0.0.1, at the saved server port", async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ role: 'server', port: 4123 }))
    const result = await runCliOnce(['invite', '--config', dir])
    expect(result.code, result.stderr).toBe(0)
    const decoded = decodeInvite(result.stdout.trim(), Math.floor(Date.now() / 1000))
    if (!decoded.ok) expect.fail(decoded.message)
    expect(decoded.invite.addresses.at(-1)).toEqual({ host: '127.0.0.1', port: 4123 })
    expect(decoded.invite.addresses.every((address) => address.port === 4123)).toBe(true)
  })

  it.each([
    ['no port known', [], /the server's port is not known .*give --address HOST:PORT/],
    ['a client\'s settings', ['--config-json', '{"role":"client","port":4123}'], /the server's port is not known/],
    ['an address without a port', ['--address', '10.0.0.5'], /is not HOST:PORT/],
    ['port 0', ['--address', '10.0.0.5:0'], /port must be from 1 to 65535/],
    ['the unspecified address', ['--address', '0.0.0.0:4000'], /cannot be reached/],
    ['a validity of 0 hours', ['--address', '10.0.0.5:4000', '--valid', '0'], /from 1 to 720/],
  ])('refuses %s: one line, exit 2', async (_name, args, message) => {
    const dir = tempDir()
    const settings = args.indexOf('--config-json')
    if (settings >= 0) writeFileSync(path.join(dir, 'config.json'), args.splice(settings, 2)[1]!)
    expectUsageError(await runCliOnce(['invite', '--config', dir, ...args]), message)
  })
})

describe('dropbox-sync members', () => {
  async function serverWithRequests(): Promise<{ dir: string; server: Membership; bob: Buffer; eve: Buffer }> {
    const dir = tempDir()
    const server = await Membership.open(dir)
    const [bob, eve] = [randomBytes(32), randomBytes(32)]
    await server.request(bob, 'bob', '10.0.0.7:52000', new Date('2030-01-01T00:00:00Z'))
    await server.request(eve, 'eve', '10.0.0.9:52000', new Date('2030-01-01T00:00:00Z'))
    return { dir, server, bob, eve }
  }

  it('lists nothing in a fresh folder', async () => {
    expect(await runCliOnce(['members', 'list', '--config', tempDir()])).toEqual({ code: 0, stdout: '', stderr: '' })
  })

  it('accept, refuse and remove change what the running server sees', async () => {
    const { dir, server, bob, eve } = await serverWithRequests()
    const list = await runCliOnce(['members', 'list', '--config', dir])
    expect(list.stdout.split('\n').filter(Boolean)).toEqual([
      `${formatDeviceId(bob)}  pending  bob  since 2030-01-01T00:00:00.000Z  from 10.0.0.7:52000`,
      `${formatDeviceId(eve)}  pending  eve  since 2030-01-01T00:00:00.000Z  from 10.0.0.9:52000`,
    ])

    // IDs as people paste them: lower case, spaces for dashes.
    const accepted = await runCliOnce(['members', 'accept', formatDeviceId(bob).toLowerCase().replaceAll('-', ' '), '--config', dir])
    expect(accepted.code, accepted.stderr).toBe(0)
    expect(accepted.stdout).toBe(`bob (${formatDeviceId(bob).slice(0, 7)}) accepted\n`)
    expect(server.isMember(bob)).toBe(true)

    expect((await runCliOnce(['members', 'refuse', formatDeviceId(eve), '--config', dir])).code).toBe(0)
    expect(server.get(eve)?.state).toBe('refused')

    const removed = await runCliOnce(['members', 'remove', formatDeviceId(bob), '--config', dir])
    expect(removed.stdout).toBe(`bob (${formatDeviceId(bob).slice(0, 7)}) removed\n`)
    expect(server.isMember(bob)).toBe(false)
    expect(server.get(bob)?.state).toBe('removed')
  })

  it.each([
    ['a mistyped ID', (id: string) => ['accept', `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`], /check character 4 does not match: a typo\?/],
    ['a cut-off ID', (id: string) => ['remove', id.slice(0, 20)], /wrong length/],
    ['an ID nobody knows', () => ['accept', formatDeviceId(randomBytes(32))], /no device .* among the members and requests/],
    ['refusing a member', (id: string) => ['refuse', id], /has not asked to join \(it is member\)/],
    ['no ID', () => ['accept'], /missing required argument 'id'/],
  ])('refuses %s: one line, exit 2', async (_name, args, message) => {
    const { dir, server, bob } = await serverWithRequests()
    await server.accept(bob)
    expectUsageError(await runCliOnce(['members', ...args(formatDeviceId(bob)), '--config', dir]), message)
  })

  it.each([
    ['list', () => ['list']],
    ['accept', () => ['accept', formatDeviceId(randomBytes(32))]],
    ['remove', () => ['remove', formatDeviceId(randomBytes(32))]],
  ])('%s with a config folder that does not exist (a typo): one line naming it, exit 2, and no folder made', async (_name, args) => {
    const dir = path.join(tempDir(), 'server-confg')
    expectUsageError(await runCliOnce(['members', ...args(), '--config', dir]), new RegExp(`no config folder at ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`))
    expect(existsSync(dir)).toBe(false)
  })

  it('a damaged member file is one line naming it, exit 1', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'members.json'), '{"version":1,"members":[{}]}')
    const result = await runCliOnce(['members', 'list', '--config', dir])
    expect(result.code).toBe(1)
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(`${path.join(dir, 'members.json')} is not a valid member list`)])
  })

  it('the ID `id` prints is the one `members` takes', async () => {
    const dir = tempDir()
    const id = (await runCliOnce(['id', '--config', dir])).stdout.trim()
    expect(parseDeviceId(id).bytes).toHaveLength(32)
  })
})

describe('a command that takes a command (members, history) given none', () => {
  it.each([
    [['members'], /members needs a command: list, accept ID, refuse ID or remove ID/],
    [['members', '--config', 'server-config'], /members needs a command: list, accept ID, refuse ID or remove ID/],
    [['history', '-d', 'alice'], /history needs a command: list or restore PATH/],
    [['history', '--mirror', 'alice-mirrors', 'list'], /history needs a command: list or restore PATH/],
  ])('%j: one line saying which commands it takes, exit 2', async (args, message) => {
    expectUsageError(await runCliOnce(args), message)
  })

  it('help is still help', async () => {
    const result = await runCliOnce(['members', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('accept')
  })
})

