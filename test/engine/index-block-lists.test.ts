// The shared folder's block lists (folder/block-lists.ts) through a real index over real files:
// big files' lists kept on disk as hashed, smaller ones hashed when asked, a changed file refused.
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { blockCount, fileVersion, versionOf } from '../../src/main/engine/blocks/block-plan'
import { identityOf } from '../../src/main/engine/folder/folder-identity'
import { InsideFolder } from '../../src/main/engine/folder/open-inside'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { hashAt } from '../../src/main/engine/blocks/block-store'
import { IndexBlockLists, STORED_MIN_BLOCKS } from '../../src/main/engine/folder/block-lists'
import { EventLog } from '../helpers/events'
import { removeTempDirs, tempDir } from '../helpers/temp'

const KiB = 1024
const open: FolderIndex[] = []

afterEach(async () => {
  for (const index of open.splice(0)) await index.close()
  removeTempDirs()
})

function storedEntries(state: string): string[] {
  const dir = `${state.replace(/\.json$/, '')}-blocks`
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /^[0-9a-f]{64}$/.test(d.name))
    .map((d) => d.name)
}

describe('the index’s block lists', () => {
  it('keeps big files’ lists as it hashes them, hashes smaller ones when asked, and every list proves its version', async () => {
    const root = tempDir('index-')
    const state = path.join(tempDir('state-'), 'index.json')
    const big = randomBytes((STORED_MIN_BLOCKS + 2) * 128 * KiB)
    const small = randomBytes(3 * 128 * KiB - 7)
    writeFileSync(path.join(root, 'big.bin'), big)
    writeFileSync(path.join(root, 'small.bin'), small)
    writeFileSync(path.join(root, 'tiny.txt'), 'tiny')
    const old = new Date(Date.now() - 60_000)
    for (const name of ['big.bin', 'small.bin', 'tiny.txt']) utimesSync(path.join(root, name), old, old)
    const log = new EventLog()
    const index = new FolderIndex(root, state, log.sink)
    open.push(index)
    await index.open()
    // Written in the background as the file is hashed.
    for (const deadline = Date.now() + 10_000; storedEntries(state).length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20))
    expect(storedEntries(state)).toEqual([index.get('big.bin')!.version.toString('hex')])

    for (const [name, content] of [['big.bin', big], ['small.bin', small], ['tiny.txt', Buffer.from('tiny')]] as const) {
      const list = await index.served.blockList(name)
      if (!list || list === 'changed') throw new Error(`no list for ${name}`)
      const count = blockCount(list.size, list.blockSize)
      expect(list.size).toBe(content.length)
      const hashes = Array.from({ length: count }, (_, i) => hashAt(list, i))
      expect(fileVersion(list.size, list.blockSize, hashes).equals(index.get(name)!.version)).toBe(true)
    }
    expect(await index.served.blockList('no-such-file')).toBeNull()
    expect(log.count('error')).toBe(0)
  })

  it('says a file whose list is not at hand and that is no longer its indexed version has changed', async () => {
    const root = tempDir('index-')
    const content = randomBytes(300 * KiB)
    writeFileSync(path.join(root, 'small.bin'), content)
    const identity = identityOf(statSync(root))
    const lists = new IndexBlockLists(path.join(tempDir('state-'), 'blocks'), new InsideFolder(root, () => identity), (message) => {
      throw new Error(message)
    })
    const indexed = { path: 'small.bin', version: versionOf(content).version, size: content.length }
    const list = await lists.listOf(indexed)
    expect(list !== 'changed' && list.size).toBe(content.length)
    // Another file of the same size behind it: hashed again (its list is not kept), and not that version.
    writeFileSync(path.join(root, 'small.bin'), randomBytes(300 * KiB))
    const other = { ...indexed, version: randomBytes(32) }
    expect(await lists.listOf(other)).toBe('changed')
  })

  it('has a file that changed behind the index’s back looked at again when asked for its list', async () => {
    const root = tempDir('index-')
    const state = path.join(tempDir('state-'), 'index.json')
    writeFileSync(path.join(root, 'small.bin'), randomBytes(300 * KiB))
    const old = new Date(Date.now() - 60_000)
    utimesSync(path.join(root, 'small.bin'), old, old)
    const index = new FolderIndex(root, state, new EventLog().sink)
    open.push(index)
    await index.open()
    const before = index.get('small.bin')!.version
    writeFileSync(path.join(root, 'small.bin'), randomBytes(300 * KiB))
    // The list of the version indexed (at hand since it was hashed), or 'changed': never the new bytes'.
    const list = await index.served.blockList('small.bin')
    expect(list === 'changed' || (list !== null && list.size === 300 * KiB)).toBe(true)
    for (const deadline = Date.now() + 10_000; index.get('small.bin')!.version.equals(before) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20))
    expect(index.get('small.bin')!.version.equals(before)).toBe(false)
  })
})
