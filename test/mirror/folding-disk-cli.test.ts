// A mirror on a disk that folds case and has no hard links (exFAT, as on a USB drive; macOS and
// Windows fold case too), fed by a peer on a disk that tells every name apart. Real CLI clients,
// a real exFAT disk on a loop device. What must hold: two names that are one file there never
// overwrite each other silently (one is mirrored, the other is named in one error); a rename that
// changes only case loses nothing, also across a restart; history keeps what peers delete or
// overwrite without hard links.
import { randomBytes } from 'node:crypto'
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/events'
import { killAll, runCliOnce } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { canMount, mountedExfat, unmountAll } from '../helpers/mount'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, peerFolderName, sha256, treeOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  unmountAll()
  removeTempDirs()
})

const clashes = (receiver: Client): Array<Extract<EngineEvent, { type: 'error' }>> =>
  receiver.cli.events.filter((e): e is Extract<EngineEvent, { type: 'error' }> => e.type === 'error' && e.code === 'name-clash')

/** The mirror's files as the disk names them, with their content's hash. */
const onDisk = (mirror: string): Record<string, string> => treeOf(mirror)

const hashOf = (content: string): string => sha256(Buffer.from(content)).toString('hex')

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A sender sharing `files` from an ext4 temp folder, and a receiver whose mirrors are on a fresh exFAT disk. */
async function toExfatMirror(files: Record<string, string | Buffer>): Promise<{ serverPort: number; senderDir: string; sender: Client; root: string; receiverDir: string; receiver: Client; mirror: string; peer: string }> {
  const serverPort = await startServer()
  const senderDir = tempDir('fold-sender-')
  for (const [rel, content] of Object.entries(files)) write(senderDir, rel, content)
  const sender = await startClient(serverPort, senderDir)
  const root = path.join(mountedExfat()!, 'mirrors')
  const receiverDir = tempDir('fold-receiver-')
  const receiver = await startClient(serverPort, receiverDir, '--mirror', root)
  return { serverPort, senderDir, sender, root, receiverDir, receiver, mirror: path.join(root, peerFolderName(sender.port)), peer: `127.0.0.1:${sender.port}` }
}

