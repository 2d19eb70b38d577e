// A hostile disk under the receiver and under the sender: a mirror folder made read-only, a mirror
// disk that fills up, a shared file swapped for a named pipe or a link while it is sent. What must
// hold: the receiver lives and says what is wrong, no final path ever holds bytes the sender did
// not share, and once the fault is gone the mirror becomes exact with no change at the sender.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { canMount, mounted, unmountAll } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, peerFolderName, treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  unmountAll()
  removeTempDirs()
})

const remount = (dir: string, options: string): void => void execFileSync('mount', ['-o', `remount,${options}`, dir])
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Every file the mirror holds now is whole: one of the versions the sender shared at that path. */
function expectOnlyWholeFiles(shared: Record<string, string[]>, mirror: string): void {
  for (const [rel, hash] of Object.entries(treeOf(mirror))) {
    if (rel.startsWith('.dropbox-sync/')) continue
    const size = statSync(path.join(mirror, rel)).size
    expect({ rel, whole: shared[rel]?.includes(hash) ?? false, size }).toMatchObject({ rel, whole: true })
  }
}

/** What the sender shares now, added to the versions it shared before. */
function versionsOf(source: string, before: Record<string, string[]> = {}): Record<string, string[]> {
  const all = { ...before }
  for (const [rel, hash] of Object.entries(treeOf(source))) all[rel] = [...(all[rel] ?? []), hash]
  return all
}

async function pairWithMirrorOn(mirrorRoot: string, files: Record<string, string | Buffer>): Promise<{ senderDir: string; sender: Client; receiver: Client; mirror: string }> {
  const serverPort = await startServer()
  const senderDir = tempDir('sender-')
  for (const [rel, content] of Object.entries(files)) write(senderDir, rel, content)
  const sender = await startClient(serverPort, senderDir)
  const receiver = await startClient(serverPort, tempDir('receiver-'), '--mirror', mirrorRoot)
  return { senderDir, sender, receiver, mirror: path.join(mirrorRoot, peerFolderName(sender.port)) }
}

describe.skipIf(!canMount('tmpfs'))('a hostile disk under the mirror', () => {
  it('a mirror disk made read-only: one clear error, nothing half-written, and it catches up once writable, with no change at the sender', async () => {
    const mirrorRoot = mounted('tmpfs', 'size=64m')!
    const { senderDir, sender, receiver, mirror } = await pairWithMirrorOn(mirrorRoot, { 'a.txt': 'first\n' })
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 15_000)
    remount(mirrorRoot, 'ro')
    const first = versionsOf(senderDir)
    for (let i = 0; i < 5; i++) write(senderDir, `small/${i}.txt`, `small ${i}\n`)
    write(senderDir, 'big.bin', randomBytes(3 * 1024 * 1024))
    write(senderDir, 'a.txt', 'second\n')
    await receiver.cli.waitFor('transfer-failed', { path: 'big.bin' }, 15_000)
    // Long enough for every retry today's client makes before it gives up on a file.
    await sleep(5000)
    expect(receiver.cli.child.exitCode).toBeNull()
    const said = receiver.cli.events.filter((e) => e.type === 'error' && /read-only|EROFS/i.test(e.message))
    expect(said.length).toBeGreaterThan(0)
    expectOnlyWholeFiles(versionsOf(senderDir, first), mirror)
    remount(mirrorRoot, 'rw')
    await expectMirrored(senderDir, mirror, 60_000)
  }, 120_000)

  it('a mirror disk that fills up: one clear error, nothing half-written, and it catches up once there is room, with no change at the sender', async () => {
    const mirrorRoot = mounted('tmpfs', 'size=1m')!
    const files: Record<string, Buffer> = {}
    for (let i = 0; i < 3; i++) files[`big-${i}.bin`] = randomBytes(700 * 1024)
    for (let i = 0; i < 20; i++) files[`small/${i}.bin`] = randomBytes(8 * 1024)
    const { senderDir, receiver, mirror } = await pairWithMirrorOn(mirrorRoot, files)
    await receiver.cli.until(() => receiver.cli.events.some((e) => e.type === 'error' && /ENOSPC|no space|full|not enough free space/i.test(e.message)), 20_000, 'a disk-full error')
    await sleep(5000)
    expect(receiver.cli.child.exitCode).toBeNull()
    expectOnlyWholeFiles(versionsOf(senderDir), mirror)
    remount(mirrorRoot, 'size=32m')
    await expectMirrored(senderDir, mirror, 60_000)
  }, 120_000)
})

describe('a shared file swapped while it is sent', () => {
  it('for a named pipe or a link out of the folder, round after round: the receiver lives, never holds the outside bytes, and ends exact', async () => {
    const outside = tempDir('outside-')
    const secret = `SECRET-${randomBytes(8).toString('hex')}`
    write(outside, 'secret.bin', Buffer.concat([Buffer.from(secret), randomBytes(4 * 1024 * 1024)]))
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'big.bin', randomBytes(4 * 1024 * 1024))
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    const mirror = mirrorOf(receiver.dir, sender.port)
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 15_000)
    const big = path.join(senderDir, 'big.bin')
    const aside = path.join(senderDir, '..', `${path.basename(senderDir)}-aside.bin`)
    const deadline = Date.now() + 30_000
    for (let round = 0; round < 12 && Date.now() < deadline; round++) {
      write(senderDir, 'big.bin', randomBytes(4 * 1024 * 1024))
      await receiver.cli.until(() => receiver.cli.events.some((e) => e.type === 'transfer-started' && e.path === 'big.bin'), 10_000).catch(() => {})
      renameSync(big, aside)
      if (round % 2) execFileSync('mkfifo', [big])
      else symlinkSync(path.join(outside, 'secret.bin'), big)
      await sleep(50)
      rmSync(big)
      renameSync(aside, big)
      receiver.cli.events.length = 0
    }
    expect(receiver.cli.child.exitCode).toBeNull()
    expect(sender.cli.child.exitCode).toBeNull()
    await expectMirrored(senderDir, mirror, 30_000)
    for (const rel of Object.keys(treeOf(mirror))) expect(readFileSync(path.join(mirror, rel)).includes(secret)).toBe(false)
    expect(existsSync(path.join(mirror, 'big.bin'))).toBe(true)
  }, 120_000)
})
