// The spec peer (written from docs/PROTOCOL.md alone) against the real CLI: a real server, a real
// client, and the spec peer joining, pulling from the client and serving it. Real processes,
// real TLS, 127.0.0.1, port 0, generous deadlines only.
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SpecPeer, planOf, type Member } from './spec-peer'
import { displayId } from './spec-peer/identity'
import { startWorld, type World } from './world'

const BIG = 24 * 1024 * 1024

let world: World
let peer: SpecPeer
let listAtJoin: Member[]

const theirSmall = Buffer.from('small file from the real client\n')
const theirBig = randomBytes(BIG)
const mySmall = Buffer.from('small file from the spec peer\n')
const myBig = randomBytes(BIG + 12345)

beforeAll(async () => {
  world = await startWorld({ 'small.txt': theirSmall, 'big.bin': theirBig })
  peer = await SpecPeer.create('spec-peer')
  peer.folder.setFile('hello.txt', mySmall)
  peer.folder.setFile('nested/big.bin', myBig)
  listAtJoin = await peer.join(world.invite())
}, 120_000)

afterAll(() => {
  peer?.close()
  world?.dispose()
})

describe('a peer written from PROTOCOL.md alone, against the real CLI', () => {
  it('joins with an invite, registers, lists the real client, and the real client sees it come', async () => {
    const real = listAtJoin.find((m) => m.endpoint.port === world.clientPort)
    expect(real, 'the real client in CLIENT_LIST').toBeDefined()
    expect(real!.endpoint.ip).toBe('127.0.0.1')
    expect(real!.name).toBe('real-client')
    // The device ID in CLIENT_LIST, written as §16.2 says, is the one the client prints.
    expect(displayId(real!.id)).toBe(world.clientId)
    const joined = await world.client.waitFor('peer-joined', { port: peer.folderPort })
    expect(joined).toMatchObject({ ip: '127.0.0.1', id: peer.displayId, name: 'spec-peer' })
  })

  it('pulls a small file (GET_FILE and GET_FILES) and a big one by blocks from the real client', async () => {
    const real = listAtJoin.find((m) => m.endpoint.port === world.clientPort)!
    const puller = await peer.pullFrom(real)
    try {
      // The client hashes its folder after it starts: ask again until both files are listed.
      let list = await puller.list()
      for (let tries = 0; list.length < 2 && tries < 120; tries++) {
        await new Promise((r) => setTimeout(r, 500))
        list = await puller.list()
      }
      const small = list.find((e) => e.path === 'small.txt')!
      const big = list.find((e) => e.path === 'big.bin')!
      expect(small).toMatchObject({ size: theirSmall.length, snapshot: false })
      expect(small.version.equals(planOf(theirSmall).version)).toBe(true)
      expect(big).toMatchObject({ size: BIG, snapshot: false })
      expect(big.version.equals(planOf(theirBig).version)).toBe(true)

      const one = await puller.getFile('small.txt')
      expect(one.content.equals(theirSmall)).toBe(true)
      const batch = await puller.getFiles(['small.txt', 'missing.txt', 'big.bin'])
      expect(batch.map((r) => r.status)).toEqual([0, 2, 3])
      expect(batch[0]!.content!.equals(theirSmall)).toBe(true)

      const blocks = await puller.blockList('big.bin', big.version)
      expect(blocks.version.equals(big.version)).toBe(true)
      expect(blocks.blockSize).toBe(131_072)
      expect(blocks.hashes).toHaveLength(BIG / 131_072)
      const runs: Buffer[] = []
      for (let first = 0; first < blocks.hashes.length; first += 64) runs.push(await puller.blocks('big.bin', blocks, first, Math.min(64, blocks.hashes.length - first)))
      expect(Buffer.concat(runs).equals(theirBig)).toBe(true)
    } finally {
      puller.close()
    }
  }, 120_000)

  it('serves its own folder: the real client mirrors a small and a big file, then an edit by blocks', async () => {
    const at = `127.0.0.1:${peer.folderPort}`
    const small = await world.client.waitFor('file-synced', { peer: at, path: 'hello.txt' }, 90_000)
    const big = await world.client.waitFor('file-synced', { peer: at, path: 'nested/big.bin' }, 90_000)
    expect(small.version).toBe(planOf(mySmall).version.toString('hex'))
    expect(big.version).toBe(planOf(myBig).version.toString('hex'))
    const mirrors = `${world.clientDir}-mirrors`
    const shortId = peer.displayId.slice(0, 7)
    const mine = readdirSync(mirrors).find((d) => d.endsWith(shortId))
    expect(mine, `a mirror folder named after the spec peer in ${readdirSync(mirrors).join(', ')}`).toBeDefined()
    expect(readFileSync(path.join(mirrors, mine!, 'hello.txt')).equals(mySmall)).toBe(true)
    expect(readFileSync(path.join(mirrors, mine!, 'nested/big.bin')).equals(myBig)).toBe(true)

    // One block in the middle changes: the mirror holds the old copy, so the client asks by blocks.
    const edited = Buffer.from(myBig)
    randomBytes(4096).copy(edited, 10 * 1024 * 1024)
    peer.folder.setFile('nested/big.bin', edited)
    const version = planOf(edited).version.toString('hex')
    await world.client.waitFor('file-synced', { peer: at, path: 'nested/big.bin', version }, 90_000)
    expect(readFileSync(path.join(mirrors, mine!, 'nested/big.bin')).equals(edited)).toBe(true)
    expect(peer.folder.requests).toContain('GET_BLOCK_LIST')
    expect(peer.folder.requests).toContain('GET_BLOCKS')
    expect(peer.folder.unexpected).toEqual([])
  }, 180_000)

  it('leaves with LOG_OFF; the real client sees it go as a log-off and closes its folder connections both ways', async () => {
    const real = listAtJoin.find((m) => m.endpoint.port === world.clientPort)!
    const puller = await peer.pullFrom(real)
    expect(peer.folder.connections).toBeGreaterThan(0)
    await peer.leave()
    const left = await world.client.waitFor('peer-left', { port: peer.folderPort })
    expect(left).toMatchObject({ reason: 'log-off', id: peer.displayId })
    // §12.1: F closes the folder connections of a device the registry announced gone; so does P.
    expect(await puller.link.next()).toBeNull()
    const end = Date.now() + 30_000
    while (peer.folder.connections > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    expect(peer.folder.connections).toBe(0)
    expect(world.client.events.filter((e) => e.type === 'not-json')).toEqual([])
  })
})
