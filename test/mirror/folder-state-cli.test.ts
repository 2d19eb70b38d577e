// Where each folder stands, as real CLI clients on 127.0.0.1 report it with --json: the sender's
// own folder counted with what .syncignore leaves out (and said as scanning while it is looked at
// whole), the receiver's mirror of it going from
// "N files to come" to "up to date" through a burst of 2,000 files in a few reports, and a large
// new file shown as preparing at the sender while it is hashed, before the receiver can hear of it.
import { truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FOLDER_STATS_EVERY_MS } from '../../src/main/engine/folder/folder-stats'
import type { FolderStateEvent, MirrorStateEvent, PreparingEvent } from '../../src/shared/events'
import { configOf, killAll, runCliOnce, type CliProcess } from '../helpers/cli'
import { startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const folderStates = (cli: CliProcess) => cli.events.filter((e): e is FolderStateEvent => e.type === 'folder-state')
const mirrorStates = (cli: CliProcess, peer: string) => cli.events.filter((e): e is MirrorStateEvent => e.type === 'mirror-state' && e.peer === peer)
const last = <T>(list: T[]): T | undefined => list[list.length - 1]

describe('where each folder stands', () => {
  it('the own folder with what .syncignore leaves out, and a mirror from "N to come" to "up to date" in a few reports', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    let bytes = 0
    for (let i = 0; i < 50; i++) {
      const text = `file ${i}\n`
      write(senderDir, `start/${i % 5}/f${i}.txt`, text)
      bytes += text.length
    }
    write(senderDir, '.syncignore', '*.tmp\nbuild/\n')
    write(senderDir, 'a.tmp', 'scratch')
    write(senderDir, 'b.tmp', 'scratch')
    write(senderDir, 'build/x.o', 'x')
    write(senderDir, 'build/deep/y.o', 'y')
    write(senderDir, 'Thumbs.db', 'junk')
    const sender = await startClient(serverPort, senderDir)
    // a.tmp, b.tmp, build/ (a folder counts once), Thumbs.db (the built-in list) and .syncignore itself.
    const own = { type: 'folder-state', folder: senderDir, files: 50, bytes, ignored: 5, scanning: false, missing: false, ignoreProblem: null }
    await sender.cli.until(() => JSON.stringify(last(folderStates(sender.cli))) === JSON.stringify(own), 15_000, 'the sender’s folder settled')

    const receiver = await startClient(serverPort, tempDir('receiver-'))
    const key = `127.0.0.1:${sender.port}`
    const settled = (files: number, bytes: number) =>
      expect.objectContaining({ phase: 'up-to-date', files, bytes, peerFiles: files, peerBytes: bytes, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 })
    await receiver.cli.until(() => last(mirrorStates(receiver.cli, key))?.phase === 'up-to-date', 15_000, 'the mirror up to date')
    expect(last(mirrorStates(receiver.cli, key))).toEqual(settled(50, bytes))
    expect(last(mirrorStates(receiver.cli, key))).toMatchObject({ id: sender.id, lastChange: expect.any(Number) })

    // A burst of 2,000 new files: reported as still to come, then up to date, never once per file.
    const before = mirrorStates(receiver.cli, key).length
    let burstBytes = 0
    for (let i = 0; i < 2000; i++) {
      const text = `burst ${i}\n`
      write(senderDir, `burst/${i % 20}/b${i}.txt`, text)
      burstBytes += text.length
    }
    const total = bytes + burstBytes
    await receiver.cli.until(() => last(mirrorStates(receiver.cli, key))?.files === 2050 && last(mirrorStates(receiver.cli, key))?.phase === 'up-to-date', 60_000, 'the burst mirrored')
    const during = mirrorStates(receiver.cli, key).slice(before)
    expect(last(during)).toEqual(settled(2050, total))
    expect(during.some((e) => e.needFiles > 0 && e.needBytes > 0 && e.phase === 'syncing')).toBe(true)
    // At most two a second: far fewer than the files, within the test's own deadline.
    expect(during.length).toBeLessThan(200)
    expect(receiver.cli.events.filter((e) => e.type === 'file-synced').length).toBeGreaterThanOrEqual(2050)
    // A file just made may be counted empty for a moment (its bytes still being written): the
    // report settles on the whole burst.
    const counted = { ...own, files: 2050, bytes: total }
    await sender.cli.until(() => JSON.stringify(last(folderStates(sender.cli))) === JSON.stringify(counted), 15_000, 'the sender counting the burst')

    // A folder ignored now: the rules change is a look at the whole folder, and the counts follow.
    const startZero = Array.from({ length: 10 }, (_, j) => `file ${j * 5}\n`.length).reduce((a, b) => a + b, 0)
    writeFileSync(path.join(senderDir, '.syncignore'), '*.tmp\nbuild/\nstart/0/\n')
    // The look the rules change makes is said (scanning), then settled.
    await sender.cli.until(() => last(folderStates(sender.cli))?.files === 2040 && last(folderStates(sender.cli))?.scanning === false, 15_000, 'start/0/ ignored')
    expect(last(folderStates(sender.cli))).toEqual({ ...own, files: 2040, bytes: total - startZero, ignored: 6 })
    await receiver.cli.until(() => last(mirrorStates(receiver.cli, key))?.files === 2040 && last(mirrorStates(receiver.cli, key))?.phase === 'up-to-date', 30_000, 'the mirror without start/0/')
    expect(last(mirrorStates(receiver.cli, key))).toEqual(settled(2040, total - startZero))

    // Paused from a terminal: the mirror is still reported, as paused; resumed, up to date again.
    expect((await runCliOnce(['ctl', 'pause', key, '--config', configOf(receiver.dir)])).code).toBe(0)
    await receiver.cli.until(() => last(mirrorStates(receiver.cli, key))?.phase === 'paused', 15_000, 'the mirror paused')
    expect(last(mirrorStates(receiver.cli, key))).toMatchObject({ phase: 'paused', files: 2040, bytes: total - startZero })
    expect((await runCliOnce(['ctl', 'resume', key, '--config', configOf(receiver.dir)])).code).toBe(0)
    await receiver.cli.until(() => last(mirrorStates(receiver.cli, key))?.phase === 'up-to-date', 15_000, 'the mirror resumed')
    expect(last(mirrorStates(receiver.cli, key))).toEqual(settled(2040, total - startZero))
  }, 120_000)

  it('the own folder says it is being scanned while it is looked at whole: at start and on ctl rescan', async () => {
    const serverPort = await startServer()
    const dir = tempDir('scanned-')
    for (let i = 0; i < 4000; i++) write(dir, `d${i % 40}/f${i}.txt`, `file ${i}\n`)
    const client = await startClient(serverPort, dir)
    const scans = (): boolean[] => folderStates(client.cli).map((e) => e.scanning)
    // The opening scan: said while it lasts, then the settled count.
    await client.cli.until(() => last(folderStates(client.cli))?.files === 4000 && last(scans()) === false, 30_000, 'the opening scan settled')
    expect(scans()).toContain(true)
    // Reports come at most every FOLDER_STATS_EVERY_MS: one just sent would hold back the next past this short look.
    await new Promise((r) => setTimeout(r, FOLDER_STATS_EVERY_MS))
    const before = scans().length
    expect((await runCliOnce(['ctl', 'rescan', '--config', configOf(dir)])).code).toBe(0)
    await client.cli.until(() => scans().slice(before).includes(true) && last(scans()) === false, 30_000, 'the rescan said and settled')
    expect(last(folderStates(client.cli))).toMatchObject({ files: 4000, scanning: false, missing: false })
  }, 90_000)

  it('a large new file is preparing at the sender while it is hashed; the receiver gets it after', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    write(senderDir, 'small.txt', 'small\n')
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    const key = `127.0.0.1:${sender.port}`
    await receiver.cli.waitFor('peer-synced', { peer: key }, 15_000)

    // Sparse: hashed in 1 MiB pieces with turns between them, with no disk behind it.
    const size = 256 * 1024 * 1024
    writeFileSync(path.join(senderDir, 'big.bin'), '')
    truncateSync(path.join(senderDir, 'big.bin'), size)
    await receiver.cli.waitFor('transfer-started', { peer: key, path: 'big.bin' }, 60_000)
    const preparing = () => sender.cli.events.filter((e): e is PreparingEvent => e.type === 'preparing')
    await sender.cli.until(() => last(preparing())?.files.length === 0, 15_000, 'the end of preparing')
    const during = preparing().filter((e) => e.files.length > 0)
    expect(during.length).toBeGreaterThan(0)
    for (const event of during) expect(event.files).toEqual([{ path: 'big.bin', bytes: expect.any(Number), total: size }])
    expect(during[0]!.files[0]!.bytes).toBeLessThan(size)
    // The small file, hashed in one piece, never showed as preparing.
    expect(preparing().flatMap((e) => e.files.map((f) => f.path))).not.toContain('small.txt')
    // The receiver learns of the file only once it is announced, whole: its transfer is of all of it.
    // (Its mirror state, sent at most twice a second, may never catch the file still to come.)
    expect(receiver.cli.find('transfer-started', { peer: key, path: 'big.bin' })).toMatchObject({ total: size })
  }, 90_000)
})
