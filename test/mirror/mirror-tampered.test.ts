// A mirror changed by hand in ways meant to hurt: a link planted where a folder was, a folder
// where a file was. Real CLI clients (and a hand-written peer) on 127.0.0.1, real folders.
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { FakePeer, contentVersion, type FakeFile } from '../helpers/fake-peer'
import { expectMirrored, startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { foldersOf, mirrorOf, treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

/** Every symbolic link below `dir`, as relative paths. */
function linksIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isSymbolicLink())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
}

const snapshot = (dir: string): unknown => ({ files: treeOf(dir), folders: foldersOf(dir) })

describe('a link planted in a mirror', () => {
  it('the peer’s deletes and moves reach nothing outside through it; the mirror ends exact, without links', { timeout: 60_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    for (const [rel, text] of [['dir/x.txt', 'x'], ['dir/y.txt', 'y'], ['dir/sub/w.txt', 'w'], ['ren/a.txt', 'a'], ['ren/keep.txt', 'k'], ['stay.txt', 's']]) write(senderDir, rel!, text!)
    const sender = await startClient(serverPort, senderDir)
    const receiverDir = tempDir('receiver-')
    const receiver = await startClient(serverPort, receiverDir)
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 15_000)
    const mirror = mirrorOf(receiverDir, sender.port)
    // The mirror's folders moved out whole (their files keep size and mtime, so they still look
    // as placed), with a link to each left in its place.
    const outside = tempDir('outside-')
    for (const name of ['dir', 'ren']) {
      renameSync(path.join(mirror, name), path.join(outside, name))
      symlinkSync(path.join(outside, name), path.join(mirror, name))
    }
    const before = snapshot(outside)
    rmSync(path.join(senderDir, 'dir', 'x.txt'))
    rmSync(path.join(senderDir, 'dir', 'sub'), { recursive: true })
    mkdirSync(path.join(senderDir, 'moved'))
    renameSync(path.join(senderDir, 'ren', 'a.txt'), path.join(senderDir, 'moved', 'a.txt'))
    await expectMirrored(senderDir, mirror)
    await receiver.cli.until(() => linksIn(mirror).length === 0, 15_000, 'no link in the mirror')
    expect(snapshot(outside)).toEqual(before)
    expect(receiver.cli.child.exitCode).toBeNull()
  })
})

describe('a folder standing where a mirrored file was', () => {
  it('when the peer deletes the file, the folder is not recycled as if it were the file, and the client stops cleanly', { timeout: 60_000 }, async () => {
    const serverPort = await startServer()
    // A file that never arrives whole keeps the peer from being synced, so no guard repairs the
    // mirror before the deletion comes.
    const files: FakeFile[] = [
      { path: 'a', content: Buffer.from('a file for now') },
      { path: 'bad.txt', content: Buffer.from('evil'), announce: { version: contentVersion('good') } },
    ]
    const peer = new FakePeer(files)
    const peerPort = await peer.start()
    await peer.register(serverPort)
    try {
      const receiverDir = tempDir('receiver-')
      const receiver = await startClient(serverPort, receiverDir)
      await receiver.cli.waitFor('file-synced', { path: 'a' }, 15_000)
      await receiver.cli.waitFor('error', { code: 'hash-mismatch' }, 15_000)
      const mirror = mirrorOf(receiverDir, peerPort)
      rmSync(path.join(mirror, 'a'))
      write(mirror, 'a/junk.txt', 'made by hand')
      // The peer no longer has `a`; it is told so by the list it gives when subscribed again.
      files.splice(0, 1)
      peer.dropSubscribers()
      await receiver.cli.waitFor('file-removed', { path: 'a' }, 15_000)
      const recycler = path.join(`${receiverDir}-mirrors`, '.dropbox-sync', 'recently-deleted')
      expect(readdirSync(recycler).filter((name) => !lstatSync(path.join(recycler, name)).isFile())).toEqual([])
      // The folder made by hand is a stray: it goes with the list, and nothing else does.
      await receiver.cli.until(() => JSON.stringify(snapshot(mirror)) === JSON.stringify({ files: {}, folders: [] }), 15_000, 'an empty mirror')
      receiver.cli.kill('SIGINT')
      expect((await receiver.cli.exited).code).toBe(0)
      expect(receiver.cli.stderr).not.toContain('EISDIR')
    } finally {
      await peer.stop()
    }
  })
})
