// Orderings on the receiving side that a long-running mirror meets: a change pushed while an
// earlier one is still being applied. A real CLI receiver and a hand-written peer that pushes.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../helpers/cli'
import { FakePeer, mirroredTree, type FakeFile } from '../helpers/fake-peer'
import type { IndexChange } from '../../src/main/engine/protocol/messages'
import { KEEP_MS } from '../../src/main/engine/mirror/recycler'
import { startClient, startServer, type Client } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, treeOf } from '../helpers/tree'
import { writeThroughMmap } from '../helpers/mmap'
import { runCliOnce } from '../helpers/cli'

const fakes: FakePeer[] = []
afterEach(async () => {
  killAll()
  for (const fake of fakes.splice(0)) await fake.stop()
  removeTempDirs()
})


/** A fake peer sharing `files` (the array it serves from: change it to change the peer), and a receiver mirroring it. */
async function fakePeerAndReceiver(files: FakeFile[], ...extra: string[]): Promise<{ peer: FakePeer; mirror: string; receiver: Client }> {
  const serverPort = await startServer()
  const peer = new FakePeer(files)
  fakes.push(peer)
  const peerPort = await peer.start()
  await peer.register(serverPort)
  const receiver = await startClient(serverPort, tempDir('receiver-'), ...extra)
  return { peer, mirror: mirrorOf(receiver.dir, peerPort), receiver }
}

describe('a change pushed while an earlier one is being applied', () => {
  it('a file the peer puts back while its deletion is still being applied stays in the mirror', { timeout: 90_000 }, async () => {
    const doomed = Array.from({ length: 1500 }, (_, i) => ({ path: `gone/f${i}.txt`, content: Buffer.from(`file ${i}\n`) }))
    const back = { path: 'back.txt', content: Buffer.from('deleted, then put back as it was\n') }
    const files: FakeFile[] = [...doomed, back]
    // No mass-delete hold: the deletions are applied, one after another.
    const { peer, mirror, receiver } = await fakePeerAndReceiver(files, '--max-delete-percent', '100')
    await receiver.cli.waitFor('peer-synced', { files: doomed.length + 1 }, 60_000)

    // Everything deleted at the peer, back.txt last; then back.txt put back, unchanged, while the
    // receiver is still removing the others.
    files.splice(0, files.length, back)
    peer.push([...doomed, back].map((f) => ({ op: 'delete' as const, path: f.path })))
    await receiver.cli.until(() => !existsSync(path.join(mirror, 'gone', 'f0.txt')), 15_000, 'the deletions under way')
    peer.push([{ op: 'upsert', ...peer.entryOf(back) }])

    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 2, 30_000, 'the mirror synced again with back.txt')
    expect(treeOf(mirror)).toEqual(mirroredTree([back]))
  })

  it('files the peer copies back while their move is still being applied stay at both places', { timeout: 90_000 }, async () => {
    const moved = Array.from({ length: 1500 }, (_, i) => ({ path: `src/f${i}.txt`, content: Buffer.from(`file ${i}\n`) }))
    const files: FakeFile[] = [...moved]
    const { peer, mirror, receiver } = await fakePeerAndReceiver(files)
    await receiver.cli.waitFor('peer-synced', { files: moved.length }, 60_000)

    // src moved to dst (one batch: its deletions and the same contents at the new paths), then
    // copied back while the receiver is still moving its files.
    const copies = moved.map((f) => ({ path: f.path.replace('src/', 'dst/'), content: f.content }))
    files.splice(0, files.length, ...copies)
    peer.push([...moved.map((f) => ({ op: 'delete' as const, path: f.path })), ...copies.map((f) => ({ op: 'upsert' as const, ...peer.entryOf(f) }))])
    await receiver.cli.until(() => existsSync(path.join(mirror, 'dst', 'f0.txt')), 15_000, 'the moves under way')
    files.push(...moved)
    peer.push(moved.map((f) => ({ op: 'upsert' as const, ...peer.entryOf(f) })))

    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 2, 30_000, 'the mirror synced again with both folders')
    expect(treeOf(mirror)).toEqual(mirroredTree([...moved, ...copies]))
  })
})

