// Registrations at addresses where nothing listens (a raw peer LOG_ONs claiming them): every
// client dials each with growing backoff, says so once, and makes no mirror folder for it;
// a real peer syncs all the while. Real CLI clients on 127.0.0.1.
import { readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write } from '../helpers/mirror-clients'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, peerFolderName } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const FAKES = 50
/** How long the clients are watched dialling the fakes: long enough for several retries at a fixed 1 s. */
const WINDOW_MS = 8000

/** Whether nothing listens on 127.0.0.1 at `port` (a connection there is refused). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

/**
 * `count` distinct ports where nothing listens, below the range the system hands out for port 0:
 * no client started meanwhile can be given one of them, and no two fakes claim the same address
 * (a second device is refused an address already logged on).
 */
async function closedPorts(count: number): Promise<number[]> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
  const ports: number[] = []
  for (let port = (low ?? 32768) - 1; ports.length < count && port > 1024; port--) if (await refused(port)) ports.push(port)
  return ports
}

describe('fake registrations at closed ports', () => {
  it('cost each client a report or two per fake, no mirror folder, and do not stop a real peer syncing', { timeout: 90_000 }, async () => {
    // The fakes never ping: a long heartbeat keeps them registered through the window.
    const serverPort = await startServer('--heartbeat', '60000')
    const aDir = tempDir('a-')
    write(aDir, 'hello.txt', 'from a')
    const a = await startClient(serverPort, aDir)
    const fakes: RawPeer[] = []
    try {
      for (const port of await closedPorts(FAKES)) fakes.push(await RawPeer.logOn(serverPort, { ip: '127.0.0.1', port }))
      const bDir = tempDir('b-')
      write(bDir, 'hello.txt', 'from b')
      const b = await startClient(serverPort, bDir)
      await expectMirrored(aDir, mirrorOf(bDir, a.port))
      await expectMirrored(bDir, mirrorOf(aDir, b.port))
      await new Promise((r) => setTimeout(r, WINDOW_MS))
      for (const [client, peer] of [[a, b], [b, a]] as const) {
        const unreachable = client.cli.events.filter((e) => e.type === 'error' && e.code === 'peer-unreachable')
        expect(unreachable.length).toBeGreaterThanOrEqual(1)
        expect(unreachable.length).toBeLessThanOrEqual(2 * FAKES)
        expect(readdirSync(`${client.dir}-mirrors`).sort()).toEqual(['.dropbox-sync', peerFolderName(peer.port)])
      }
    } finally {
      for (const fake of fakes) fake.close()
    }
  })
})
