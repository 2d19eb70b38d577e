// Blocks taken from other local files, over real files (mirror/local-takes.ts, the worker's side,
// and mirror/local-blocks.ts, the main thread's lookup): what a source holds is taken into the
// partial after its hash is checked; a source changed, gone, or reached through a planted link
// gives nothing; the lookup names the files holding a wanted file's blocks, in a mirror or the
// shared folder, and keeps only the lists some manifest names.
import { randomBytes } from 'node:crypto'
import { closeSync, copyFileSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'
import { versionOf } from '../../src/main/engine/blocks/block-plan'
import { BlockStore } from '../../src/main/engine/blocks/block-store'
import { PartialFile } from '../../src/main/engine/blocks/partial-file'
import type { LocalSource } from '../../src/main/engine/mirror/jobs'
import { worthPullingByBlocks } from '../../src/main/engine/mirror/file-receiver'
import { LocalBlocks, type SharedFolderFiles } from '../../src/main/engine/mirror/local-blocks'
import { matchLocal, matchedBytes, takeLocal } from '../../src/main/engine/mirror/local-takes'
import { MirrorManifest, SAVED_VERSIONS } from '../../src/main/engine/mirror/mirror-manifest'

const KiB = 1024
const MiB = 1024 * KiB
const B = 128 * KiB

let dir: string

beforeAll(async () => {
  await loadBlockHash()
})

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'local-takes-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Content, its version (hex) and list (hashes as one buffer). */
function file(content: Buffer) {
  const { blockSize, hashes, version } = versionOf(content)
  return { content, size: content.length, blockSize, hashes: Buffer.concat(hashes), version: version.toString('hex') }
}

/** `content` with block `index` replaced. */
function withBlockChanged(content: Buffer, index: number): Buffer {
  const changed = Buffer.from(content)
  randomBytes(100).copy(changed, index * B + 7)
  return changed
}

/** A source file at ROOT/rel, its list kept in DIR/lists. */
async function placeSource(root: string, rel: string, content: Buffer): Promise<LocalSource> {
  const at = path.join(root, ...rel.split('/'))
  mkdirSync(path.dirname(at), { recursive: true })
  writeFileSync(at, content)
  const f = file(content)
  const listDir = path.join(dir, 'lists')
  await new BlockStore(listDir).put(f.version, f.size, f.blockSize, f.hashes)
  const stats = lstatSync(root)
  return { version: f.version, size: f.size, root, rel, rootDev: stats.dev, rootIno: stats.ino, listDir }
}

/** A partial of `wanted` in a mirror folder, opened. */
async function partialOf(wanted: ReturnType<typeof file>): Promise<PartialFile> {
  const mirror = path.join(dir, 'mirror')
  mkdirSync(mirror, { recursive: true })
  const partial = new PartialFile(mirror, 'wanted.bin', Buffer.from(wanted.version, 'hex'), { size: wanted.size, blockSize: wanted.blockSize, hashes: wanted.hashes })
  await partial.open()
  return partial
}

/** Takes what `sources` hold of `wanted`; the blocks still missing after. */
async function take(wanted: ReturnType<typeof file>, sources: LocalSource[], before?: () => void): Promise<{ taken: number; missing: number[]; partial: PartialFile }> {
  const partial = await partialOf(wanted)
  const matches = await matchLocal(wanted, sources)
  before?.()
  const taken = await takeLocal(partial, matches)
  return { taken, missing: partial.missing(), partial }
}

describe('taking blocks from local files', () => {
  // 2 MiB and 5 bytes: 17 blocks of 128 KiB, the last of 5 bytes.
  const base = (): Buffer => randomBytes(2 * MiB + 5)

  it('takes every block a source holds, checked, and leaves the rest missing', async () => {
    const content = base()
    const source = await placeSource(path.join(dir, 'root'), 'sub/source.bin', content)
    const wanted = file(withBlockChanged(content, 3))
    const matches = await matchLocal(wanted, [source])
    expect(matchedBytes(wanted, matches)).toBe(wanted.size - B)
    const { taken, missing, partial } = await take(wanted, [source])
    expect(taken).toBe(16)
    expect(missing).toEqual([3])
    await partial.abandon()
  })

  it('a block changed in the source since it was listed is not taken; the others are', async () => {
    const content = base()
    const source = await placeSource(path.join(dir, 'root'), 'source.bin', content)
    const wanted = file(content)
    const { taken, missing, partial } = await take(wanted, [source], () => {
      const fd = openSync(path.join(dir, 'root', 'source.bin'), 'r+')
      writeSync(fd, randomBytes(10), 0, 10, 5 * B + 1)
      closeSync(fd)
    })
    expect(taken).toBe(16)
    expect(missing).toEqual([5])
    await partial.abandon()
  })

  it.each([
    ['gone', (root: string) => rmSync(path.join(root, 'sub', 'source.bin'))],
    ['of another size now', (root: string) => truncateSync(path.join(root, 'sub', 'source.bin'), 2 * MiB)],
    ['a link now (to a file of the same bytes)', (root: string) => {
      const file = path.join(root, 'sub', 'source.bin')
      renameSync(file, path.join(dir, 'outside.bin'))
      symlinkSync(path.join(dir, 'outside.bin'), file)
    }],
    ['reached through a folder swapped for a link to outside', (root: string) => {
      renameSync(path.join(root, 'sub'), path.join(dir, 'elsewhere'))
      symlinkSync(path.join(dir, 'elsewhere'), path.join(root, 'sub'))
    }],
    ['in a root swapped for a link to another folder holding it', (root: string) => {
      mkdirSync(path.join(dir, 'other-root', 'sub'), { recursive: true })
      copyFileSync(path.join(root, 'sub', 'source.bin'), path.join(dir, 'other-root', 'sub', 'source.bin'))
      rmSync(root, { recursive: true })
      symlinkSync(path.join(dir, 'other-root'), root)
    }],
  ])('a source %s gives nothing', async (_, change) => {
    const content = base()
    const root = path.join(dir, 'root')
    const source = await placeSource(root, 'sub/source.bin', content)
    const wanted = file(content)
    const { taken, missing, partial } = await take(wanted, [source], () => change(root))
    expect(taken).toBe(0)
    expect(missing).toHaveLength(17)
    await partial.abandon()
  })

  it('a source whose list is not kept (or not of its size) is not used', async () => {
    const content = base()
    const source = await placeSource(path.join(dir, 'root'), 'source.bin', content)
    const wanted = file(content)
    expect((await matchLocal(wanted, [{ ...source, listDir: path.join(dir, 'no-lists') }])).sources).toEqual([])
    expect((await matchLocal(wanted, [{ ...source, size: source.size + 1 }])).sources).toEqual([])
  })

  it('blocks of several sources: each from the first that holds it', async () => {
    const content = base()
    const one = await placeSource(path.join(dir, 'a'), 'one.bin', withBlockChanged(content, 0))
    const two = await placeSource(path.join(dir, 'b'), 'two.bin', withBlockChanged(content, 16))
    const wanted = file(content)
    const { taken, missing, partial } = await take(wanted, [one, two])
    expect(taken).toBe(17)
    expect(missing).toEqual([])
    const finished = await partial.finish()
    expect(versionOf((await import('node:fs')).readFileSync(finished)).version.toString('hex')).toBe(wanted.version)
  })
})

describe('when a file the mirror holds nothing of goes by blocks', () => {
  it.each([
    [0, 100, false],
    [24, 100, false],
    [25, 100, true],
    [100, 100, true],
    [0, 0, false],
  ])('%d of %d bytes held locally: %s', (local, size, byBlocks) => {
    expect(worthPullingByBlocks(local, size)).toBe(byBlocks)
  })
})

describe('the lookup (local-blocks.ts)', () => {
  // 24 MiB: 192 blocks, a list the lookup keeps.
  const big = (): Buffer => randomBytes(24 * MiB)
  let manifests: MirrorManifest[] = []

  afterEach(async () => {
    await Promise.all(manifests.map((m) => m.flush()))
    manifests = []
  })

  function mirrorAt(name: string): { ref: { ip: string; port: number; id: string; key: string; folder: string }; manifest: MirrorManifest } {
    const folder = path.join(dir, 'mirrors', name)
    mkdirSync(folder, { recursive: true })
    const manifest = new MirrorManifest(folder, path.join(dir, 'state', 'mirrors', `${name}.json`))
    manifests.push(manifest)
    return { ref: { ip: '127.0.0.1', port: 1, id: name, key: name, folder }, manifest }
  }

  it("names a mirror's file holding blocks of a wanted file, and the shared folder's", async () => {
    const mirror = mirrorAt('peer-a')
    const problems: string[] = []
    const lookup = new LocalBlocks({ stateDir: path.join(dir, 'state'), mirrors: () => [mirror], problem: (m) => problems.push(m) })
    const content = big()
    const placed = file(content)
    writeFileSync(path.join(mirror.ref.folder, 'big.bin'), content)
    mirror.manifest.set('big.bin', placed.version, placed.size, 0)
    expect(lookup.knows(placed.size)).toBe(false)
    await lookup.placed(placed.version, placed.size, { blockSize: placed.blockSize, hashes: placed.hashes })
    expect(lookup.knows(placed.size)).toBe(true)
    // A file of another block size could share no block.
    expect(lookup.knows(400 * MiB)).toBe(false)

    const edited = file(withBlockChanged(content, 100))
    const [found, ...more] = lookup.find(edited.blockSize, edited.hashes)
    expect(more).toEqual([])
    expect(found).toMatchObject({ version: placed.version, size: placed.size, root: mirror.ref.folder, rel: 'big.bin', listDir: lookup.mirrorLists.dir })
    const matches = await matchLocal(edited, [found!])
    expect(matchedBytes(edited, matches)).toBe(edited.size - B)

    // The shared folder: a file the index keeps the list of.
    const shared = path.join(dir, 'shared')
    mkdirSync(shared)
    const other = file(big())
    writeFileSync(path.join(shared, 'mine.bin'), other.content)
    const listDir = path.join(dir, 'index-blocks')
    await new BlockStore(listDir).put(other.version, other.size, other.blockSize, other.hashes)
    let indexed: { path: string; version: Buffer; size: number } | undefined = { path: 'mine.bin', version: Buffer.from(other.version, 'hex'), size: other.size }
    const folder: SharedFolderFiles = { root: shared, listDir, list: () => (indexed ? [indexed] : []), get: (rel) => (rel === indexed?.path ? indexed : undefined) }
    await lookup.attachFolder(folder)
    expect(lookup.find(other.blockSize, other.hashes)).toEqual([expect.objectContaining({ version: other.version, root: shared, rel: 'mine.bin', listDir })])
    // Changed since (the index holds another version there): not named.
    indexed = { ...indexed, version: randomBytes(32) }
    expect(lookup.find(other.blockSize, other.hashes)).toEqual([])
    // Removed from the mirror's manifest: not named either.
    mirror.manifest.delete('big.bin')
    expect(lookup.find(edited.blockSize, edited.hashes)).toEqual([])
    expect(problems).toEqual([])
    lookup.stop()
  })

  it('at start keeps the lists a manifest on disk or in memory names, learns them, and removes the rest', async () => {
    const stateDir = path.join(dir, 'state')
    const store = new BlockStore(path.join(stateDir, 'mirror-blocks'))
    const [onDisk, inMemory, gone] = [file(big()), file(big()), file(big())]
    // Put a day ago: a prune keeps what was put while it runs.
    const aDayAgo = new Date(Date.now() - 24 * 3600_000)
    for (const f of [onDisk, inMemory, gone]) {
      await store.put(f.version, f.size, f.blockSize, f.hashes)
      utimesSync(store.pathOf(f.version), aDayAgo, aDayAgo)
    }
    mkdirSync(path.join(stateDir, 'mirrors'), { recursive: true })
    writeFileSync(path.join(stateDir, 'mirrors', 'away.json'), JSON.stringify({ versions: SAVED_VERSIONS, files: { 'x.bin': { version: onDisk.version, size: onDisk.size, mtimeMs: 1 } } }))
    writeFileSync(path.join(stateDir, 'mirrors', 'torn.json'), '{"versions":')
    const mirror = mirrorAt('here')
    writeFileSync(path.join(mirror.ref.folder, 'y.bin'), inMemory.content)
    mirror.manifest.set('y.bin', inMemory.version, inMemory.size, 0)

    const lookup = new LocalBlocks({ stateDir, mirrors: () => [mirror], problem: () => {} })
    await lookup.start()
    expect(await store.has(onDisk.version)).toBe(true)
    expect(await store.has(inMemory.version)).toBe(true)
    expect(await store.has(gone.version)).toBe(false)
    expect(lookup.size).toBe(2)
    expect(lookup.find(inMemory.blockSize, inMemory.hashes).map((s) => s.rel)).toEqual(['y.bin'])
    // Known, but on no mirror loaded now: nothing to open.
    expect(lookup.find(onDisk.blockSize, onDisk.hashes)).toEqual([])

    // Removed from its mirror: the next tidy drops its list, from memory and disk.
    mirror.manifest.delete('y.bin')
    await lookup.tidy()
    lookup.stop()
    expect(lookup.size).toBe(1)
    expect(await store.has(inMemory.version)).toBe(false)
    expect(await store.has(onDisk.version)).toBe(true)
  })
})