describe('a move at the peer that reaches the mirror as a deletion, then a new file', () => {
  it('does not bring back, under the new name, a mirror file changed on disk since it was placed', { timeout: 60_000 }, async () => {
    const a = { path: 'a.txt', content: Buffer.from('as the peer wrote it\n') }
    const files: FakeFile[] = [a]
    const { peer, mirror, receiver } = await fakePeerAndReceiver(files)
    await receiver.cli.waitFor('peer-synced', { files: 1 }, 30_000)
    // Changed in the mirror where no watch sees it (the whole look comes only every 10 minutes).
    writeThroughMmap(path.join(mirror, 'a.txt'), 'CHANGED')

    // The peer renames a.txt to b.txt; the deletion comes alone and is applied before the new file is announced.
    const b = { path: 'b.txt', content: a.content }
    files.splice(0, files.length, b)
    peer.push([{ op: 'delete', path: 'a.txt' }])
    await receiver.cli.waitFor('file-removed', { path: 'a.txt' }, 15_000)
    peer.push([{ op: 'upsert', ...peer.entryOf(b) }])

    await receiver.cli.waitFor('file-synced', { path: 'b.txt' }, 15_000)
    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 2, 15_000, 'synced again')
    expect(treeOf(mirror)).toEqual(mirroredTree([b]))
  })
})

describe('a move at the peer that reaches the mirror as a new file, then a deletion', () => {
  it('leaves no version in the mirror history: the bytes are in the mirror under the new name', { timeout: 60_000 }, async () => {
    const moved = Array.from({ length: 20 }, (_, i) => ({ path: `old/f${i}.txt`, content: Buffer.from(`file ${i}\n`) }))
    const lone = { path: 'lone.txt', content: Buffer.from('deleted for good\n') }
    const files: FakeFile[] = [...moved, lone]
    const { peer, mirror, receiver } = await fakePeerAndReceiver(files)
    await receiver.cli.waitFor('peer-synced', { files: files.length }, 30_000)

    // The folder renamed: its files under the new name are announced (and copied locally) first,
    // and the old names' deletions come in a later batch, with a real deletion last.
    const renamed = moved.map((f) => ({ path: f.path.replace('old/', 'new/'), content: f.content }))
    files.splice(0, files.length, ...moved, lone, ...renamed)
    peer.push(renamed.map((f) => ({ op: 'upsert' as const, ...peer.entryOf(f) })))
    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 2, 15_000, 'the new names mirrored')
    files.splice(0, files.length, ...renamed)
    peer.push([...moved, lone].map((f) => ({ op: 'delete' as const, path: f.path })))
    await receiver.cli.waitFor('file-removed', { path: lone.path }, 15_000)
    expect(treeOf(mirror)).toEqual(mirroredTree(renamed))

    // Only the real deletion is kept; the history is written a moment after its last change.
    let listed: string[] = []
    for (const deadline = Date.now() + 10_000; listed.length === 0 && Date.now() < deadline; ) {
      const result = await runCliOnce(['history', 'list', '--json', '-d', receiver.dir])
      listed = result.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { path: string }).path)
    }
    expect(listed).toEqual([lone.path])
  })
})

