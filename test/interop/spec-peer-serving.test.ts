// The real client mirroring the spec peer's folder while the spec peer changes it and misbehaves:
// a rename and a delete (§12.5), an abort midway (§12.4, resumed by blocks as §12.8 says), and a
// peer that lies about its bytes (§12.7). Real processes, 127.0.0.1, port 0, generous deadlines.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SpecPeer, planOf } from './spec-peer'
import { startWorld, type World } from './world'

let world: World
let peer: SpecPeer
let at: string
let mirror: string

const keep = randomBytes(2 * 1024 * 1024)

beforeAll(async () => {
  world = await startWorld({ 'theirs.txt': Buffer.from('x') })
  peer = await SpecPeer.create('spec-serving')
  peer.folder.setFile('keep.bin', keep)
  await peer.join(world.invite())
  at = `127.0.0.1:${peer.folderPort}`
  await world.client.waitFor('file-synced', { peer: at, path: 'keep.bin' }, 90_000)
  mirror = path.join(`${world.clientDir}-mirrors`, `${peer.name}-${peer.displayId.slice(0, 7)}`)
}, 120_000)

afterAll(() => {
  peer?.close()
  world?.dispose()
})

const requestsSince = (n: number): string[] => peer.folder.requests.slice(n)

async function until(test: () => boolean, what: string, deadlineMs = 60_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${deadlineMs} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('the real client follows the spec peer', () => {
  it('a delete and an upsert of the same version in one INDEX_CHANGED is a local move: nothing asked for', async () => {
    const before = peer.folder.requests.length
    peer.folder.renameFile('keep.bin', 'moved/keep.bin')
    await world.client.waitFor('file-synced', { peer: at, path: 'moved/keep.bin' })
    await until(() => !existsSync(path.join(mirror, 'keep.bin')), 'the old path gone from the mirror')
    expect(readFileSync(path.join(mirror, 'moved/keep.bin')).equals(keep)).toBe(true)
    expect(requestsSince(before).filter((r) => r !== 'SUBSCRIBE' && r !== 'GET_FILE_LIST')).toEqual([])
  })

  it('a delete removes the file from the mirror', async () => {
    peer.folder.setFile('doomed.txt', Buffer.from('soon gone'))
    await world.client.waitFor('file-synced', { peer: at, path: 'doomed.txt' })
    peer.folder.deleteFile('doomed.txt')
    await world.client.waitFor('file-removed', { peer: at, path: 'doomed.txt' })
    expect(existsSync(path.join(mirror, 'doomed.txt'))).toBe(false)
  })

  it('a FILE_ABORT midway: the client tries again and moves only what it lacks, by blocks', async () => {
    const big = randomBytes(6 * 1024 * 1024)
    peer.folder.cuts.fileData = 256 * 1024
    peer.folder.faults.abortAfter.set('cut.bin', 3 * 1024 * 1024)
    const before = peer.folder.requests.length
    peer.folder.setFile('cut.bin', big)
    const synced = await world.client.waitFor('file-synced', { peer: at, path: 'cut.bin' }, 90_000)
    expect(readFileSync(path.join(mirror, 'cut.bin')).equals(big)).toBe(true)
    expect(synced.version).toBe(planOf(big).version.toString('hex'))
    const asked = requestsSince(before)
    expect(asked).toContain('GET_FILE')
    expect(asked).toContain('GET_BLOCK_LIST')
    // The 3 MiB received before the abort were kept: the second try moved less than the whole file.
    expect(synced.transferred as number).toBeLessThan(big.length)
  }, 120_000)

  it('a small file sent by GET_FILE in FILE_DATA of 7 bytes (after a too-large record) is taken', async () => {
    const tiny = Buffer.from('a small file, cut into pieces of seven bytes')
    peer.folder.faults.tooLarge.add('tiny.txt')
    peer.folder.cuts.smallInOne = false
    peer.folder.cuts.fileData = 7
    const before = peer.folder.requests.length
    try {
      peer.folder.setFile('tiny.txt', tiny)
      await world.client.waitFor('file-synced', { peer: at, path: 'tiny.txt' })
      expect(readFileSync(path.join(mirror, 'tiny.txt')).equals(tiny)).toBe(true)
      expect(requestsSince(before)).toEqual(expect.arrayContaining(['GET_FILES', 'GET_FILE']))
    } finally {
      peer.folder.cuts.smallInOne = true
      peer.folder.cuts.fileData = 256 * 1024
    }
  })

  it('a BLOCK_LIST of another version than asked for (the file changed again) is taken as F\'s current one (§12.8)', async () => {
    const a = randomBytes(3 * 1024 * 1024)
    peer.folder.setFile('shift.bin', a)
    await world.client.waitFor('file-synced', { peer: at, path: 'shift.bin' })
    const b = Buffer.from(a)
    randomBytes(100).copy(b, 1_000_000)
    const c = Buffer.from(b)
    randomBytes(100).copy(c, 2_000_000)
    peer.folder.faults.changeUnannounced.set('shift.bin', c)
    peer.folder.setFile('shift.bin', b)
    const cVersion = planOf(c).version.toString('hex')
    const synced = await world.client.waitFor('file-synced', { peer: at, path: 'shift.bin', version: cVersion })
    expect(readFileSync(path.join(mirror, 'shift.bin')).equals(c)).toBe(true)
    expect(synced.transferred as number).toBeLessThan(c.length)
    // F announces every change (§12.5); until it does, the client does not ask for the path again
    // (spec-peer-churn.test.ts).
    peer.folder.setFile('shift.bin', c)
  })

  it('a snapshot, then the same version announced whole: placed once, reported whole, nothing fetched again (§12.2)', async () => {
    const snap = randomBytes(1000)
    peer.folder.setFile('snap.bin', snap, true)
    expect(await world.client.waitFor('file-synced', { peer: at, path: 'snap.bin' })).toMatchObject({ snapshot: true })
    const before = peer.folder.requests.length
    peer.folder.setFile('snap.bin', snap)
    const whole = await world.client.waitFor('file-synced', { peer: at, path: 'snap.bin', transferred: 0 })
    expect(whole.snapshot).toBeUndefined()
    expect(requestsSince(before)).toEqual([])
  })

  it('paths that break §12.6 are each one bad-path error, ignored; the rest of the push carries on, nothing lands outside', async () => {
    const bad = ['../escape.txt', 'a//b', 'C:x', 'back\\slash', 'ok/./x', '/abs']
    for (const p of bad) peer.folder.setFile(p, Buffer.from(`bad ${p}`))
    peer.folder.setFile('good-after.txt', Buffer.from('good'))
    await world.client.waitFor('file-synced', { peer: at, path: 'good-after.txt' })
    for (const p of bad) expect(world.client.events.some((e) => e.type === 'error' && e.code === 'bad-path' && String(e.message).includes(JSON.stringify(p))), p).toBe(true)
    expect(readdirSync(path.dirname(mirror)).filter((n) => !n.startsWith('.'))).toEqual([path.basename(mirror)])
    expect(existsSync(path.join(mirror, 'a'))).toBe(false)
    expect(existsSync(path.join(mirror, 'ok'))).toBe(false)
    for (const p of bad) peer.folder.files.delete(p)
  })

  it('a block list that does not make its version: bad peer, the old copy stays, asked again once announced anew (§12.8)', async () => {
    const old = randomBytes(2 * 1024 * 1024)
    peer.folder.setFile('listed.bin', old)
    await world.client.waitFor('file-synced', { peer: at, path: 'listed.bin' })
    const edited = Buffer.from(old)
    randomBytes(10).copy(edited, 1_500_000)
    peer.folder.faults.badList.add('listed.bin')
    peer.folder.setFile('listed.bin', edited)
    const failed = await world.client.waitFor('transfer-failed', { peer: at, path: 'listed.bin' })
    expect(failed.retrying).toBe(false)
    expect(readFileSync(path.join(mirror, 'listed.bin')).equals(old)).toBe(true)
    peer.folder.faults.badList.delete('listed.bin')
    peer.folder.setFile('listed.bin', edited)
    await world.client.waitFor('file-synced', { peer: at, path: 'listed.bin', version: planOf(edited).version.toString('hex') })
    expect(readFileSync(path.join(mirror, 'listed.bin')).equals(edited)).toBe(true)
  })

  it('a file deleted, then its content announced at another path within 10 s: copied from the kept copy, nothing asked (§12.5)', async () => {
    const body = randomBytes(200_000)
    peer.folder.setFile('was-here.bin', body)
    await world.client.waitFor('file-synced', { peer: at, path: 'was-here.bin' })
    const before = peer.folder.requests.length
    peer.folder.deleteFile('was-here.bin')
    await world.client.waitFor('file-removed', { peer: at, path: 'was-here.bin' })
    peer.folder.setFile('now-there.bin', body)
    await world.client.waitFor('file-synced', { peer: at, path: 'now-there.bin' })
    expect(readFileSync(path.join(mirror, 'now-there.bin')).equals(body)).toBe(true)
    expect(requestsSince(before)).toEqual([])
  })

  it('a peer that lies about its bytes gets nothing into the mirror, and is asked again once it announces the file anew', async () => {
    const honest = randomBytes(300_000)
    peer.folder.faults.lie.add('lie.bin')
    peer.folder.setFile('lie.bin', honest)
    const failed = await world.client.waitFor('transfer-failed', { peer: at, path: 'lie.bin' }, 90_000)
    expect(failed.retrying).toBe(false)
    expect(existsSync(path.join(mirror, 'lie.bin'))).toBe(false)
    // No temp file of it: a partial is kept only for files of more than 1 MiB (§12.7).
    expect(readdirSync(mirror).filter((n) => n.startsWith('.dbs-tmp-') && !n.startsWith('.dbs-tmp-part-'))).toEqual([])

    peer.folder.faults.lie.delete('lie.bin')
    peer.folder.setFile('lie.bin', honest)
    await world.client.waitFor('file-synced', { peer: at, path: 'lie.bin' }, 90_000)
    expect(readFileSync(path.join(mirror, 'lie.bin')).equals(honest)).toBe(true)
    expect(peer.folder.unexpected).toEqual([])
  }, 120_000)

  it('FOLDER_STATE 0: the client waits and keeps its mirror; FOLDER_STATE 1 after every file anew: it comes back', async () => {
    peer.folder.setPresent(false)
    await world.client.waitFor('error', { code: 'peer-folder-missing', peer: at })
    const content = (): string[] => readdirSync(mirror, { recursive: true, encoding: 'utf8' }).filter((n) => !n.startsWith('.dbs-tmp-'))
    const held = content()
    // A file announced while it is gone is aborted, not given up on (§12.5): it comes once the folder is back.
    const late = randomBytes(100_000)
    const before = peer.folder.requests.length
    peer.folder.setFile('late.bin', late)
    await until(() => requestsSince(before).includes('GET_FILE'), 'late.bin asked for (and aborted)')
    expect(content()).toEqual(held)
    peer.folder.setPresent(true)
    await world.client.waitFor('peer-folder-restored', { peer: at })
    await world.client.waitFor('file-synced', { peer: at, path: 'late.bin' })
    expect(readFileSync(path.join(mirror, 'late.bin')).equals(late)).toBe(true)
    expect(existsSync(path.join(mirror, 'moved/keep.bin'))).toBe(true)
    expect(world.client.find('transfer-failed', { peer: at, path: 'late.bin', retrying: false })).toBeUndefined()
  }, 120_000)
})
