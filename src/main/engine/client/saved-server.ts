// Which server this device is a member of: `server.json` in the config folder, written once the
// server has let it in (JOIN_OK). It holds the server's device ID, which every later connection
// pins, the addresses it was reached at, and the invite it joined with. Without it, a client needs an invite (`--join`) or
// the server's ID (`--server-id`, to ask the operator to accept it).
import path from 'node:path'
import { formatDeviceId, parseDeviceId } from '../../../shared/device-id'
import { writeFileAtomic } from '../folder/atomic-write'
import { checkInviteAddress, type InviteAddress } from '../identity/invite-address'
import { decodeInvite } from '../identity/invite'
import { readTextIfThere } from '../util/read-text-file'

export const SERVER_FILE = 'server.json'

export interface SavedServer {
  /** The server's device ID (32 bytes). */
  id: Buffer
  addresses: InviteAddress[]
  /** The invite this device joined with, so Settings can say it was used; absent when it joined otherwise. */
  joinedWith?: JoinedWith
}

export interface JoinedWith {
  /** The invite token's SHA-256, hex (`inviteTokenHash`). */
  tokenHash: string
  /** When the server let this device in with it (ISO 8601). */
  at: string
}

/** The saved membership, null when there is none; a damaged file is an Error naming it. */
export function readSavedServer(configDir: string): SavedServer | null {
  const file = path.join(configDir, SERVER_FILE)
  const text = readTextIfThere(file)
  if (text === null) return null
  const damaged = new Error(`${file} is damaged; delete it and join the server again (--join INVITE or --server-id ID)`)
  let data: { version?: unknown; serverId?: unknown; addresses?: unknown; joinedWith?: unknown }
  try {
    data = JSON.parse(text) as typeof data
  } catch {
    throw damaged
  }
  const parsed = typeof data.serverId === 'string' ? parseDeviceId(data.serverId) : null
  if (data.version !== 1 || !parsed?.bytes || !Array.isArray(data.addresses)) throw damaged
  const addresses: InviteAddress[] = []
  for (const raw of data.addresses as Array<{ host?: unknown; port?: unknown }>) {
    const address = typeof raw?.host === 'string' && typeof raw.port === 'number' ? checkInviteAddress({ host: raw.host, port: raw.port }) : 'bad'
    if (typeof address === 'string') throw damaged
    addresses.push(address)
  }
  const joinedWith = readJoinedWith(data.joinedWith)
  return { id: Buffer.from(parsed.bytes), addresses, ...(joinedWith ? { joinedWith } : {}) }
}

/** Only shown in Settings: one that does not read is left out rather than stopping the client. */
function readJoinedWith(raw: unknown): JoinedWith | null {
  const record = raw as { tokenHash?: unknown; at?: unknown } | undefined
  if (typeof record?.tokenHash !== 'string' || !/^[0-9a-f]{64}$/.test(record.tokenHash)) return null
  if (typeof record.at !== 'string' || Number.isNaN(Date.parse(record.at))) return null
  return { tokenHash: record.tokenHash, at: record.at }
}

/** Written whole (temp file, fsync, rename), owner-only. */
export async function saveServer(configDir: string, server: SavedServer): Promise<void> {
  const { id, addresses, joinedWith } = server
  const text = `${JSON.stringify({ version: 1, serverId: formatDeviceId(id), addresses, ...(joinedWith ? { joinedWith } : {}) }, null, 2)}\n`
  await writeFileAtomic(path.join(configDir, SERVER_FILE), text, 0o600)
}

/** How a client reaches and proves its server: the pinned ID, where to look, an invite's token. */
export interface JoinPlan {
  serverId: Buffer
  addresses: InviteAddress[]
  token?: Uint8Array
  /** True when the server has let this device in before (server.json). */
  saved: boolean
  /** The invite it joined with then, kept when server.json is written again. */
  joinedWith?: JoinedWith
}

/** Bad input for joining: the CLI turns it into one line and exit 2. */
export class JoinError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JoinError'
  }
}

/**
 * Works out the plan from the flags and the config folder: an invite (`join`) names the server
 * and carries a token; `serverId` names it only; otherwise the saved membership. Addresses given
 * on the command line come first, then the invite's, then the saved ones.
 */
export function planJoin(params: { configDir: string; join?: string; serverId?: string; address?: InviteAddress; now?: Date }): JoinPlan {
  const saved = readSavedServer(params.configDir)
  const given = params.address ? [params.address] : []
  let serverId: Buffer
  let token: Uint8Array | undefined
  let fromInvite: InviteAddress[] = []
  // An invite of the saved server that has expired since (the app keeps the one it joined with in
  // its settings): the saved membership suffices. One still valid goes with JOIN: a member is let
  // in whatever it carries, and a device removed since comes back with a new one.
  const joinedWith = params.join === undefined ? null : decodeInvite(params.join, 0)
  const decoded = params.join === undefined ? null : decodeInvite(params.join, Math.floor((params.now ?? new Date()).getTime() / 1000))
  if (decoded && !decoded.ok && saved && joinedWith?.ok && saved.id.equals(Buffer.from(joinedWith.invite.serverId))) {
    serverId = saved.id
  } else if (decoded) {
    if (!decoded.ok) throw new JoinError(decoded.message)
    serverId = Buffer.from(decoded.invite.serverId)
    token = decoded.invite.token
    fromInvite = decoded.invite.addresses
  } else if (params.serverId !== undefined) {
    const parsed = parseDeviceId(params.serverId)
    if (parsed.error !== undefined) throw new JoinError(`--server-id: ${parsed.error}`)
    serverId = Buffer.from(parsed.bytes)
  } else if (saved) {
    serverId = saved.id
  } else {
    throw new JoinError(
      `this device is not a member of any server yet (nothing saved in ${params.configDir}): join with --join INVITE (made by dropbox-sync invite on the server), or ask with --server-id ID for the operator to accept it`,
    )
  }
  const fromSaved = saved?.id.equals(serverId) ? saved.addresses : []
  const addresses = dedupe([...given, ...fromInvite, ...fromSaved])
  if (addresses.length === 0) throw new JoinError('where is the server? give --server-ip and --server-port')
  const same = Boolean(saved?.id.equals(serverId))
  const record = same ? saved?.joinedWith : undefined
  return { serverId, addresses, ...(token ? { token } : {}), saved: same, ...(record ? { joinedWith: record } : {}) }
}

function dedupe(addresses: InviteAddress[]): InviteAddress[] {
  const seen = new Set<string>()
  return addresses.filter((a) => {
    const key = `${a.host}|${a.port}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
