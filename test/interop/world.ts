// A real registry server and one real client (CLI processes) for the spec peer to meet.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inviteFrom, killAllClis, startCli, type Cli } from './cli-procs'
import { SpecPeer, type Member } from './spec-peer'

export interface World {
  server: Cli
  serverConfig: string
  serverPort: number
  client: Cli
  clientDir: string
  clientId: string
  clientPort: number
  /** A fresh single-use invite to the server, as `dropbox-sync invite --config DIR` makes it. */
  invite(): string
  dispose(): void
}

export async function startWorld(files: Record<string, Buffer>): Promise<World> {
  const dirs: string[] = []
  const temp = (prefix: string): string => {
    const d = mkdtempSync(path.join(tmpdir(), prefix))
    dirs.push(d)
    return d
  }
  const serverConfig = temp('dbs-interop-server-')
  const server = startCli(['server', '-p', '0', '--host', '127.0.0.1', '--config', serverConfig, '--name', 'registry'])
  const serverPort = (await server.waitFor('ready', { role: 'server' })).port as number

  const clientDir = temp('dbs-interop-shared-')
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(clientDir, name)), { recursive: true })
    writeFileSync(path.join(clientDir, name), content)
  }
  const clientConfig = temp('dbs-interop-client-')
  const client = startCli(['client', '-d', clientDir, '-p', '0', '--host', '127.0.0.1', '-w', '2', '--config', clientConfig, '--name', 'real-client', '--join', inviteFrom(serverConfig, serverPort)])
  const ready = await client.waitFor('ready', { role: 'client' })
  await client.waitFor('registered')
  return {
    server,
    serverConfig,
    serverPort,
    client,
    clientDir,
    clientId: ready.id as string,
    clientPort: ready.port as number,
    invite: () => inviteFrom(serverConfig, serverPort),
    dispose: () => {
      killAllClis()
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
      rmSync(`${clientDir}-mirrors`, { recursive: true, force: true })
    },
  }
}

/** A spec peer named `name` joined to the world's server, and the real client as the server listed it. */
export async function joinedPeer(world: World, name: string): Promise<{ peer: SpecPeer; real: Member }> {
  const peer = await SpecPeer.create(name)
  const list = await peer.join(world.invite())
  return { peer, real: list.find((m) => m.endpoint.port === world.clientPort)! }
}
