// Validation of every CLI value, up front: each parser returns the value or throws one line that
// names the flag's value and what was wrong with it.
import { statSync } from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError } from 'commander'
import { normalizeIp, unusableAddressReason } from '../main/engine/protocol/address'
import { HOST_WITH_PORT } from '../shared/endpoint'
import { isLimitRate, LIMIT_RATE_RULE } from '../shared/limit-rate'

export function integerIn(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`)
    }
    return n
  }
}

export const listenPort = integerIn(0, 65535, 'the port')

/** --limit-rate: KiB/s, 0 for none. */
export function limitRate(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!isLimitRate(n)) throw new InvalidArgumentError(`the bandwidth limit ${LIMIT_RATE_RULE}.`)
  return n
}
export const remotePort = integerIn(1, 65535, 'the server port')

export function existingDirectory(value: string): string {
  // path.resolve('') is the current folder: sharing it by accident could share everything.
  if (!value.trim()) throw new InvalidArgumentError('the folder is empty; name the folder to share.')
  const dir = path.resolve(value)
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    throw new InvalidArgumentError(`no folder at ${dir}.`)
  }
  if (!isDir) throw new InvalidArgumentError(`${dir} is a file, not a folder.`)
  return dir
}

/** A folder that may not exist yet (it is made on start). */
export function folderPath(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('the folder is empty; name a folder, or leave the option out for the default.')
  return path.resolve(value)
}

/** --config: a folder that may not exist yet (it is made on first use), but never a file. */
export function configFolder(value: string): string {
  const dir = folderPath(value)
  let stats
  try {
    stats = statSync(dir, { throwIfNoEntry: false })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new InvalidArgumentError(`${dir} cannot be a folder: a file stands on its path.`)
    throw new InvalidArgumentError(`cannot use ${dir}: ${(error as Error).message}.`)
  }
  if (stats && !stats.isDirectory()) throw new InvalidArgumentError(`${dir} is a file, not a folder.`)
  return dir
}

export function hostName(value: string): string {
  const host = value.trim()
  if (!host || /[\s/]/.test(host)) throw new InvalidArgumentError('expected a host name or an IP address.')
  if (HOST_WITH_PORT.test(host)) throw new InvalidArgumentError('give only the host here; the port goes in -sp.')
  return host
}

/** An IP literal, or the error that names the examples fit for this flag. */
function ipLiteral(value: string, examples: string): string {
  try {
    return normalizeIp(value.trim())
  } catch {
    throw new InvalidArgumentError(`expected an IPv4 or IPv6 address such as ${examples}.`)
  }
}

/** An IP literal the process may bind to. */
export function bindAddress(value: string): string {
  return ipLiteral(value, '0.0.0.0, :: or 127.0.0.1')
}

/** An IP literal other clients can reach. */
export function reachableAddress(value: string): string {
  const ip = ipLiteral(value, '192.168.1.20 or fd00::20')
  const unusable = unusableAddressReason(ip)
  if (unusable) throw new InvalidArgumentError(`${unusable}.`)
  return ip
}

/** The original's two-letter short flags, which no option parser reads as one flag. */
const LEGACY_FLAGS: Record<string, string> = { '-sp': '--server-port', '-sip': '--server-ip' }

/** Help shows the legacy flag beside its long form: `-sp, --server-port <port>`. */
export function legacyFlagTerm(flags: string): string {
  const legacy = Object.entries(LEGACY_FLAGS).find(([, long]) => flags.startsWith(`${long} `))
  return legacy ? `${legacy[0]}, ${flags}` : flags
}

/** Commander's messages name an option by its long form: give the legacy flag beside it, as help does. */
export function withLegacyFlagNames(message: string): string {
  return message.replace(/'(--[a-z-]+ [^']*)'/g, (quoted, flags: string) => `'${legacyFlagTerm(flags)}'`)
}

export function expandLegacyFlags(argv: string[]): string[] {
  return argv.map((arg) => {
    const [flag, ...rest] = arg.split('=')
    const long = LEGACY_FLAGS[flag!]
    if (!long) return arg
    return rest.length ? `${long}=${rest.join('=')}` : long
  })
}
