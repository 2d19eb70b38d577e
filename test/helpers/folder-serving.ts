// A folder server on a real folder and socket, and test devices to call it as (the folder
// server's tests and the block serving's).
import path from 'node:path'
import { afterEach } from 'vitest'
import { FolderServer } from '../../src/main/engine/client/folder-server'
import { FolderIndex, type FolderIndexOptions } from '../../src/main/engine/folder/folder-index'
import { EventLog } from './events'
import { RawPeer } from './raw-peer'
import { cachedIdentity, newIdentity, type TestIdentity } from './test-identity'
import { removeTempDirs, tempDir } from './temp'

export const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})

/** Test devices by the `ip:port` a test has the registry announce them at. */
const devices = new Map<string, Promise<TestIdentity>>()

export function deviceAt(endpoint: string): Promise<TestIdentity> {
  let device = devices.get(endpoint)
  if (!device) devices.set(endpoint, (device = newIdentity(`peer-${endpoint}`)))
  return device
}

/**
 * A folder server on `root`, as a device of its own; `announced`: the `ip:port` of each test
 * device the registry has announced as online (its directory maps their IDs to these).
 * `announce` adds one later, as a USER_ON arriving after the device's call would.
 */
export async function serve(
  root: string,
  announced: Set<string>,
  indexOptions: FolderIndexOptions = {},
): Promise<{ port: number; index: FolderIndex; log: EventLog; server: FolderServer; announce: (endpoint: string) => Promise<void> }> {
  const log = new EventLog()
  const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), log.sink, indexOptions)
  await index.open()
  const directory = new Map<string, string>()
  const waiting = new Map<string, Array<() => void>>()
  const announce = async (endpoint: string): Promise<void> => {
    const id = (await deviceAt(endpoint)).id.toString('hex')
    directory.set(id, endpoint)
    for (const wake of waiting.get(id) ?? []) wake()
    waiting.delete(id)
  }
  for (const endpoint of announced) await announce(endpoint)
  const server = new FolderServer({
    port: 0,
    host: '127.0.0.1',
    identity: await cachedIdentity('folder-server'),
    name: 'folder-server',
    index,
    peers: {
      lookup: (id) => directory.get(id) ?? null,
      listed: () => true,
      waitFor: (id, ms) =>
        new Promise((resolve) => {
          const answer = (): void => {
            clearTimeout(timer)
            resolve(directory.get(id) ?? null)
          }
          const timer = setTimeout(answer, ms)
          waiting.set(id, [...(waiting.get(id) ?? []), answer])
        }),
    },
    onEvent: log.sink,
  })
  const { port } = await server.start()
  cleanup.push(() => index.close(), () => server.stop())
  return { port, index, log, server, announce }
}

/** Connects to the folder server as the test device announced at `as`, HELLO answered. */
export async function identified(port: number, as: { ip: string; port: number }): Promise<RawPeer> {
  const peer = await RawPeer.handshake(port, { identity: await deviceAt(`${as.ip}:${as.port}`) })
  cleanup.push(() => peer.close())
  return peer
}