describe('two files or folders swapping names at the peer', () => {
  it('leave no version in the mirror history: each content is in the mirror under the other name', { timeout: 60_000 }, async () => {
    const a = Array.from({ length: 10 }, (_, i) => ({ path: `A/f${i}.txt`, content: Buffer.from(`in A ${i}\n`) }))
    const b = Array.from({ length: 10 }, (_, i) => ({ path: `B/f${i}.txt`, content: Buffer.from(`in B ${i}\n`) }))
    const lone = { path: 'lone.txt', content: Buffer.from('edited for good\n') }
    const files: FakeFile[] = [...a, ...b, lone]
    const { peer, mirror, receiver } = await fakePeerAndReceiver(files)
    await receiver.cli.waitFor('peer-synced', { files: files.length }, 30_000)

    // A and B swapped (each path now holds what the other held), then a real edit last.
    const swapped = [...a.map((f, i) => ({ path: f.path, content: b[i]!.content })), ...b.map((f, i) => ({ path: f.path, content: a[i]!.content }))]
    const edited = { path: lone.path, content: Buffer.from('the new version\n') }
    files.splice(0, files.length, ...swapped, edited)
    peer.push([...swapped, edited].map((f) => ({ op: 'upsert' as const, ...peer.entryOf(f) })))
    await receiver.cli.until(() => receiver.cli.count('peer-synced') >= 2, 15_000, 'the swap mirrored')
    expect(treeOf(mirror)).toEqual(mirroredTree(files))

    // Only the real edit's old version is kept.
    let listed: string[] = []
    for (const deadline = Date.now() + 10_000; !listed.includes(lone.path) && Date.now() < deadline; ) {
      const result = await runCliOnce(['history', 'list', '--json', '-d', receiver.dir])
      listed = result.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { path: string }).path)
    }
    expect(listed).toEqual([lone.path])
  })
})

describe('a folder moved twice in a row at the peer', () => {
  it('leaves no version in the mirror history, though the second move takes its files back from the recycler', { timeout: 60_000 }, async () => {
    const at = (folder: string): FakeFile[] => Array.from({ length: 10 }, (_, i) => ({ path: `${folder}/f${i}.txt`, content: Buffer.from(`file ${i}\n`) }))
    const lone = { path: 'lone.txt', content: Buffer.from('deleted for good\n') }
    const files: FakeFile[] = [...at('a'), lone]
    const { peer, mirror, receiver } = await fakePeerAndReceiver(files)
    await receiver.cli.waitFor('peer-synced', { files: files.length }, 30_000)
    // Placed longer ago than the recycler's window: their mtimes no longer say "just placed".
    await new Promise((resolve) => setTimeout(resolve, KEEP_MS + 1000))
    const upserts = (list: FakeFile[]): IndexChange[] => list.map((f) => ({ op: 'upsert' as const, ...peer.entryOf(f) }))
    const deletes = (list: FakeFile[]): IndexChange[] => list.map((f) => ({ op: 'delete' as const, path: f.path }))

    // a → b, new names first: b's files are copied, a's deleted files wait in the recycler.
    files.splice(0, files.length, ...at('a'), ...at('b'), lone)
    peer.push(upserts(at('b')))
    const placedIn = (folder: string): number => receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path.startsWith(`${folder}/`)).length
    await receiver.cli.until(() => placedIn('b') >= 10, 15_000, 'b mirrored')
    files.splice(0, files.length, ...at('b'), lone)
    peer.push(deletes(at('a')))
    await receiver.cli.waitFor('file-removed', { path: 'a/f9.txt' }, 15_000)
    // b → c the same way: c's files come out of the recycler (as a's, placed long ago), then b's go.
    files.splice(0, files.length, ...at('b'), ...at('c'), lone)
    peer.push(upserts(at('c')))
    await receiver.cli.until(() => placedIn('c') >= 10, 15_000, 'c mirrored')
    files.splice(0, files.length, ...at('c'))
    peer.push([...deletes(at('b')), ...deletes([lone])])
    await receiver.cli.waitFor('file-removed', { path: lone.path }, 15_000)
    expect(treeOf(mirror)).toEqual(mirroredTree(at('c')))

    let listed: string[] = []
    for (const deadline = Date.now() + 10_000; !listed.includes(lone.path) && Date.now() < deadline; ) {
      const result = await runCliOnce(['history', 'list', '--json', '-d', receiver.dir])
      listed = result.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { path: string }).path)
    }
    expect(listed).toEqual([lone.path])
  })
})
