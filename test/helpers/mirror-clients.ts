// A registry server and clients run as a user runs them (CLI processes on 127.0.0.1), and the
// wait for a mirror to hold exactly what its source holds.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { expect } from 'vitest'
import { parseDeviceId } from '../../src/shared/device-id'
import { cliServerConfig, runCli, type CliProcess } from './cli'
import { knowServer } from './test-identity'
import { tempDir } from './temp'
import { foldersFor, foldersOf, mirrorOf, treeOf } from './tree'

export interface Client {
  cli: CliProcess
  dir: string
  port: number
  /** Its device ID as people read it (the `ready` event's), and in hex (what a certificate hashes to). */
  id: string
  idHex: string
}

/** A device ID as people read it, in hex. */
export function idToHex(idText: string): string {
  const parsed = parseDeviceId(idText)
  if (parsed.error !== undefined) throw new Error(`not a device ID: ${idText} (${parsed.error})`)
  return Buffer.from(parsed.bytes).toString('hex')
}

export function write(dir: string, rel: string, content: string | Buffer): void {
  const file = path.join(dir, ...rel.split('/'))
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, content)
}

/** A server process on 127.0.0.1; clients started with startClient become its members by invite. */
export async function startServer(...extra: string[]): Promise<number> {
  return (await startServerDevice(...extra)).port
}

/** startServer, with the server's device ID and config folder (its member store). */
export async function startServerDevice(...extra: string[]): Promise<{ port: number; id: string; configDir: string; cli: CliProcess }> {
  const configDir = extra.includes('--config') ? extra[extra.indexOf('--config') + 1]! : cliServerConfig()
  const cli = runCli(['server', '-p', '0', '--host', '127.0.0.1', '--config', configDir, ...extra.filter((_, i) => extra[i] !== '--config' && extra[i - 1] !== '--config')])
  const ready = await cli.waitFor('ready')
  // Its member store, for hand-written peers made members of it (makeMember, RawPeer.hello).
  knowServer(ready.port, configDir)
  return { port: ready.port, id: ready.id, configDir, cli }
}

export async function startClient(serverPort: number, dir: string, ...extra: string[]): Promise<Client> {
  const cli = runCli(['client', '-d', dir, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1', ...extra])
  const { port, id } = await cli.waitFor('ready', { role: 'client' }, 30_000)
  await cli.waitFor('registered')
  return { cli, dir, port, id, idHex: idToHex(id) }
}

/** Waits until `mirror` holds exactly the files of `source`, and no folder none of them needs. */
/**
 * A server, a sender sharing a new folder as `prepare` leaves it, and a receiver (started with
 * `receiverArgs`) that has synced it within `withinMs`; `mirror` is the sender's mirror there.
 */
export async function syncedPair(
  prepare: (senderDir: string) => void,
  withinMs: number,
  ...receiverArgs: string[]
): Promise<{ senderDir: string; sender: Client; receiver: Client; peer: string; mirror: string }> {
  const serverPort = await startServer()
  const senderDir = tempDir('sender-')
  prepare(senderDir)
  const sender = await startClient(serverPort, senderDir)
  const receiver = await startClient(serverPort, tempDir('receiver-'), ...receiverArgs)
  const peer = `127.0.0.1:${sender.port}`
  await receiver.cli.waitFor('peer-synced', { peer }, withinMs)
  return { senderDir, sender, receiver, peer, mirror: mirrorOf(receiver.dir, sender.port) }
}

export async function expectMirrored(source: string, mirror: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const files = treeOf(source)
    const want = { files, folders: foldersFor(Object.keys(files)) }
    const got = existsSync(mirror) ? { files: treeOf(mirror), folders: foldersOf(mirror) } : { files: {}, folders: [] }
    if (JSON.stringify(got) === JSON.stringify(want)) return
    if (Date.now() > deadline) expect(got).toEqual(want)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Waits until `mirror` holds exactly the files `want` of `source`, with their bytes. */
export async function expectMirrorHolds(source: string, mirror: string, want: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const all = treeOf(source)
    const wanted = Object.fromEntries([...want].sort().map((rel) => [rel, all[rel]]))
    const got = existsSync(mirror) ? treeOf(mirror) : {}
    if (JSON.stringify(got) === JSON.stringify(wanted)) return
    if (Date.now() > deadline) expect(got).toEqual(wanted)
    await new Promise((r) => setTimeout(r, 100))
  }
}
