// The mirror history and the mass-delete hold, as a user meets them: real clients (CLI
// processes), real files, `dropbox-sync history` and `dropbox-sync ctl confirm`.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configOf, killAll, runCliOnce } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { writeThroughMmap } from '../helpers/mmap'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, peerFolderName, treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

interface Listed {
  path: string
  peer: string
  folder: string
  at: string
  size: number
  version: string
  reason: string
}

async function historyList(...args: string[]): Promise<Listed[]> {
  const result = await runCliOnce(['history', 'list', '--json', ...args])
  expect(result.code).toBe(0)
  return result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Listed)
}

/** A sender sharing `files`, and a receiver with `extra` flags that has mirrored it. */
async function pair(files: Record<string, string | Buffer>, ...extra: string[]): Promise<{ senderDir: string; sender: Client; receiver: Client; mirror: string }> {
  const serverPort = await startServer()
  const senderDir = tempDir('hist-sender-')
  for (const [rel, content] of Object.entries(files)) write(senderDir, rel, content)
  const sender = await startClient(serverPort, senderDir)
  const receiver = await startClient(serverPort, tempDir('hist-receiver-'), ...extra)
  await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 15_000)
  return { senderDir, sender, receiver, mirror: mirrorOf(receiver.dir, sender.port) }
}

/**
 * Touches touched.txt in the mirror (its time only: the same bytes, nothing to keep or to say),
 * waits until it is looked at again, then writes notes.txt there by hand; the mirror-edited error.
 */
async function touchThenEdit(receiver: Client, mirror: string): Promise<Extract<Client['cli']['events'][number], { type: 'error' }>> {
  const before = receiver.cli.events.length
  const now = new Date()
  utimesSync(path.join(mirror, 'touched.txt'), now, now)
  await receiver.cli.until(() => receiver.cli.events.slice(before).some((e) => e.type === 'file-synced' && e.path === 'touched.txt'), 15_000, 'touched.txt looked at again')
  writeFileSync(path.join(mirror, 'notes.txt'), 'written here, by hand\n')
  return receiver.cli.waitFor('error', { code: 'mirror-edited' }, 15_000)
}