describe.skipIf(!canMount('exfat'))('a mirror on a disk that folds case (exFAT)', () => {
  it('README.md and Readme.md: one is mirrored, the other named in one error; when the first goes, the second comes', { timeout: 90_000 }, async () => {
    const { senderDir, receiver, mirror, peer } = await toExfatMirror({ 'README.md': 'upper\n', 'Readme.md': 'mixed\n', 'other.txt': 'other\n' })

    await receiver.cli.until(() => clashes(receiver).length > 0, 20_000, 'a name-clash error')
    await until('README.md and other.txt in the mirror', () => JSON.stringify(onDisk(mirror)) === JSON.stringify({ 'README.md': hashOf('upper\n'), 'other.txt': hashOf('other\n') }))
    // Given time to do wrong: the clashing file never overwrites the one mirrored.
    await new Promise((r) => setTimeout(r, 2000))
    expect(onDisk(mirror)).toEqual({ 'README.md': hashOf('upper\n'), 'other.txt': hashOf('other\n') })
    const errors = clashes(receiver)
    expect(errors, JSON.stringify(errors)).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/Readme\.md and README\.md.*Readme\.md is not mirrored/)
    expect(errors[0]!.peer).toBe(peer)
    // Not called up to date while one of its files is not mirrored.
    expect(receiver.cli.events.some((e) => e.type === 'peer-synced')).toBe(false)

    rmSync(path.join(senderDir, 'README.md'))
    await until('Readme.md alone', () => JSON.stringify(onDisk(mirror)) === JSON.stringify({ 'Readme.md': hashOf('mixed\n'), 'other.txt': hashOf('other\n') }))
    await receiver.cli.waitFor('peer-synced', { peer }, 20_000)
    expect(readdirSync(mirror).sort()).toEqual(['Readme.md', 'other.txt'])
  })

  it('a file and a folder renamed in case only: nothing is fetched again or lost, and nothing is lost when the receiver starts again', { timeout: 90_000 }, async () => {
    const files = Object.fromEntries([0, 1, 2].map((i) => [`Dir/f${i}.txt`, `file ${i}\n`]))
    const { serverPort, senderDir, root, receiverDir, receiver: first, mirror, peer } = await toExfatMirror({ 'case.txt': 'case\n', ...files })
    await first.cli.waitFor('peer-synced', { peer }, 20_000)

    renameSync(path.join(senderDir, 'case.txt'), path.join(senderDir, 'CASE.txt'))
    renameSync(path.join(senderDir, 'Dir'), path.join(senderDir, 'DIR'))
    await first.cli.waitFor('file-synced', { path: 'CASE.txt' }, 20_000)
    for (let i = 0; i < 3; i++) await first.cli.waitFor('file-synced', { path: `DIR/f${i}.txt` }, 20_000)
    const moved = first.cli.events.filter((e) => e.type === 'file-synced' && (e.path === 'CASE.txt' || e.path.startsWith('DIR/')))
    expect(moved.map((e) => (e as Extract<EngineEvent, { type: 'file-synced' }>).transferred)).toEqual([0, 0, 0, 0])
    const want = { 'CASE.txt': hashOf('case\n'), ...Object.fromEntries([0, 1, 2].map((i) => [`DIR/f${i}.txt`, hashOf(`file ${i}\n`)])) }
    const folded = (tree: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(tree).map(([rel, hash]) => [rel.toLowerCase(), hash]))
    // The folder too takes the peer's new spelling, once nothing of the peer's is in flight.
    await until('every file and folder under its new name', () => JSON.stringify(onDisk(mirror)) === JSON.stringify(want))
    expect(first.cli.events.filter((e) => e.type === 'error')).toEqual([])

    first.cli.kill()
    expect((await first.cli.exited).code).toBe(0)
    const again = await startClient(serverPort, receiverDir, '--mirror', root)
    await again.cli.waitFor('peer-synced', { peer }, 20_000)
    expect(onDisk(mirror)).toEqual(want)
    expect(again.cli.events.filter((e) => e.type === 'file-removed')).toEqual([])

    // The folder moved away by hand under the disk's spelling: the guard, watching once the peer is
    // synced, brings its files back. After a second: the kernel keeps a FUSE disk's entries that
    // long, and one looked up under another spelling (DIR) outlives a rename of the folder (Dir).
    await new Promise((r) => setTimeout(r, 1500))
    const diskSpelling = readdirSync(mirror).find((name) => name.toLowerCase() === 'dir')!
    // Moved away (one event, for the folder): its files are found under the manifest's spelling.
    renameSync(path.join(mirror, diskSpelling), path.join(path.dirname(root), 'moved-away'))
    await until('the folder back', () => JSON.stringify(folded(onDisk(mirror))) === JSON.stringify(folded(want)))
  })

  it('history keeps what the peer deletes and overwrites, though the disk has no hard links', { timeout: 90_000 }, async () => {
    const big = randomBytes(3 * 1024 * 1024) // large: through the hash writer
    const { senderDir, root, receiver, peer } = await toExfatMirror({ 'gone.bin': big, 'notes.txt': 'first\n' })
    await receiver.cli.waitFor('peer-synced', { peer }, 20_000)

    rmSync(path.join(senderDir, 'gone.bin'))
    await receiver.cli.waitFor('file-removed', { path: 'gone.bin' }, 20_000)
    writeFileSync(path.join(senderDir, 'notes.txt'), 'second\n')
    await receiver.cli.waitFor('file-synced', { path: 'notes.txt', bytes: 7 }, 20_000)
    expect(receiver.cli.events.filter((e) => e.type === 'error')).toEqual([])

    let listed: Array<{ path: string; size: number; reason: string }> = []
    for (const deadline = Date.now() + 10_000; listed.length < 2 && Date.now() < deadline; ) {
      const result = await runCliOnce(['history', 'list', '--json', '--mirror', root])
      listed = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { path: string; size: number; reason: string })
    }
    expect(listed.map(({ path: p, size, reason }) => ({ p, size, reason })).sort((a, b) => a.p.localeCompare(b.p))).toEqual([
      { p: 'gone.bin', size: big.length, reason: 'deleted' },
      { p: 'notes.txt', size: 6, reason: 'overwritten' },
    ])
    // README.md replaced at once by Readme.md of other content: one file on this disk, and the
    // version it held is kept as the peer's deletion of README.md.
    write(senderDir, 'README.md', 'upper\n')
    await receiver.cli.waitFor('file-synced', { path: 'README.md' }, 20_000)
    rmSync(path.join(senderDir, 'README.md'))
    write(senderDir, 'Readme.md', 'mixed, and longer\n')
    await receiver.cli.waitFor('file-synced', { path: 'Readme.md' }, 20_000)
    for (const deadline = Date.now() + 10_000; listed.length < 3 && Date.now() < deadline; ) {
      const result = await runCliOnce(['history', 'list', '--json', '--mirror', root])
      listed = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { path: string; size: number; reason: string })
    }
    expect(listed.find((e) => e.path === 'README.md')).toMatchObject({ size: 6, reason: 'deleted' })
    expect(receiver.cli.events.filter((e) => e.type === 'error')).toEqual([])

    const out = tempDir('fold-restored-')
    const restored = await runCliOnce(['history', 'restore', 'gone.bin', '--to', out, '--mirror', root])
    expect(restored.code, restored.stderr).toBe(0)
    expect(treeOf(out)).toEqual({ 'gone.bin': sha256(big).toString('hex') })
  })

  it('a folder shared from an exFAT disk reaches a mirror on one: new files, edits, a rename and a deletion', { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const disk = mountedExfat()!
    const senderDir = path.join(disk, 'shared')
    write(senderDir, 'a.txt', 'a\n')
    write(senderDir, 'sub/b.bin', randomBytes(2 * 1024 * 1024))
    const sender = await startClient(serverPort, senderDir)
    const root = path.join(disk, 'mirrors')
    const receiver = await startClient(serverPort, tempDir('fold-receiver-'), '--mirror', root)
    const mirror = path.join(root, peerFolderName(sender.port))
    const peer = `127.0.0.1:${sender.port}`
    await receiver.cli.waitFor('peer-synced', { peer }, 20_000)
    await expectMirrored(senderDir, mirror)

    write(senderDir, 'a.txt', 'a, edited\n')
    write(senderDir, 'sub/c.txt', 'c\n')
    renameSync(path.join(senderDir, 'sub', 'b.bin'), path.join(senderDir, 'b-moved.bin'))
    rmSync(path.join(senderDir, 'sub', 'c.txt'))
    write(senderDir, 'd.txt', 'd\n')
    await expectMirrored(senderDir, mirror, 20_000)
    expect(receiver.cli.events.filter((e) => e.type === 'error')).toEqual([])
    expect(sender.cli.events.filter((e) => e.type === 'error')).toEqual([])
  })

  it('a name the disk refuses (what?.txt) is named in one error and not tried again; renamed at the peer, it comes', { timeout: 90_000 }, async () => {
    const { senderDir, receiver, mirror, peer } = await toExfatMirror({ 'what?.txt': 'question\n', 'sub|dir/x.txt': 'pipe\n', 'fine.txt': 'fine\n' })
    const refusals = (): Array<Extract<EngineEvent, { type: 'error' }>> =>
      receiver.cli.events.filter((e): e is Extract<EngineEvent, { type: 'error' }> => e.type === 'error' && e.code === 'name-refused')

    await receiver.cli.until(() => refusals().length >= 2, 20_000, 'two name-refused errors')
    await until('fine.txt', () => JSON.stringify(onDisk(mirror)) === JSON.stringify({ 'fine.txt': hashOf('fine\n') }))
    // Long enough for retries (1, 2 and 4 s): none comes, and no write is tried.
    await new Promise((r) => setTimeout(r, 5000))
    // The peer named as the other lines name it.
    const named = `${receiver.cli.find('peer-joined')!.name} (${peer})`
    expect(refusals().map((e) => e.message).sort()).toEqual([
      `${named} lists sub|dir/x.txt: this disk refuses | in a name: not mirrored`,
      `${named} lists what?.txt: this disk refuses ? in a name: not mirrored`,
    ])
    expect(receiver.cli.events.filter((e) => e.type === 'error' && e.code !== 'name-refused')).toEqual([])
    expect(receiver.cli.events.filter((e) => e.type === 'transfer-failed')).toEqual([])

    renameSync(path.join(senderDir, 'what?.txt'), path.join(senderDir, 'what.txt'))
    await receiver.cli.waitFor('file-synced', { path: 'what.txt' }, 20_000)
    expect(onDisk(mirror)).toEqual({ 'fine.txt': hashOf('fine\n'), 'what.txt': hashOf('question\n') })
  })

  it('a file and a folder renamed in case only, in a folder shared from exFAT, leave one name at the peer, not both', { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const senderDir = path.join(mountedExfat()!, 'shared')
    write(senderDir, 'readme.md', 'r\n')
    write(senderDir, 'Dir/a.txt', 'a\n')
    const sender = await startClient(serverPort, senderDir, '--mirror', tempDir('fold-sender-mirrors-'))
    const receiver = await startClient(serverPort, tempDir('fold-receiver-'))
    const mirror = mirrorOf(receiver.dir, sender.port)
    await expectMirrored(senderDir, mirror)

    renameSync(path.join(senderDir, 'readme.md'), path.join(senderDir, 'README.md'))
    renameSync(path.join(senderDir, 'Dir'), path.join(senderDir, 'DIR'))
    await receiver.cli.waitFor('file-removed', { path: 'readme.md' }, 20_000)
    await receiver.cli.waitFor('file-removed', { path: 'Dir/a.txt' }, 20_000)
    await expectMirrored(senderDir, mirror)
    expect(Object.keys(treeOf(mirror)).sort()).toEqual(['DIR/a.txt', 'README.md'])
  })
})
