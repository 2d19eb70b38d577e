// The real client as P against replies and lists that a literal reading of PROTOCOL.md §12.3
// allows or forbids, none of which may make it churn: a reply naming a version F has not announced
// yet (placed once, not asked for again until F announces the path anew), a list naming a path
// twice, and one naming d and d/x (d/x refused with one error, the mirror left still). Each was an
// endless loop once: ~1 800 GET_FILE a second, or the mirror flipping between the file and the folder.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SpecPeer, planOf } from './spec-peer'
import { startWorld, type World } from './world'

let world: World
let peer: SpecPeer
let at: string
let twice: SpecPeer
let nested: SpecPeer

beforeAll(async () => {
  world = await startWorld({ 'theirs.txt': Buffer.from('x') })
  peer = await SpecPeer.create('spec-loop')
  await peer.join(world.invite())
  at = `127.0.0.1:${peer.folderPort}`
}, 120_000)

describe('a list that is no folder (§12.3: one entry per path, no file inside a file)', () => {
  it('one path listed twice with two versions: not asked for again and again', async () => {
    twice = await SpecPeer.create('spec-twice')
    twice.folder.setFile('dup.txt', Buffer.from('first'))
    twice.folder.faults.listTwice.set('dup.txt', Buffer.from('other'))
    await twice.join(world.invite())
    await world.client.waitFor('file-synced', { peer: `127.0.0.1:${twice.folderPort}`, path: 'dup.txt' })
    await new Promise((r) => setTimeout(r, 2000))
    expect(twice.folder.requests.filter((r) => r === 'GET_FILES').length).toBeLessThan(10)
  })

  it('d and d/x in one list: the mirror does not change back and forth', async () => {
    nested = await SpecPeer.create('spec-nested')
    nested.folder.setFile('d', Buffer.from('a file'))
    nested.folder.setFile('d/x', Buffer.from('a file inside the file'))
    await nested.join(world.invite())
    const there = `127.0.0.1:${nested.folderPort}`
    await world.client.waitFor('file-synced', { peer: there })
    await new Promise((r) => setTimeout(r, 2000))
    expect(world.client.events.filter((e) => e.type === 'file-synced' && e.peer === there).length).toBeLessThan(4)
    // d/x is the one refused, said once.
    const said = world.client.events.filter((e) => e.type === 'error' && e.code === 'bad-path' && String(e.message).includes('lists d/x inside its file d'))
    expect(said).toHaveLength(1)
  })
})

afterAll(() => {
  twice?.close()
  nested?.close()
  peer?.close()
  world?.dispose()
})

const asked = (what: string, since: number): number => peer.folder.requests.slice(since).filter((r) => r === what).length

describe('a reply naming a version F has not announced', () => {
  it('GET_FILE: the version FILE_SIZE named is placed, and the path is not asked for again and again', async () => {
    const announced = randomBytes(500_000)
    const now = randomBytes(500_000)
    peer.folder.faults.changeUnannounced.set('g.bin', now)
    const since = peer.folder.requests.length
    peer.folder.setFile('g.bin', announced)
    await world.client.waitFor('file-synced', { peer: at, path: 'g.bin', version: planOf(now).version.toString('hex') })
    await new Promise((r) => setTimeout(r, 2000))
    expect(asked('GET_FILE', since)).toBeLessThan(10)
  })

  it('GET_FILES: the content record of F\'s version now is placed, and the path is not asked for again and again', async () => {
    const since = peer.folder.requests.length
    peer.folder.faults.changeUnannounced.set('s.txt', Buffer.from('now'))
    peer.folder.setFile('s.txt', Buffer.from('announced'))
    await world.client.waitFor('file-synced', { peer: at, path: 's.txt', version: planOf(Buffer.from('now')).version.toString('hex') })
    await new Promise((r) => setTimeout(r, 2000))
    expect(asked('GET_FILES', since)).toBeLessThan(10)
  })

  it('GET_BLOCK_LIST: the list of F\'s version now is used once, not fetched again and again', async () => {
    const a = randomBytes(3 * 1024 * 1024)
    peer.folder.setFile('b.bin', a)
    await world.client.waitFor('file-synced', { peer: at, path: 'b.bin' })
    const announced = Buffer.from(a)
    randomBytes(100).copy(announced, 1_000_000)
    const now = Buffer.from(announced)
    randomBytes(100).copy(now, 2_000_000)
    peer.folder.faults.changeUnannounced.set('b.bin', now)
    const since = peer.folder.requests.length
    peer.folder.setFile('b.bin', announced)
    await world.client.waitFor('file-synced', { peer: at, path: 'b.bin', version: planOf(now).version.toString('hex') })
    await new Promise((r) => setTimeout(r, 2000))
    expect(asked('GET_BLOCK_LIST', since)).toBeLessThan(10)
  })
})
