// The walk of a shared folder over real trees: what it yields, what it passes over, what it
// reports as not shareable, and what it could not read.
import { chmodSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { identityOf } from '../../src/main/engine/folder/folder-identity'
import { holdsAShareableFile, walkFolder, type WalkRules } from '../../src/main/engine/folder/folder-walk'
import { InsideFolder } from '../../src/main/engine/folder/open-inside'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

interface Walked {
  files: string[]
  ignored: number
  unshareable: string[]
  unread: string[]
}

/** `tree`: paths to make (a trailing / makes a folder; `->` a link to the path after it). */
function make(tree: string[]): string {
  const root = tempDir('walk-')
  for (const entry of tree) {
    const [name = '', target] = entry.split(' -> ')
    const abs = path.join(root, name)
    mkdirSync(path.dirname(abs), { recursive: true })
    if (target !== undefined) symlinkSync(target.replace('ROOT', root), abs)
    else if (name.endsWith('/')) mkdirSync(abs, { recursive: true })
    else writeFileSync(abs, name)
  }
  return root
}

function rulesFor(root: string, ignored: string[], walked: Walked): WalkRules {
  return {
    inside: new InsideFolder(root, () => identityOf(lstatSync(root))),
    ignores: (rel) => ignored.includes(rel),
    ignored: () => walked.ignored++,
    unshareable: (rel) => walked.unshareable.push(rel),
  }
}

async function walk(root: string, ignored: string[] = [], prefix = ''): Promise<Walked> {
  const walked: Walked = { files: [], ignored: 0, unshareable: [], unread: [] }
  const unread = new Set<string>()
  for await (const [rel, stats] of walkFolder(rulesFor(root, ignored, walked), path.join(root, prefix), prefix, unread)) {
    // Each file holds its own path: its stats are its own.
    expect(stats.size).toBe(Buffer.byteLength(rel))
    walked.files.push(rel)
  }
  walked.files.sort()
  walked.unread = [...unread]
  return walked
}

describe('folder walk', () => {
  it.each<[string, string[], string[], Partial<Walked>]>([
    ['an empty folder', [], [], { files: [], ignored: 0 }],
    ['files at every depth', ['a.txt', 'd/b.txt', 'd/e/c.txt', 'empty/'], [], { files: ['a.txt', 'd/b.txt', 'd/e/c.txt'] }],
    ['an ignored file and an ignored folder, not looked into', ['a.txt', 'x.tmp', 'node_modules/m/i.js'], ['x.tmp', 'node_modules'], { files: ['a.txt'], ignored: 2 }],
    ['links are neither followed nor yielded', ['a.txt', 'link.txt -> a.txt', 'out -> /etc', 'dir -> ROOT'], [], { files: ['a.txt'], ignored: 0 }],
    ['a name peers cannot use is reported, not yielded', ['a.txt', 'b:c.txt'], [], { files: ['a.txt'], unshareable: ['b:c.txt'] }],
  ])('%s', async (_what, tree, ignored, expected) => {
    const walked = await walk(make(tree), ignored)
    expect(walked).toMatchObject({ unshareable: [], unread: [], ...expected })
  })

  it('walks from a folder inside, naming files from the shared folder', async () => {
    const root = make(['a.txt', 'd/b.txt', 'd/e/c.txt'])
    expect((await walk(root, [], 'd')).files).toEqual(['d/b.txt', 'd/e/c.txt'])
  })

  it.runIf(process.getuid?.() !== 0)('a folder that cannot be read is unread, and said: it proves nothing gone', async () => {
    const root = make(['a.txt', 'locked/b.txt'])
    chmodSync(path.join(root, 'locked'), 0o000)
    try {
      expect(await walk(root)).toMatchObject({ files: ['a.txt'], unread: ['locked'], unshareable: ['locked'] })
    } finally {
      chmodSync(path.join(root, 'locked'), 0o755)
    }
  })

  it.each<[string, string[], string[], boolean]>([
    ['an empty folder', [], [], false],
    ['only empty folders', ['a/', 'b/c/'], [], false],
    ['only links', ['l -> /etc/hostname'], [], false],
    ['only ignored files', ['x.tmp'], ['x.tmp'], false],
    ['one file deep down', ['a/b/c/d.txt'], [], true],
  ])('holds a shareable file: %s', async (_what, tree, ignored, holds) => {
    const root = make(tree)
    const walked: Walked = { files: [], ignored: 0, unshareable: [], unread: [] }
    expect(await holdsAShareableFile(rulesFor(root, ignored, walked), root)).toBe(holds)
  })
})
