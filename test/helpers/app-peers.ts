// What an AppCore test joins, in this process on 127.0.0.1: a registry server with a config folder
// of its own, and a peer client node sharing a folder. Each registers its stop in `cleanups`
// before it starts, so a start that fails still leaves nothing running.
import { ClientNode } from '../../src/main/engine/client/client-node'
import { RegistryServer } from '../../src/main/engine/registry/registry-server'
import { inviteTo, WORKER_SCRIPT } from './app-core'
import { EventLog } from './events'
import { tempDir } from './temp'
import { serverConfig } from './test-identity'

export type Cleanups = Array<() => Promise<void> | void>

export async function startRegistry(cleanups: Cleanups): Promise<{ port: number; configDir: string }> {
  const { configDir } = await serverConfig()
  const server = new RegistryServer({ port: 0, host: '127.0.0.1', heartbeatMs: 1000, configDir, name: 'test server' })
  cleanups.push(() => server.stop())
  return { port: (await server.start()).port, configDir }
}

/** A peer sharing `folder`, joined with an invite of the registry at `serverPort`; resolves once it has registered. */
export async function startPeerNode(
  cleanups: Cleanups,
  registry: { port: number; configDir: string },
  folder: string,
  name = 'peer',
): Promise<{ node: ClientNode; port: number; events: EventLog }> {
  const events = new EventLog()
  const node = new ClientNode({
    dir: folder,
    mirrorDir: `${folder}-mirrors`,
    port: 0,
    host: '127.0.0.1',
    serverHost: '127.0.0.1',
    serverPort: registry.port,
    configDir: tempDir('peer-config-'),
    name,
    join: await inviteTo(registry.configDir, registry.port),
    workers: 1,
    bufferSlots: 2,
    workerScript: WORKER_SCRIPT,
    onEvent: events.sink,
  })
  cleanups.push(() => node.stop())
  const port = (await node.start()).port
  await events.waitFor('registered')
  return { node, port, events }
}
