// A burst of changes through real `dropbox-sync` processes: 20,000 files dropped into a shared
// folder make one summary line on the receiver's terminal (and a progress line now and then),
// while --json still carries every file-synced event. Ctrl-C prints an open burst's summary
// before the goodbye line.
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { defaultDeviceName, killAll, runCliReadable, type CliProcess } from '../helpers/cli'
import { FakePeer } from '../helpers/fake-peer'
import { expectMirrored, startClient, startServer } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf } from '../helpers/tree'

const FILES = 20_000

afterEach(() => {
  killAll()
  removeTempDirs()
})

/** 20,000 small files in 200 folders, written outside the shared folder, then moved into it in one rename. */
function dropFiles(sharedDir: string): void {
  const staging = tempDir('burst-')
  for (let d = 0; d < FILES / 100; d++) {
    const folder = path.join(staging, `d${d}`)
    mkdirSync(folder)
    for (let f = 0; f < 100; f++) writeFileSync(path.join(folder, `f${f}.txt`), `file ${d}/${f}\n`.repeat(20))
  }
  renameSync(staging, path.join(sharedDir, 'drop'))
}

/** How the terminal starts the line saying a peer's mirror is up to date: the peer by name, its address beside it. */
function upToDateLine(peer: string): string {
  return `mirror of ${defaultDeviceName()} (${peer}) is up to date`
}

/** A readable client on `serverPort`, once it has said its mirror of the peer on `peerPort` is up to date. */
async function readableReceiver(serverPort: number, peerPort: number): Promise<{ cli: CliProcess; dir: string }> {
  const dir = tempDir('reader-')
  const cli = runCliReadable(['client', '-d', dir, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
  await cli.until(() => cli.stdoutLines.some((l) => l.startsWith(upToDateLine(`127.0.0.1:${peerPort}`))), 30_000, 'the first sync')
  return { cli, dir }
}

/** "in 2.4 s" / "in 1 min 5 s" → seconds. */
function secondsOf(line: string): number {
  const m = / in (?:(\d+) min )?([\d.]+) s\b/.exec(line)
  if (!m) throw new Error(`no duration in: ${line}`)
  return Number(m[1] ?? 0) * 60 + Number(m[2])
}

describe('a burst of 20,000 files', () => {
  it('is one summary line on the terminal, with at most a progress line every few seconds, and no line per file', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    const sender = await startClient(serverPort, senderDir)
    const peer = `127.0.0.1:${sender.port}`
    const receiver = await readableReceiver(serverPort, sender.port)
    const before = receiver.cli.stdoutLines.length

    dropFiles(senderDir)
    const about = (l: string): boolean => l.includes(`${peer}`) && / files (from|removed from)/.test(l)
    const isSummary = (l: string): boolean => about(l) && !l.endsWith('…')
    await receiver.cli.until(() => receiver.cli.stdoutLines.some(isSummary), 180_000, 'the summary line')
    await expectMirrored(senderDir, mirrorOf(receiver.dir, sender.port), 60_000)
    // The up-to-date line follows the summary once the burst has settled.
    await receiver.cli.until(() => receiver.cli.stdoutLines.slice(before).some((l) => l.startsWith(`${upToDateLine(peer)}: ${FILES} files`)), 30_000, 'the up-to-date line')

    const lines = receiver.cli.stdoutLines.slice(before)
    const summaries = lines.filter(isSummary)
    expect(summaries).toEqual([expect.stringMatching(new RegExp(`^20,000 files from (.+ \\()?${peer.replace(/\./g, '\\.')}\\)? in .+ s \\([\\d.]+ [KM]B\\)$`))])
    const progress = lines.filter((l) => about(l) && l.endsWith('…'))
    for (const line of progress) expect(line).toMatch(/^[\d,]+ files from .+ so far \([\d.]+ [KM]?B\)…$/)
    // One every 3 s of the burst at most: bounded by the burst's own duration, not by a clock here.
    expect(progress.length).toBeLessThanOrEqual(Math.floor(secondsOf(summaries[0]!) / 3) + 1)
    expect(lines.filter((l) => l.startsWith('synced ') || l.startsWith('receiving '))).toEqual([])
    // Nothing else was said about it: the summary, the progress lines, the up-to-date line.
    expect(lines.filter((l) => !about(l) && !l.startsWith(upToDateLine(peer)))).toEqual([])

    // A small change after it keeps its own line.
    writeFileSync(path.join(senderDir, 'after.txt'), 'one more\n')
    await receiver.cli.until(() => receiver.cli.stdoutLines.some((l) => /^synced .*\bafter\.txt \(9 bytes\)$/.test(l)), 30_000, 'the line of after.txt')
    expect(receiver.cli.stdoutLines.slice(before + lines.length).filter(about)).toEqual([])
  }, 300_000)

  it('with --json, is every file-synced event, one per file, and nothing else on stdout', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('sender-')
    const sender = await startClient(serverPort, senderDir)
    const peer = `127.0.0.1:${sender.port}`
    const receiver = await startClient(serverPort, tempDir('receiver-'))
    await receiver.cli.waitFor('peer-synced', { peer, files: 0 }, 30_000)

    dropFiles(senderDir)
    await receiver.cli.waitFor('peer-synced', { peer, files: FILES }, 180_000)
    const synced = receiver.cli.events.filter((e) => e.type === 'file-synced' && e.peer === peer)
    expect(synced).toHaveLength(FILES)
    expect(new Set(synced.map((e) => (e.type === 'file-synced' ? e.path : ''))).size).toBe(FILES)
    expect(receiver.cli.notJson).toEqual([])
  }, 300_000)
})

describe('Ctrl-C during a burst', () => {
  it('prints the summary of the files so far, then the goodbye line', async () => {
    const serverPort = await startServer()
    // 30 small files come at once; a large one trickles for minutes, so the burst stays open.
    const files = Array.from({ length: 30 }, (_, i) => ({ path: `small/${i}.txt`, content: Buffer.from(`small ${i}\n`) }))
    const slow = new FakePeer([...files, { path: 'big.bin', content: Buffer.alloc(2_000_000, 7) }], { trickle: { chunkBytes: 1000, everyMs: 100 } })
    try {
      await slow.start()
      const receiverDir = tempDir('reader-')
      const receiver = runCliReadable(['client', '-d', receiverDir, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
      await receiver.until(() => receiver.stdoutLines.some((l) => l.startsWith('registered with the server')), 30_000, 'registration')
      const peer = await slow.register(serverPort)
      const small = path.join(mirrorOf(receiverDir, slow.port), 'small')
      const arrived = (): number => {
        try {
          return readdirSync(small).length
        } catch {
          return 0
        }
      }
      await receiver.until(() => arrived() === 30, 30_000, 'the small files in the mirror')
      // Held while the burst is open: neither their lines nor a summary yet.
      expect(receiver.stdoutLines.filter((l) => l.includes('small/') || l.includes(' files from '))).toEqual([])
      receiver.kill('SIGINT')
      expect(await receiver.exited).toEqual({ code: 0, signal: null })
      const lines = receiver.stdoutLines
      expect(lines.at(-1)).toBe(`logged off from the server 127.0.0.1:${serverPort}; bye`)
      expect(lines.filter((l) => l.includes(' files from '))).toEqual([expect.stringMatching(new RegExp(`^30 files from (.+ \\()?${peer.replace(/\./g, '\\.')}\\)? in .+ s \\(`))])
    } finally {
      await slow.stop()
    }
  }, 120_000)
})