describe('mirror history', () => {
  it('a file the peer replaced with a folder of the same name, and back, is kept as deleted each way, with no error', async () => {
    const { senderDir, sender, receiver, mirror } = await pair({ swap: 'a file\n', 'stays.txt': 'stays\n' })
    rmSync(path.join(senderDir, 'swap'))
    write(senderDir, 'swap/in.txt', 'now a folder\n')
    await receiver.cli.waitFor('file-synced', { path: 'swap/in.txt' }, 15_000)
    await receiver.cli.waitFor('file-removed', { path: 'swap' }, 15_000)
    await expectMirrored(senderDir, mirror)
    let listed: Listed[] = []
    for (const deadline = Date.now() + 10_000; listed.length < 1 && Date.now() < deadline; ) listed = await historyList('-d', receiver.dir)
    expect(listed.map(({ path: p, peer: who, size, reason }) => ({ p, who, size, reason }))).toEqual([{ p: 'swap', who: `127.0.0.1:${sender.port}`, size: 7, reason: 'deleted' }])

    rmSync(path.join(senderDir, 'swap'), { recursive: true })
    write(senderDir, 'swap', 'a file again\n')
    await receiver.cli.waitFor('file-synced', { path: 'swap', bytes: 13 }, 15_000)
    await receiver.cli.waitFor('file-removed', { path: 'swap/in.txt' }, 15_000)
    await expectMirrored(senderDir, mirror)
    for (const deadline = Date.now() + 10_000; listed.length < 2 && Date.now() < deadline; ) listed = await historyList('-d', receiver.dir)
    expect(listed.map(({ path: p, size, reason }) => ({ p, size, reason }))).toEqual([
      { p: 'swap', size: 7, reason: 'deleted' },
      { p: 'swap/in.txt', size: 13, reason: 'deleted' },
    ])
    expect(receiver.cli.events.filter((e) => e.type === 'error')).toEqual([])
  })

  it('a file the peer deleted, and one it overwrote, restore with identical bytes; a mirror folder is refused', async () => {
    const deleted = randomBytes(3 * 1024 * 1024) // large: through the hash writer
    const first = randomBytes(5000) // small: through a batch
    const { senderDir, sender, receiver, mirror } = await pair({ 'docs/deleted.bin': deleted, 'notes/overwritten.txt': first, 'stays.txt': 'stays\n' })
    const peer = `127.0.0.1:${sender.port}`

    rmSync(path.join(senderDir, 'docs', 'deleted.bin'))
    await receiver.cli.waitFor('file-removed', { path: 'docs/deleted.bin' }, 15_000)
    writeFileSync(path.join(senderDir, 'notes', 'overwritten.txt'), 'the new version\n')
    await receiver.cli.waitFor('file-synced', { path: 'notes/overwritten.txt', bytes: 16 }, 15_000)
    await expectMirrored(senderDir, mirror)

    // The index is saved a moment after the change.
    let listed: Listed[] = []
    for (const deadline = Date.now() + 10_000; listed.length < 2 && Date.now() < deadline; ) {
      listed = await historyList('-d', receiver.dir)
    }
    expect(listed.map(({ path: p, peer: who, size, reason }) => ({ p, who, size, reason })).sort((a, b) => a.p.localeCompare(b.p))).toEqual([
      { p: 'docs/deleted.bin', who: peer, size: deleted.length, reason: 'deleted' },
      { p: 'notes/overwritten.txt', who: peer, size: first.length, reason: 'overwritten' },
    ])
    // Never inside the mirror itself.
    expect(Object.keys(treeOf(mirror)).sort()).toEqual(['notes/overwritten.txt', 'stays.txt'])

    const out = tempDir('restored-')
    const restore = (rel: string, ...more: string[]): ReturnType<typeof runCliOnce> => runCliOnce(['history', 'restore', rel, '--to', out, '-d', receiver.dir, ...more])
    let result = await restore('docs/deleted.bin')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(path.join(out, 'deleted.bin')).equals(deleted)).toBe(true)
    result = await restore('notes/overwritten.txt', '--peer', peer)
    expect(result.code).toBe(0)
    expect(readFileSync(path.join(out, 'overwritten.txt')).equals(first)).toBe(true)
    // --peer names the device as ctl does, by mirror folder or device ID as well as by address.
    for (const who of [peerFolderName(sender.port), sender.id.slice(0, 7)]) {
      expect((await historyList('-d', receiver.dir, '--peer', who)).map((e) => e.path).sort()).toEqual(['docs/deleted.bin', 'notes/overwritten.txt'])
    }
    // A line names the peer by its mirror folder, which outlives its address; --json gives both.
    const text = await runCliOnce(['history', 'list', '-d', receiver.dir])
    expect(text.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(3))).toEqual(
      expect.arrayContaining([[peerFolderName(sender.port), 'deleted', 'docs/deleted.bin']]),
    )
    expect((await historyList('-d', receiver.dir)).map((e) => e.folder)).toEqual([peerFolderName(sender.port), peerFolderName(sender.port)])
    const unknown = await runCliOnce(['history', 'list', '-d', receiver.dir, '--peer', 'nobody'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(new RegExp(`^error: no peer matches "nobody" .*mirror ${peerFolderName(sender.port)}, at ${peer}\\)\n$`))

    // Never over an existing file unless --force.
    writeFileSync(path.join(out, 'overwritten.txt'), 'mine\n')
    result = await restore('notes/overwritten.txt')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/exists; --force replaces it/)
    expect(readFileSync(path.join(out, 'overwritten.txt'), 'utf8')).toBe('mine\n')
    expect((await restore('notes/overwritten.txt', '--force')).code).toBe(0)
    expect(readFileSync(path.join(out, 'overwritten.txt')).equals(first)).toBe(true)

    // Into the mirror: the next sync would undo it, and the user is told so; a bad --to, as any bad value.
    result = await runCliOnce(['history', 'restore', 'docs/deleted.bin', '--to', mirror, '-d', receiver.dir])
    expect(result).toMatchObject({ code: 2, stdout: '' })
    expect(result.stderr).toMatch(/^error: --to: not restoring into .*: it is inside the mirror folder .* next sync .*\n$/)
    expect(existsSync(path.join(mirror, 'deleted.bin'))).toBe(false)
    // Nothing of the kind.
    expect((await restore('no/such.txt')).code).toBe(1)
    // --at: a value that is no time is a bad value (exit 2); a time before every version, nothing to restore (exit 1).
    for (const rel of ['notes/overwritten.txt', 'no/such.txt']) {
      result = await restore(rel, '--at', 'yesterday')
      expect(result).toMatchObject({ code: 2, stdout: '' })
      expect(result.stderr).toMatch(/^error: --at "yesterday" is not a time; .*\n$/)
    }
    result = await restore('notes/overwritten.txt', '--at', '2020-01-01 00:00:00', '--force')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/no version of notes\/overwritten.txt was kept at or before 2020-01-01 00:00:00/)
  })

  it('a mirror file edited by hand is put back as the peer has it, said in one line, and what was written is kept and restores; a file only touched is no edit', async () => {
    const big = randomBytes(3 * 1024 * 1024)
    const serverPort = await startServer()
    const senderDir = tempDir('hist-sender-')
    for (const [rel, content] of Object.entries({ 'notes.txt': 'as the peer has it\n', 'touched.txt': 'same bytes\n', 'big.bin': big, 'a.txt': 'a\n', 'b.txt': 'b\n' })) write(senderDir, rel, content)
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('hist-receiver-'))
    const peer = `127.0.0.1:${sender.port}`
    await receiver.cli.waitFor('peer-synced', { peer }, 15_000)
    const mirror = mirrorOf(receiver.dir, sender.port)
    const before = receiver.cli.events.length
    const edited = await touchThenEdit(receiver, mirror)
    expect(edited).toEqual({
      type: 'error',
      code: 'mirror-edited',
      peer,
      message: expect.stringMatching(
        new RegExp(`^notes\\.txt in the mirror of .+ \\(${peer}\\) was changed here: .* put back; what was written here is kept in the mirror history \\(dropbox-sync history restore notes\\.txt --to FOLDER --mirror ${path.dirname(mirror)}\\)\\.`),
      ),
    })
    await receiver.cli.until(() => receiver.cli.events.slice(before).some((e) => e.type === 'file-synced' && e.path === 'notes.txt'), 15_000, 'notes.txt put back')
    await expectMirrored(senderDir, mirror)

    expect(receiver.cli.events.filter((e) => e.type === 'error')).toEqual([edited])

    // Several found in one look (written through a memory mapping, which no watch sees; then a rescan): one line counting them.
    for (const rel of ['a.txt', 'b.txt', 'big.bin']) writeThroughMmap(path.join(mirror, rel), 'X')
    expect((await runCliOnce(['ctl', 'rescan', '--config', configOf(receiver.dir)])).code).toBe(0)
    await receiver.cli.until(() => receiver.cli.events.filter((e) => e.type === 'error').length === 2, 15_000, 'a second mirror-edited')
    const told = receiver.cli.events.filter((e) => e.type === 'error')[1]!
    expect(told).toMatchObject({ code: 'mirror-edited', peer })
    expect(told.type === 'error' && told.message).toMatch(/^3 files in the mirror of .* were changed here \((a\.txt|b\.txt|big\.bin)(, (a\.txt|b\.txt|big\.bin)){2}\): .*they are put back; .*history list --mirror /)
    await expectMirrored(senderDir, mirror)

    // Edited while the client was stopped: kept as it starts, said once the peer's list is in.
    receiver.cli.kill('SIGINT')
    await receiver.cli.exited
    writeFileSync(path.join(mirror, 'notes.txt'), 'written while it was stopped\n')
    const again = await startClient(serverPort, receiver.dir)
    const found = await again.cli.waitFor('error', { code: 'mirror-edited' }, 15_000)
    expect(found.message).toMatch(/^notes\.txt in the mirror of .* was changed here: .*kept in the mirror history/)
    await expectMirrored(senderDir, mirror)
    await again.cli.waitFor('peer-synced', { peer }, 15_000)
    expect(again.cli.events.filter((e) => e.type === 'error')).toEqual([found])

    let listed: Listed[] = []
    for (const deadline = Date.now() + 10_000; listed.length < 5 && Date.now() < deadline; ) listed = await historyList('-d', receiver.dir)
    expect(listed.map(({ path: p, peer: who, reason }) => ({ p, who, reason })).sort((x, y) => x.p.localeCompare(y.p))).toEqual(
      ['a.txt', 'b.txt', 'big.bin', 'notes.txt', 'notes.txt'].map((p) => ({ p, who: peer, reason: 'overwritten' })),
    )
    const out = tempDir('hand-edits-')
    for (const rel of ['notes.txt', 'big.bin']) expect(await runCliOnce(['history', 'restore', rel, '--to', out, '-d', receiver.dir])).toMatchObject({ code: 0 })
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('written while it was stopped\n')
    const older = listed.filter((v) => v.path === 'notes.txt')[0]!
    expect(await runCliOnce(['history', 'restore', 'notes.txt', '--to', out, '-d', receiver.dir, '--at', older.at, '--force'])).toMatchObject({ code: 0 })
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('written here, by hand\n')
    const bigEdited = Buffer.from(big)
    bigEdited.write('X', 0)
    expect(readFileSync(path.join(out, 'big.bin')).equals(bigEdited)).toBe(true)
    // The peer's folder was never touched.
    expect(readFileSync(path.join(senderDir, 'notes.txt'), 'utf8')).toBe('as the peer has it\n')

    // The peer's own newer version found there (placed just before a crash lost its record): no edit, nothing kept.
    again.cli.kill('SIGINT')
    await again.cli.exited
    writeFileSync(path.join(senderDir, 'touched.txt'), 'the peer changed it\n')
    writeFileSync(path.join(mirror, 'touched.txt'), 'the peer changed it\n')
    const third = await startClient(serverPort, receiver.dir)
    await third.cli.waitFor('peer-synced', { peer }, 15_000)
    await expectMirrored(senderDir, mirror)
    expect(third.cli.events.filter((e) => e.type === 'error')).toEqual([])
    expect((await historyList('-d', receiver.dir)).length).toBe(5)
  })

  it("a file put in a mirror by hand is kept in the history as the peer's next list removes it, and said; a copy of a peer's file goes unsaid", async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('hist-sender-')
    write(senderDir, 'a.txt', 'the peer has it\n')
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('hist-receiver-'))
    const peer = `127.0.0.1:${sender.port}`
    await receiver.cli.waitFor('peer-synced', { peer }, 15_000)
    const mirror = mirrorOf(receiver.dir, sender.port)
    writeFileSync(path.join(mirror, 'mine.txt'), 'my own notes\n')
    writeFileSync(path.join(mirror, 'copy of a.txt'), 'the peer has it\n')
    receiver.cli.kill('SIGINT')
    await receiver.cli.exited

    const again = await startClient(serverPort, receiver.dir)
    const told = await again.cli.waitFor('error', { code: 'mirror-edited' }, 15_000)
    expect(told.message).toBe(
      `mine.txt in the mirror of ${told.message.split('mirror of ')[1]!.split(', a file')[0]}, a file the peer does not have (put there by hand, or left from before), is removed: a mirror holds only its peer's files; ` +
        `what was written here is kept in the mirror history (dropbox-sync history restore mine.txt --to FOLDER --mirror ${path.dirname(mirror)}). Put your own files in your own folder.`,
    )
    await expectMirrored(senderDir, mirror)
    await again.cli.waitFor('peer-synced', { peer }, 15_000)
    expect(again.cli.events.filter((e) => e.type === 'error')).toEqual([told])
    let listed: Listed[] = []
    for (const deadline = Date.now() + 10_000; listed.length < 1 && Date.now() < deadline; ) listed = await historyList('-d', receiver.dir)
    expect(listed.map(({ path: p, peer: who, reason }) => ({ p, who, reason }))).toEqual([{ p: 'mine.txt', who: peer, reason: 'deleted' }])
    const out = tempDir('strays-')
    expect(await runCliOnce(['history', 'restore', 'mine.txt', '--to', out, '-d', receiver.dir])).toMatchObject({ code: 0 })
    expect(readFileSync(path.join(out, 'mine.txt'), 'utf8')).toBe('my own notes\n')
  })

  it('--keep-days 0: a mirror file only touched, or a copy of a peer file put there, goes unsaid, running or stopped; a real edit is said as not kept', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('hist-sender-')
    for (const [rel, content] of Object.entries({ 'touched.txt': 'same bytes\n', 'notes.txt': 'as the peer has it\n' })) write(senderDir, rel, content)
    const sender = await startClient(serverPort, senderDir)
    const receiver = await startClient(serverPort, tempDir('hist-receiver-'), '--keep-days', '0')
    const peer = `127.0.0.1:${sender.port}`
    await receiver.cli.waitFor('peer-synced', { peer }, 15_000)
    const mirror = mirrorOf(receiver.dir, sender.port)
    const notKept = /put back; the mirror history is off \(--keep-days 0\), so what was written here is not kept\./
    const edited = await touchThenEdit(receiver, mirror)
    expect(edited.message).toMatch(new RegExp(`^notes\\.txt in the mirror of .* was changed here: .*${notKept.source}`))
    await expectMirrored(senderDir, mirror)
    expect(receiver.cli.events.filter((e) => e.type === 'error')).toEqual([edited])

    // Touched while the client was stopped, and a copy of a peer's file put there: nothing to say.
    receiver.cli.kill('SIGINT')
    await receiver.cli.exited
    const later = new Date(Date.now() + 60_000)
    utimesSync(path.join(mirror, 'touched.txt'), later, later)
    writeFileSync(path.join(mirror, 'copy of notes.txt'), 'as the peer has it\n')
    const again = await startClient(serverPort, receiver.dir, '--keep-days', '0')
    await again.cli.waitFor('peer-synced', { peer }, 15_000)
    await expectMirrored(senderDir, mirror)
    expect(again.cli.events.filter((e) => e.type === 'error')).toEqual([])

    // Edited while it was stopped: said, and not kept.
    again.cli.kill('SIGINT')
    await again.cli.exited
    writeFileSync(path.join(mirror, 'touched.txt'), 'written while it was stopped\n')
    const third = await startClient(serverPort, receiver.dir, '--keep-days', '0')
    const found = await third.cli.waitFor('error', { code: 'mirror-edited' }, 15_000)
    expect(found.message).toMatch(new RegExp(`^touched\\.txt in the mirror of .* was changed here: .*${notKept.source}`))
    await third.cli.waitFor('peer-synced', { peer }, 15_000)
    await expectMirrored(senderDir, mirror)
    expect(third.cli.events.filter((e) => e.type === 'error')).toEqual([found])
    expect(await historyList('-d', receiver.dir)).toEqual([])
    // What was linked aside to be weighed is gone once weighed.
    expect(readdirSync(path.join(path.dirname(mirror), '.dropbox-sync', 'hand-edits'))).toEqual([])
  })

  it('a mirror folder that is not there is said in one line (exit 2), not listed as an empty history', async () => {
    const missing = path.join(tempDir('hist-none-'), 'shared')
    const result = await runCliOnce(['history', 'list', '-d', missing])
    expect(result).toMatchObject({ code: 2, stdout: '' })
    expect(result.stderr).toMatch(new RegExp(`^error: no mirror folder at ${missing}-mirrors .*--mirror\\)\n$`))
    expect((await runCliOnce(['history', 'restore', 'a.txt', '--to', tempDir('hist-to-'), '--mirror', `${missing}-mirrors`])).code).toBe(2)
  })

  it('--keep-days 0 keeps nothing', async () => {
    const { senderDir, receiver } = await pair({ 'a.txt': 'a\n', 'b.txt': 'b\n' }, '--keep-days', '0')
    rmSync(path.join(senderDir, 'a.txt'))
    await receiver.cli.waitFor('file-removed', { path: 'a.txt' }, 15_000)
    receiver.cli.kill('SIGINT')
    await receiver.cli.exited
    expect(await historyList('-d', receiver.dir)).toEqual([])
  })
})

