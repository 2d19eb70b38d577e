// The receiver's own disk refusing a pull, as a user meets it with real CLI processes: a mirror
// folder made read-only, a mirror disk too small for what the peer shares. What must hold: one
// clear error per cause and mirror (not one per file per try), nothing half-written at a final
// path, no temp file left, and once the cause is gone the mirror catches up by itself, with no
// change at the sender.
import { randomBytes } from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/events'
import { BIN, CliProcess, inviteFor, killAll, runCliOnce } from '../helpers/cli'
import { expectMirrored, startClient, startServer, syncedPair, write, type Client } from '../helpers/mirror-clients'
import { canMakeReadOnly, canMount, mounted, readOnly, unmountAll } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { peerFolderName, treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  unmountAll()
  removeTempDirs()
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The receiver's errors about writing into its mirrors. */
const writeErrors = (receiver: Client): Array<Extract<EngineEvent, { type: 'error' }>> =>
  receiver.cli.events.filter((e): e is Extract<EngineEvent, { type: 'error' }> => e.type === 'error' && e.code === 'write-failed')

/** Every file at a final path of `mirror` holds content the sender shared there (none half-written). */
function expectOnlyWholeFiles(senderDir: string, mirror: string, before: Record<string, string> = {}): void {
  const shared = treeOf(senderDir)
  for (const [rel, hash] of Object.entries(treeOf(mirror))) expect({ rel, whole: hash === shared[rel] || hash === before[rel] }).toEqual({ rel, whole: true })
}

/** Temp files (`.dbs-tmp-…`) anywhere below `dir`. */
function tempFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((rel) => path.basename(rel).startsWith('.dbs-tmp-'))
}

/** How many transfer-failed events each path got for `reason` (a sender's file read as it changed may add one of its own). */
function failuresByPath(receiver: Client, reason: RegExp): Map<string, number> {
  const counts = new Map<string, number>()
  for (const e of receiver.cli.events) if (e.type === 'transfer-failed' && reason.test(e.reason)) counts.set(e.path, (counts.get(e.path) ?? 0) + 1)
  return counts
}

describe.skipIf(!canMakeReadOnly())('a mirror folder made read-only', () => {
  it('one error naming the folder, each file said once however often it is tried, and all of it comes once writable, with no change at the sender', async () => {
    const { senderDir, receiver, peer, mirror } = await syncedPair((dir) => write(dir, 'a.txt', 'first\n'), 15_000)
    const before = treeOf(mirror)

    // Root ignores chmod 0555: a read-only bind mount of the peer's folder is what refuses here.
    const writable = readOnly(mirror)!
    for (let i = 0; i < 6; i++) write(senderDir, `top-${i}.txt`, `top ${i}\n`)
    for (let i = 0; i < 6; i++) write(senderDir, `sub/deeper/${i}.txt`, `deep ${i}\n`)
    write(senderDir, 'big.bin', randomBytes(3 * 1024 * 1024))
    write(senderDir, 'a.txt', 'second\n')

    await receiver.cli.until(() => writeErrors(receiver).length > 0, 15_000, 'a write-failed error')
    // Long enough for three rounds of retries (1, 2 and 4 s after the first failure).
    await sleep(8000)
    expect(receiver.cli.child.exitCode).toBeNull()
    const errors = writeErrors(receiver)
    expect(errors, JSON.stringify(errors)).toHaveLength(1)
    expect(errors[0]!.message).toContain(mirror)
    expect(errors[0]!.message).toMatch(/read-only.*come by themselves once it is writable again/)
    expect(errors[0]!.peer).toBe(peer)
    const failures = failuresByPath(receiver, /EROFS/)
    expect(failures.size).toBeGreaterThan(0)
    for (const [rel, count] of failures) expect({ rel, count }).toEqual({ rel, count: 1 })
    // Nothing moved: the mirror holds what it held, and no temp file.
    expect(treeOf(mirror)).toEqual(before)
    expect(tempFiles(mirror)).toEqual([])

    writable()
    await expectMirrored(senderDir, mirror, 90_000)
    await receiver.cli.waitFor('peer-synced', { peer, files: 14 }, 30_000)
    expect(writeErrors(receiver)).toHaveLength(1)
    expect(tempFiles(mirror)).toEqual([])
  }, 150_000)
})

