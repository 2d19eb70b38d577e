// Registrations at addresses where nothing listens (a raw peer LOG_ONs claiming them): every
// client dials each with growing backoff, says so once, and makes no mirror folder for it;
// a real peer syncs all the while. Real CLI clients on 127.0.0.1.
import { readdirSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write } from '../helpers/mirror-clients'
import { freePort } from '../helpers/ports'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const FAKES = 50
/** How long the clients are watched dialling the fakes: long enough for several retries at a fixed 1 s. */
const WINDOW_MS = 8000

describe('fake registrations at closed ports', () => {
  it('cost each client a report or two per fake, no mirror folder, and do not stop a real peer syncing', { timeout: 90_000 }, async () => {
    // The fakes never ping: a long heartbeat keeps them registered through the window.
    const serverPort = await startServer('--heartbeat', '60000')
    const aDir = tempDir('a-')
    write(aDir, 'hello.txt', 'from a')
    const a = await startClient(serverPort, aDir)
    const fakes: RawPeer[] = []
    try {
      // Distinct ports: a port free a moment ago can come back free again, and a second LOG_ON for
      // it is a duplicate the server refuses.
      const ports = new Set<number>()
      while (ports.size < FAKES) ports.add(await freePort())
      for (const port of ports) fakes.push(await RawPeer.logOn(serverPort, { ip: '127.0.0.1', port }))
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
        expect(readdirSync(`${client.dir}-mirrors`).sort()).toEqual(['.dropbox-sync', `127.0.0.1_${peer.port}`])
      }
    } finally {
      for (const fake of fakes) fake.close()
    }
  })
})
