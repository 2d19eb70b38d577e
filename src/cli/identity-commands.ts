// The commands about this device and who may join it: `id`, `invite` and `members`. The engine's
// identity code (and zod, which the member files need) loads only when one of them runs.
import { type Command, InvalidArgumentError } from 'commander'
import { statSync } from 'node:fs'
import path from 'node:path'
import { defaultConfigDir } from '../main/app/headless/ui-address'
import { formatDeviceId, parseDeviceId, shortDeviceId } from '../shared/device-id'
import { formatInviteAddress, parseInviteAddress, type InviteAddress } from '../main/engine/identity/invite-address'
import { localAddresses, savedServerPort } from './invite-addresses'
import { configFolder, integerIn } from './options'

const CONFIG_FLAGS = '--config <dir>'
const CONFIG_HELP = "the folder of this device's identity and members (default: the desktop app's settings folder)"
const MAX_VALID_HOURS = 720

/** Bad input: one line, exit 2 (as the parser's own errors). */
class UsageError extends Error {}

interface ConfigOption {
  config?: string
}

export function registerIdentityCommands(program: Command): void {
  const version = program.version()

  const withConfig = (command: Command): Command => {
    if (version) command.version(version, '-V, --version', 'print the version of dropbox-sync')
    return command.option(CONFIG_FLAGS, CONFIG_HELP, configFolder)
  }

  withConfig(program.command('id').description("print this device's ID (made at first use)")).action((opts: ConfigOption) =>
    run(async () => {
      const identity = await loadIdentity(configDir(opts))
      process.stdout.write(`${identity.idText}\n`)
    }),
  )

  withConfig(program.command('invite').description('make a single-use invite for a device to join this server; prints it on one line'))
    .option('--valid <hours>', 'how long the invite can be used', integerIn(1, MAX_VALID_HOURS, 'the validity in hours'), 24)
    .option('--address <host:port>', "where the device reaches this server (repeatable; default: this machine's addresses with the saved server port)", collectAddress)
    .action((opts: ConfigOption & { valid: number; address?: InviteAddress[] }) =>
      run(async () => {
        const dir = configDir(opts)
        const { MAX_INVITE_ADDRESSES } = await import('../main/engine/identity/invite')
        let addresses = opts.address ?? []
        if (addresses.length > MAX_INVITE_ADDRESSES) throw new UsageError(`an invite holds at most ${MAX_INVITE_ADDRESSES} addresses`)
        if (addresses.length === 0) {
          const port = savedServerPort(dir)
          if (port === null) throw new UsageError(`the server's port is not known (no server settings saved in ${dir}); give --address HOST:PORT`)
          addresses = localAddresses(port, MAX_INVITE_ADDRESSES)
        }
        const identity = await loadIdentity(dir)
        const membership = await openMembership(dir)
        const now = new Date()
        const invite = await membership.createInvite({ addresses, serverId: identity.id, validHours: opts.valid, now })
        process.stdout.write(`${invite}\n`)
        const until = new Date(now.getTime() + opts.valid * 3600_000).toISOString()
        process.stderr.write(`valid once, until ${until}, for a device that can reach ${addresses.map(formatInviteAddress).join(', ')}\n`)
      }),
    )

  const members = program.command('members').description('list the devices that joined or asked to, and accept, refuse or remove them')
  withConfig(members.command('list').description('one line per device: ID, state, name, since when')).action((opts: ConfigOption) =>
    run(async () => {
      const membership = await openMembership(membersDir(opts))
      for (const m of membership.list()) {
        const from = m.address ? `  from ${m.address}` : ''
        process.stdout.write(`${formatDeviceId(Buffer.from(m.id, 'hex'))}  ${m.state}  ${m.name || '(no name)'}  since ${m.added}${from}\n`)
      }
    }),
  )
  withConfig(members.command('accept').argument('<id>', 'the device ID').description('let in a device that asked to join (or was refused or removed)')).action(
    (id: string, opts: ConfigOption) =>
      memberAction(id, opts, async (membership, bytes) => {
        const result = await membership.accept(bytes)
        if (result === 'unknown') return null
        return result === 'accepted' ? 'accepted' : 'is already a member'
      }),
  )
  withConfig(members.command('refuse').argument('<id>', 'the device ID').description('turn down a device that asked to join')).action((id: string, opts: ConfigOption) =>
    memberAction(id, opts, async (membership, bytes) => {
      const result = await membership.refuse(bytes)
      if (result === 'not-pending') throw new UsageError(`${id.trim()} has not asked to join (it is ${membership.get(bytes)?.state}); to take a member out, use members remove`)
      return result === 'refused' ? 'refused' : null
    }),
  )
  withConfig(members.command('remove').argument('<id>', 'the device ID').description('take a member out (or forget a request); a removed device is refused from then on')).action(
    (id: string, opts: ConfigOption) =>
      memberAction(id, opts, async (membership, bytes) => {
        const result = await membership.remove(bytes)
        return result === 'unknown' ? null : result
      }),
  )
}

type Membership = Awaited<ReturnType<typeof openMembership>>

/** Runs one change on the device named by `text`; `change` answers the past tense to print, or null for unknown. */
function memberAction(text: string, opts: ConfigOption, change: (membership: Membership, id: Uint8Array) => Promise<string | null>): Promise<void> {
  return run(async () => {
    const parsed = parseDeviceId(text)
    if (parsed.error !== undefined) throw new UsageError(parsed.error)
    const dir = membersDir(opts)
    const membership = await openMembership(dir)
    const before = membership.get(parsed.bytes)
    const done = await change(membership, parsed.bytes)
    if (done === null || !before) throw new UsageError(`no device ${formatDeviceId(parsed.bytes)} among the members and requests in ${dir}`)
    process.stdout.write(`${before.name || '(no name)'} (${shortDeviceId(parsed.bytes)}) ${done}\n`)
  })
}

function configDir(opts: ConfigOption): string {
  return path.resolve(opts.config ?? defaultConfigDir())
}

/** The server's config folder for `members`, which reads and changes what is there and makes no folder: a typo is said, not taken for a server with no members. */
function membersDir(opts: ConfigOption): string {
  const dir = configDir(opts)
  let stats
  try {
    stats = statSync(dir)
  } catch {
    throw new UsageError(`no config folder at ${dir}; name the server's with --config DIR`)
  }
  if (!stats.isDirectory()) throw new UsageError(`${dir} is not a folder; name the server's config folder with --config DIR`)
  return dir
}

async function loadIdentity(dir: string) {
  const { loadOrCreateIdentity } = await import('../main/engine/identity/device-identity')
  const identity = await loadOrCreateIdentity(dir)
  if (identity.created) process.stderr.write(`made this device's identity in ${dir}\n`)
  if (identity.notice) process.stderr.write(`${identity.notice}\n`)
  return identity
}

async function openMembership(dir: string) {
  const { Membership } = await import('../main/engine/identity/membership')
  return Membership.open(dir)
}

/** `--address` may be given again and again. */
function collectAddress(value: string, previous: InviteAddress[] = []): InviteAddress[] {
  const address = parseInviteAddress(value)
  if (typeof address === 'string') throw new InvalidArgumentError(`${address}.`)
  return [...previous, address]
}

/** Known failures are one line: bad input exits 2, a damaged identity or member file exits 1. */
async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    const usage = error instanceof UsageError
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`${usage ? 'error' : 'dropbox-sync'}: ${message}\n`)
    process.exitCode = usage ? 2 : 1
  }
}