describe.skipIf(!canMakeReadOnly())('a file the peer deletes while its mirror folder is read-only', () => {
  it('is not said removed while it stands, nor kept in the history, the mirror is not up to date, and it goes once writable', async () => {
    const { senderDir, receiver, peer, mirror } = await syncedPair((dir) => {
      write(dir, 'keep.txt', 'keep\n')
      write(dir, 'sub/gone.txt', 'gone\n')
    }, 15_000)
    const syncedBefore = receiver.cli.events.filter((e) => e.type === 'peer-synced').length

    const writable = readOnly(mirror)!
    rmSync(path.join(senderDir, 'sub/gone.txt'))
    await receiver.cli.until(() => writeErrors(receiver).length > 0, 15_000, 'a write-failed error')
    // Long enough for three rounds of retries (1, 2 and 4 s after the first refusal).
    await sleep(8000)
    expect(receiver.cli.find('file-removed', { path: 'sub/gone.txt' })).toBeUndefined()
    expect(existsSync(path.join(mirror, 'sub/gone.txt'))).toBe(true)
    expect(receiver.cli.events.filter((e) => e.type === 'peer-synced')).toHaveLength(syncedBefore)
    const errors = writeErrors(receiver)
    expect(errors, JSON.stringify(errors)).toHaveLength(1)
    expect(errors[0]!.message).toContain(mirror)
    expect(errors[0]!.message).toMatch(/read-only.*could not remove sub\/gone\.txt/)
    const mirrors = path.dirname(mirror)
    expect((await runCliOnce(['history', 'list', '--mirror', mirrors])).stdout).not.toContain('gone.txt')

    writable()
    await expectMirrored(senderDir, mirror, 90_000)
    await receiver.cli.waitFor('file-removed', { path: 'sub/gone.txt' }, 15_000)
    await receiver.cli.waitFor('peer-synced', { peer, files: 1 }, 30_000)
    expect(writeErrors(receiver)).toHaveLength(1)
  }, 150_000)
})

describe.skipIf(!canMakeReadOnly())('a read-only mirror refusing big files asked for on one connection', () => {
  it('says the disk once: the other files cut with that connection are no error of their own, nor a second line each', async () => {
    // One worker: the big files' requests go out together on its one connection to the peer.
    const { senderDir, receiver, mirror } = await syncedPair((dir) => write(dir, 'a.txt', 'first\n'), 15_000, '-w', '1')

    const writable = readOnly(mirror)!
    for (let i = 0; i < 4; i++) write(senderDir, `big-${i}.bin`, randomBytes(3 * 1024 * 1024))
    await receiver.cli.until(() => writeErrors(receiver).length > 0, 15_000, 'a write-failed error')
    // Long enough for three rounds of retries (1, 2 and 4 s after the first failure).
    await sleep(8000)
    const errors = receiver.cli.events.filter((e) => e.type === 'error')
    expect(errors.map((e) => e.type === 'error' && e.code)).toEqual(['write-failed'])
    const failures = failuresByPath(receiver, /./)
    for (const [rel, count] of failures) expect({ rel, count }).toEqual({ rel, count: 1 })

    writable()
    await expectMirrored(senderDir, mirror, 90_000)
    expect(receiver.cli.events.filter((e) => e.type === 'error')).toHaveLength(1)
  }, 150_000)
})

