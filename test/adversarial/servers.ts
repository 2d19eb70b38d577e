// The in-process servers the adversarial tests attack, as the product starts them under protocol
// 4: a registry server with its own config folder (identity and member store, known to
// makeMember by its port), and a client's folder server with a device identity of its own that
// admits only the devices a test says the registry announced.
import path from 'node:path'
import { FolderServer, type PeerDirectory } from '../../src/main/engine/client/folder-server'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { RegistryServer, type RegistryServerOptions } from '../../src/main/engine/registry/registry-server'
import { EventLog } from '../helpers/events'
import { knowServer, newIdentity, serverConfig, type TestIdentity } from '../helpers/test-identity'
import { tempDir } from '../helpers/temp'

/** Where an announced device is said to be registered (what the folder server calls the session). */
export const ANNOUNCED = { ip: '127.0.0.1', port: 40001 }

export interface StartedRegistry {
  server: RegistryServer
  port: number
  /** Its config folder: identity and member store. */
  configDir: string
  log: EventLog
}

export async function startRegistry(options: Partial<RegistryServerOptions> = {}): Promise<StartedRegistry> {
  const log = new EventLog()
  const { configDir } = await serverConfig()
  const server = new RegistryServer({ port: 0, host: '127.0.0.1', configDir, name: 'adversarial-server', onEvent: log.sink, ...options })
  const { port } = await server.start()
  knowServer(port, configDir)
  return { server, port, configDir, log }
}

/** A peer directory in which exactly `announced` devices are online (all of them at ANNOUNCED). */
export function directoryOf(announced: Array<{ id: Buffer }>): PeerDirectory {
  const online = new Set(announced.map((d) => d.id.toString('hex')))
  const lookup = (id: string): string | null => (online.has(id) ? `${ANNOUNCED.ip}:${ANNOUNCED.port}` : null)
  // In-process an unknown device is refused at once; a CLI client waits its real ANNOUNCE_WAIT_MS.
  return { lookup, waitFor: async (id) => lookup(id), listed: () => true }
}

export interface StartedFolderServer {
  server: FolderServer
  index: FolderIndex
  port: number
  /** The folder server's own device. */
  identity: TestIdentity
  log: EventLog
  stop: () => Promise<void>
}

/** A folder server sharing `root` that admits the `announced` devices and nobody else. */
export async function startFolderServer(root: string, announced: Array<{ id: Buffer }>): Promise<StartedFolderServer> {
  const log = new EventLog()
  const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), log.sink)
  await index.open()
  const identity = await newIdentity('adversarial-folder')
  const server = new FolderServer({ port: 0, host: '127.0.0.1', identity, name: identity.name, index, peers: directoryOf(announced), onEvent: log.sink })
  const { port } = await server.start()
  return {
    server,
    index,
    port,
    identity,
    log,
    stop: async () => {
      await server.stop()
      await index.close()
    },
  }
}
