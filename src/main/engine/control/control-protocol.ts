// The control socket's protocol, shared by the running client and `dropbox-sync ctl`: one JSON
// line in, one JSON line out, then the connection closes.
//   → {"command":"pause"}            {"command":"pause","peer":"bob-laptop"}
//   ← {"ok":true,"message":"paused"}  {"ok":false,"error":"…"}
// `peer` is what the person typed (a name, a device ID, a mirror folder, an address): only the
// client knows its peers, so it decides which one is meant (peer-match.ts).
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { formatEndpoint } from '../../../shared/endpoint'

export const CONTROL_COMMANDS = ['pause', 'resume', 'rescan', 'confirm'] as const
export type ControlCommand = (typeof CONTROL_COMMANDS)[number]

export interface ControlRequest {
  command: ControlCommand
  peer?: string
}

export type ControlReply = { ok: true; message: string } | { ok: false; error: string }

/** A request longer than this (without its newline) is refused. */
export const MAX_REQUEST_BYTES = 4096

/** The longest peer text taken (a device ID with dashes is 63 characters; names are at most 64 bytes). */
export const MAX_PEER_TEXT = 300

/** Unix socket paths are limited to 107 bytes on Linux (104 on macOS): past this, the fallback. */
const MAX_SOCKET_PATH_BYTES = 100

/**
 * `ip:port`, `[v6]:port`, or a mirror folder's name of an earlier version (`ip_port`, IPv6 `:`
 * as `-`), as an address key (`ip:port`, what events call it); null if it is none of them.
 */
export function peerKey(text: string): string | null {
  const value = text.trim()
  let ip: string
  let port: string
  let m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(value)
  if (m) [, ip, port] = m as unknown as [string, string, string]
  else if ((m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value))) [, ip, port] = m as unknown as [string, string, string]
  else if ((m = /^([0-9a-fA-F.-]+)_(\d{1,5})$/.exec(value))) {
    ip = m[1]!.replace(/-/g, ':')
    port = m[2]!
  } else return null
  const n = Number(port)
  if (n < 1 || n > 65535) return null
  return formatEndpoint(ip.toLowerCase(), n)
}

/** Pure: a request line (without its newline) as a request, or why it is not one. */
export function parseControlRequest(line: string): { request: ControlRequest } | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { error: 'not a request: send one line of JSON such as {"command":"pause"}' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a request: expected a JSON object with a "command"' }
  const { command, peer, ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length) return { error: `unknown field ${JSON.stringify(Object.keys(rest)[0])}` }
  if (typeof command !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(command)) {
    return { error: `unknown command ${JSON.stringify(command)}; one of ${CONTROL_COMMANDS.join(', ')}` }
  }
  const cmd = command as ControlCommand
  if (peer === undefined) {
    if (cmd === 'confirm') return { error: 'confirm needs the peer whose deletions to apply' }
    return { request: { command: cmd } }
  }
  if (cmd === 'rescan') return { error: 'rescan takes no peer' }
  if (typeof peer !== 'string') return { error: 'the peer must be a string: its name, device ID, mirror folder or IP:PORT' }
  const text = peer.trim()
  if (text === '') return { error: 'the peer is empty: give its name, device ID, mirror folder or IP:PORT' }
  if (text.length > MAX_PEER_TEXT) return { error: `the peer is longer than ${MAX_PEER_TEXT} characters` }
  return { request: { command: cmd, peer: text } }
}

/**
 * Where a client with this config folder listens: in a folder only its owner can enter, in the
 * config folder (CONFIG/control/control.sock); a config path too long for a socket's name gets
 * one in the temp folder instead, named by a hash of the config folder's path.
 */
export function controlSocketPath(configDir: string): string {
  const resolved = path.resolve(configDir)
  const preferred = path.join(resolved, 'control', 'control.sock')
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES) return preferred
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  const name = createHash('sha256').update(resolved).digest('hex').slice(0, 24)
  return path.join(tmpdir(), `dropbox-sync-${uid}`, `${name}.sock`)
}