describe.skipIf(!canMount('tmpfs'))('a mirror disk too small for what the peer shares', () => {
  it('one clear error with the figures, nothing half-written, no temp file, and it catches up once room is made, with no change at the sender', async () => {
    const mirrorRoot = mounted('tmpfs', 'size=4m')!
    // Something else of the user's on that disk: 2.5 MB of it, to be deleted later.
    const ballast = path.join(mirrorRoot, 'ballast.bin')
    writeFileSync(ballast, randomBytes(2_500_000))
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    for (let i = 0; i < 4; i++) write(senderDir, `big-${i}.bin`, randomBytes(700 * 1024))
    for (let i = 0; i < 20; i++) write(senderDir, `small/${i}.bin`, randomBytes(8 * 1024))
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('receiver-'), '--mirror', mirrorRoot)
    const peer = `127.0.0.1:${sender.port}`
    const mirror = path.join(mirrorRoot, peerFolderName(sender.port))

    await receiver.cli.until(() => writeErrors(receiver).length > 0, 20_000, 'a write-failed error')
    // Long enough for three rounds of retries: each finds the disk as full as before.
    await sleep(8000)
    expect(receiver.cli.child.exitCode).toBeNull()
    const errors = writeErrors(receiver)
    expect(errors, JSON.stringify(errors)).toHaveLength(1)
    expect(errors[0]!.message).toMatch(new RegExp(`^not enough free space in ${mirror.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: [\\d.]+ [KM]B needed, [\\d.]+ [KM]?B free\\. .*come by themselves once there is room`))
    expect(errors[0]!.peer).toBe(peer)
    expectOnlyWholeFiles(senderDir, mirror)
    expect(tempFiles(mirror)).toEqual([])
    // Some of it did not fit, and is still to come.
    expect(Object.keys(treeOf(mirror)).length).toBeLessThan(24)
    expect(receiver.cli.find('peer-synced', { peer })).toBeUndefined()

    rmSync(ballast)
    await expectMirrored(senderDir, mirror, 90_000)
    await receiver.cli.waitFor('peer-synced', { peer, files: 24 }, 30_000)
    expect(writeErrors(receiver)).toHaveLength(1)
    expect(tempFiles(mirror)).toEqual([])
    for (const rel of Object.keys(treeOf(senderDir))) expect(statSync(path.join(mirror, rel)).size).toBe(statSync(path.join(senderDir, rel)).size)
  }, 150_000)
})

/** The receiver as another user than root (nobody), for whom permissions hold: null where that cannot be. */
function asNobody(): ((args: string[]) => CliProcess) | null {
  if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'true']).status !== 0) return null
  return (args) => new CliProcess(spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] }))
}

describe.skipIf(asNobody() === null)('a mirror folder that cannot be read for a while (its permissions)', () => {
  it('is not taken for files gone: nothing unchanged comes again, and what the peer changed meanwhile keeps its old version in the history', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'a.txt', 'first\n')
    write(senderDir, 'sub/b.txt', 'unchanged\n')
    const sender = await startClient(serverPort, senderDir)
    const peer = `127.0.0.1:${sender.port}`
    // The receiver's folders, nobody's, in a folder it may enter.
    const base = tempDir('as-nobody-')
    chmodSync(base, 0o755)
    const [shared, mirrors, config] = [path.join(base, 'shared'), path.join(base, 'mirrors'), path.join(base, 'config')] as const
    for (const dir of [shared, mirrors, config]) {
      mkdirSync(dir)
      chownSync(dir, 65534, 65534)
    }
    const receiver = asNobody()!(['client', '-d', shared, '--mirror', mirrors, '--config', config, '--host', '127.0.0.1', '--join', inviteFor('127.0.0.1', serverPort)])
    await receiver.waitFor('peer-synced', { peer }, 30_000)
    const mirror = path.join(mirrors, peerFolderName(sender.port))

    chmodSync(mirror, 0)
    write(senderDir, 'a.txt', 'second\n')
    await receiver.until(() => receiver.events.some((e) => e.type === 'error' && e.code === 'write-failed'), 15_000, 'a write-failed error')
    const seen = receiver.events.length
    // Long enough for the mirror's watch to look again, and three rounds of retries.
    await sleep(8000)
    chmodSync(mirror, 0o755)
    await expectMirrored(senderDir, mirror, 60_000)
    await receiver.waitFor('peer-synced', { peer, files: 2 }, 30_000)
    const cameAgain = receiver.events.slice(seen).filter((e) => e.type === 'file-synced' && e.path === 'sub/b.txt')
    expect(cameAgain).toEqual([])
    // The history's log is written a moment after the file is placed.
    let kept: Array<{ path: string; reason: string }> = []
    for (let look = 0; look < 100 && kept.length === 0; look++) {
      if (look > 0) await sleep(100)
      kept = (await runCliOnce(['history', 'list', '--json', '--mirror', mirrors])).stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { path: string; reason: string })
    }
    expect(kept).toEqual([expect.objectContaining({ path: 'a.txt', reason: 'overwritten' })])
  }, 150_000)
})