describe('mass-delete hold', () => {
  it('a peer deleting 15 of its 20 files is held (its other changes go on) until ctl confirm; then they go to the history', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 20; i++) files[`f${String(i).padStart(2, '0')}.txt`] = `file ${i}\n`
    const { senderDir, sender, receiver, mirror } = await pair(files, '--max-delete-percent', '50', '--max-delete-files', '10')
    const peer = `127.0.0.1:${sender.port}`
    const before = treeOf(mirror)

    for (let i = 0; i < 15; i++) rmSync(path.join(senderDir, `f${String(i).padStart(2, '0')}.txt`))
    const event = await receiver.cli.waitFor('mass-delete', { peer }, 15_000)
    expect(event).toEqual({ type: 'mass-delete', peer, id: sender.id, name: expect.any(String) as unknown, files: 15, held: 15, total: 20 })
    // It names the peer by its mirror folder, which outlives an address.
    expect(receiver.cli.find('error', { code: 'mass-delete' })?.message).toMatch(new RegExp(`ctl confirm ${peerFolderName(sender.port)}$`))
    // Its other changes keep coming.
    mkdirSync(path.join(senderDir, 'new'))
    write(senderDir, 'new/after.txt', 'made after the deletions\n')
    await receiver.cli.waitFor('file-synced', { path: 'new/after.txt' }, 15_000)
    expect(treeOf(mirror)).toEqual({ ...before, 'new/after.txt': treeOf(senderDir)['new/after.txt'] })
    expect(receiver.cli.find('file-removed')).toBeUndefined()

    const confirmed = await runCliOnce(['ctl', 'confirm', peerFolderName(sender.port), '--config', configOf(receiver.dir)])
    expect(confirmed.stderr).toBe('')
    expect(confirmed.stdout).toMatch(/applied 15 deletions/)
    expect(await receiver.cli.waitFor('mass-delete-cleared')).toEqual({ type: 'mass-delete-cleared', peer, id: sender.id, name: expect.any(String) as unknown, confirmed: true })
    await expectMirrored(senderDir, mirror)
    let listed: Listed[] = []
    for (const deadline = Date.now() + 10_000; listed.length < 15 && Date.now() < deadline; ) listed = await historyList('--mirror', `${receiver.dir}-mirrors`, '--peer', peer)
    expect(listed.map((e) => e.path).sort()).toEqual(Object.keys(before).sort().slice(0, 15))
    // Nothing more is held.
    expect((await runCliOnce(['ctl', 'confirm', peer, '--config', configOf(receiver.dir)])).code).toBe(1)
  })

  it('holds a deletion that reaches it in several batches whole: none of it is applied before the limit is crossed', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 30; i++) files[`f${String(i).padStart(2, '0')}.txt`] = `file ${i}\n`
    const { senderDir, sender, receiver, mirror } = await pair(files, '--max-delete-percent', '50', '--max-delete-files', '10')
    const peer = `127.0.0.1:${sender.port}`
    const before = treeOf(mirror)
    // Two batches at the sender (its index settles each), neither a mass delete alone, both together one.
    for (let i = 0; i < 8; i++) rmSync(path.join(senderDir, `f${String(i).padStart(2, '0')}.txt`))
    await new Promise((resolve) => setTimeout(resolve, 400))
    for (let i = 8; i < 16; i++) rmSync(path.join(senderDir, `f${String(i).padStart(2, '0')}.txt`))
    const event = await receiver.cli.waitFor('mass-delete', { peer }, 15_000)
    expect(event).toMatchObject({ files: 16, held: 16, total: 30 })
    expect(receiver.cli.find('file-removed')).toBeUndefined()
    expect(treeOf(mirror)).toEqual(before)
  })
})
