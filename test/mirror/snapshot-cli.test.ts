// A file still being written, between real CLI clients: the sender says it shares a snapshot,
// the receiver's file-synced says it got one, and once the file holds still it arrives whole
// without the flag. The sender's wait is shortened through DBS_SNAPSHOT_AFTER_MS (DEVELOPERS.md).
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { describe as describeLine } from '../../src/cli/printer'
import type { FileSyncedEvent } from '../../src/shared/events'
import { startAppender, type Appender } from '../helpers/appender'
import { killAll } from '../helpers/cli'
import { contentVersion } from '../helpers/fake-peer'
import { expectMirrored, startClient, startServer, syncedPair, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf } from '../helpers/tree'

const KiB = 1024
let appender: Appender | null = null

/** The receiver's file-synced events for `rel`, so far. */
function syncedOf(receiver: { cli: { events: unknown[] } }, rel: string): FileSyncedEvent[] {
  return (receiver.cli.events as FileSyncedEvent[]).filter((e) => e.type === 'file-synced' && e.path === rel)
}

afterEach(async () => {
  await appender?.stop()
  appender = null
  killAll()
  removeTempDirs()
})

describe('the words for a snapshot', () => {
  it('on the terminal (the Activity screen: test/renderer/activity-bursts.test.ts)', () => {
    const synced: FileSyncedEvent = { type: 'file-synced', peer: '127.0.0.1:40002', path: 'big.log', bytes: 2048, version: 'ab', snapshot: true }
    expect(describeLine(synced)).toBe('synced 127.0.0.1:40002 big.log (2048 bytes) (a snapshot: still being written at the peer)')
    expect(describeLine({ ...synced, snapshot: undefined })).toBe('synced 127.0.0.1:40002 big.log (2048 bytes)')
    expect(describeLine({ type: 'file-snapshot', path: 'big.log', bytes: 2048, version: 'ab' })).toBe(
      'big.log is still being written; peers get it as it is now (a snapshot, 2048 bytes)',
    )
  })
})

describe('a file still being written, between real clients', () => {
  it('reaches the mirror as a snapshot while it grows, and whole without the flag once it holds still', { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'big.log', randomBytes(300 * KiB))
    process.env['DBS_SNAPSHOT_AFTER_MS'] = '1500'
    const sender = await startClient(serverPort, senderDir).finally(() => delete process.env['DBS_SNAPSHOT_AFTER_MS'])
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    const peer = `127.0.0.1:${sender.port}`
    await receiver.cli.waitFor('peer-synced', { peer }, 60_000)
    const synced = () => receiver.cli.events.filter((e): e is FileSyncedEvent => e.type === 'file-synced' && e.path === 'big.log')
    expect(synced().map((e) => e.snapshot)).toEqual([undefined])

    const file = path.join(senderDir, 'big.log')
    appender = startAppender(file, 4 * KiB, 5)
    await sender.cli.waitFor('file-snapshot', { path: 'big.log' }, 30_000)
    await receiver.cli.until(() => synced().some((e) => e.snapshot), 30_000, 'a snapshot of big.log in the mirror')
    const snapshot = synced().find((e) => e.snapshot)!
    expect(snapshot.bytes).toBeGreaterThan(300 * KiB)
    // The mirror holds what the file held then: its first bytes, as they still are at the sender.
    const mirror = mirrorOf(receiver.dir, sender.port)
    const held = readFileSync(path.join(mirror, 'big.log'))
    expect(held.equals(readFileSync(file).subarray(0, held.length))).toBe(true)
    expect(await sender.cli.waitFor('file-snapshot', { path: 'big.log' })).toMatchObject({ bytes: expect.any(Number), version: expect.stringMatching(/^[0-9a-f]{64}$/) })

    await appender.stop()
    const whole = contentVersion(readFileSync(file)).toString('hex')
    await receiver.cli.until(() => synced().some((e) => e.version === whole && !e.snapshot), 30_000, 'big.log whole, without the flag')
    expect(synced().at(-1)).toMatchObject({ version: whole, bytes: readFileSync(file).length })
    expect(synced().at(-1)?.snapshot).toBeUndefined()
    await expectMirrored(senderDir, mirror)
    expect(existsSync(path.join(mirror, 'big.log'))).toBe(true)
  })
})

describe('a big file new to the index that grows while it is first hashed', () => {
  it('waits until it holds still, as any file seen growing: no snapshot, no partial version at the peer', { timeout: 90_000 }, async () => {
    // Left out while it grows big, then shared (a download resumed, a copy under way): its first
    // hash, and each after it, overlaps an append. It grows for seconds, not the 30 s of a snapshot.
    const { senderDir, sender, receiver } = await syncedPair((dir) => write(dir, '.syncignore', 'big.log\n'), 60_000)
    const file = path.join(senderDir, 'big.log')
    appender = startAppender(file, 256 * KiB, 5)
    await receiver.cli.until(() => existsSync(file) && statSync(file).size >= 48 * 1024 * KiB, 30_000, 'big.log at 48 MiB')
    write(senderDir, '.syncignore', '# nothing left out\n')
    await new Promise((resolve) => setTimeout(resolve, 2500))
    await appender.stop()
    const whole = contentVersion(readFileSync(file)).toString('hex')
    const synced = () => syncedOf(receiver, 'big.log')
    await receiver.cli.until(() => synced().some((e) => e.version === whole), 60_000, 'big.log whole')
    expect(sender.cli.events.filter((e) => e.type === 'file-snapshot')).toEqual([])
    expect(synced().map((e) => e.version)).toEqual([whole])
    expect(readFileSync(path.join(mirrorOf(receiver.dir, sender.port), 'big.log')).equals(readFileSync(file))).toBe(true)
  })
})

describe('a new file written from its first byte on (a download, a recording)', () => {
  it('reaches the peer once, whole, without the flag: its first bytes are not announced, nor fetched in vain', { timeout: 90_000 }, async () => {
    const { senderDir, sender, receiver } = await syncedPair((dir) => write(dir, 'seed.txt', 'in sync before the download begins\n'), 60_000)
    const file = path.join(senderDir, 'download.bin')
    appender = startAppender(file, 64 * KiB, 5)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    await appender.stop()
    const whole = contentVersion(readFileSync(file)).toString('hex')
    const synced = () => syncedOf(receiver, 'download.bin')
    await receiver.cli.until(() => synced().some((e) => e.version === whole), 60_000, 'download.bin whole')
    expect(synced().map((e) => e.version)).toEqual([whole])
    // Its first bytes were announced once, and each fetch of them refused as changed since.
    expect(receiver.cli.events.filter((e) => e.type === 'transfer-failed' && e.path === 'download.bin')).toEqual([])
    expect(synced()[0]?.snapshot).toBeUndefined()
    expect(sender.cli.events.filter((e) => e.type === 'file-snapshot')).toEqual([])
  })
})
