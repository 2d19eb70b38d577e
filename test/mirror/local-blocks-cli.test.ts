// Blocks taken from other local files by hash, through real CLI processes (issue 20): a big file
// another peer already sent, or one in the receiver's own shared folder, gives its blocks to a
// pull; only what no local file holds crosses the wire, and a local file changed since it was
// listed gives nothing wrong.
import { randomBytes } from 'node:crypto'
import { renameSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/events'
import { killAll } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, overwrite } from '../helpers/tree'

const KiB = 1024
const MiB = 1024 * KiB
/** 24 MiB files are cut in 192 blocks of 128 KiB. */
const BLOCK = 128 * KiB

afterEach(() => {
  killAll()
  removeTempDirs()
})

/** Content bytes the file-synced event of `rel` says came over the wire (the whole file when it says nothing). */
async function syncedBytes(client: Client, rel: string, peer: Client): Promise<number> {
  const event = (await client.cli.waitFor('file-synced', { path: rel, peer: `127.0.0.1:${peer.port}` }, 60_000)) as Extract<EngineEvent, { type: 'file-synced' }>
  return event.transferred ?? event.bytes
}


describe('blocks from other local files', () => {
  it("an edited copy of a file another peer sent moves only the changed block, at a second peer or beside it in the same mirror", { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const content = randomBytes(24 * MiB)
    const aDir = tempDir('a-')
    write(aDir, 'big.bin', content)
    const a = await startClient(serverPort, aDir)
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    expect(await syncedBytes(receiver, 'big.bin', a)).toBe(content.length)

    // Another peer has a copy of it, at another path, with 4 KiB changed inside one block.
    const edited = Buffer.from(content)
    randomBytes(4 * KiB).copy(edited, 12 * MiB + 1000)
    const bDir = tempDir('b-')
    write(bDir, 'copies/edited.bin', edited)
    const b = await startClient(serverPort, bDir)
    expect(await syncedBytes(receiver, 'copies/edited.bin', b)).toBe(BLOCK)
    await expectMirrored(bDir, mirrorOf(receiver.dir, b.port), 30_000)

    // And a copy with another edit beside the first peer's own file: from the same mirror.
    const again = Buffer.from(content)
    randomBytes(10).copy(again, 2 * BLOCK + 5)
    const aside = path.join(tempDir('aside-'), 'again.bin')
    write(path.dirname(aside), 'again.bin', again)
    renameSync(aside, path.join(aDir, 'again.bin'))
    expect(await syncedBytes(receiver, 'again.bin', a)).toBe(BLOCK)
    await expectMirrored(aDir, mirrorOf(receiver.dir, a.port), 30_000)
  })

  it('after the receiver restarts, the lists of what it mirrored are still looked up', { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const content = randomBytes(24 * MiB)
    const aDir = tempDir('a-')
    write(aDir, 'big.bin', content)
    const a = await startClient(serverPort, aDir)
    const receiverDir = tempDir('receiver-')
    const first = await startClient(serverPort, receiverDir)
    expect(await syncedBytes(first, 'big.bin', a)).toBe(content.length)
    first.cli.kill()
    expect((await first.cli.exited).code).toBe(0)

    const receiver = await startClient(serverPort, receiverDir)
    await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${a.port}` }, 60_000)
    const edited = Buffer.from(content)
    randomBytes(4 * KiB).copy(edited, 20 * MiB)
    const bDir = tempDir('b-')
    write(bDir, 'edited.bin', edited)
    const b = await startClient(serverPort, bDir)
    expect(await syncedBytes(receiver, 'edited.bin', b)).toBe(BLOCK)
    await expectMirrored(bDir, mirrorOf(receiverDir, b.port), 30_000)
  })

  it("a peer's big file that the receiver's own shared folder holds moves no content", { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const content = randomBytes(24 * MiB)
    const receiverDir = tempDir('receiver-')
    write(receiverDir, 'mine/same.bin', content)
    const receiver = await startClient(serverPort, receiverDir)
    const aDir = tempDir('a-')
    write(aDir, 'theirs.bin', content)
    const a = await startClient(serverPort, aDir)
    expect(await syncedBytes(receiver, 'theirs.bin', a)).toBe(0)
    await expectMirrored(aDir, mirrorOf(receiver.dir, a.port), 30_000)
  })

  it('a local block changed after its file was listed is fetched instead, and the mirror is right', { timeout: 120_000 }, async () => {
    const serverPort = await startServer()
    const content = randomBytes(24 * MiB)
    const receiverDir = tempDir('receiver-')
    const mine = path.join(receiverDir, 'same.bin')
    write(receiverDir, 'same.bin', content)
    // An old mtime, kept through the edit below: the index cannot see that edit by the file's stats.
    const old = new Date(Date.now() - 3600_000)
    utimesSync(mine, old, old)
    const receiver = await startClient(serverPort, receiverDir)

    // Two blocks of the local copy change behind the index's back (same size, same mtime).
    overwrite(mine, 3 * BLOCK + 10, randomBytes(100))
    overwrite(mine, 150 * BLOCK, randomBytes(BLOCK))
    utimesSync(mine, old, old)

    const aDir = tempDir('a-')
    write(aDir, 'theirs.bin', content)
    const a = await startClient(serverPort, aDir)
    expect(await syncedBytes(receiver, 'theirs.bin', a)).toBe(2 * BLOCK)
    await expectMirrored(aDir, mirrorOf(receiver.dir, a.port), 30_000)
  })
})
