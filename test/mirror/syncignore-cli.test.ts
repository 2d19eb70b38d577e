// `.syncignore` as a user edits it: real CLI processes on 127.0.0.1; what the sender ignores leaves
// the receiver's mirror, and comes back when it is no longer ignored, while both keep running.
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { expectMirrorHolds, startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

describe('.syncignore', () => {
  it('edited at the sender, makes files leave the receiver’s mirror and come back', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'keep.txt', 'kept\n')
    write(senderDir, 'notes.log', 'a log\n')
    write(senderDir, 'build/out.bin', 'built\n')
    write(senderDir, 'build/deep/more.bin', 'more\n')
    write(senderDir, 'photos/.DS_Store', 'junk\n')
    write(senderDir, '.syncignore', 'build/\n')
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 15_000)
    const mirror = mirrorOf(receiver.dir, sender.port)
    // Neither the file itself nor what it and the defaults ignore.
    await expectMirrorHolds(senderDir, mirror, ['keep.txt', 'notes.log'])

    writeFileSync(path.join(senderDir, '.syncignore'), 'build/\n*.log\n')
    await expectMirrorHolds(senderDir, mirror, ['keep.txt'])

    rmSync(path.join(senderDir, '.syncignore'))
    await expectMirrorHolds(senderDir, mirror, ['keep.txt', 'notes.log', 'build/out.bin', 'build/deep/more.bin'])
    expect(sender.cli.events.filter((e) => e.type === 'error')).toEqual([])
  })
})
