// Which indexed files a batch of re-checks proves gone.
import { describe, expect, it } from 'vitest'
import { FileTable } from '../../src/main/engine/folder/file-table'
import { pathsGone } from '../../src/main/engine/folder/gone-paths'

const indexed = ['a.txt', 'd/b.txt', 'd/e/c.txt', 'dd/f.txt', 'm/g.txt']

async function goneOf(looked: { gone?: string[]; walked?: string[]; found?: string[]; unread?: string[] }): Promise<string[]> {
  const files = new FileTable<number>()
  for (const rel of indexed) files.set(rel, 1)
  const sets = { gone: new Set(looked.gone), walked: new Set(looked.walked), found: new Set(looked.found), unread: new Set(looked.unread) }
  const out: string[] = []
  for await (const rel of pathsGone(files, sets)) out.push(rel)
  return out
}

describe('paths gone', () => {
  it.each<[string, Parameters<typeof goneOf>[0], string[]]>([
    ['nothing looked at', {}, []],
    ['a folder gone takes what lay below it, not a folder of a longer name', { gone: ['d'] }, ['d/b.txt', 'd/e/c.txt']],
    ['the whole folder gone', { gone: [''] }, indexed],
    ['a folder gone but one file in it seen again', { gone: ['d'], found: ['d/b.txt'] }, ['d/e/c.txt']],
    ['a folder gone, a folder below it unread', { gone: ['d'], unread: ['d/e'] }, ['d/b.txt']],
    ['a folder read again, all found', { walked: ['d'], found: ['d/b.txt', 'd/e/c.txt'] }, []],
    ['a folder read again, one not found', { walked: ['d'], found: ['d/b.txt'] }, ['d/e/c.txt']],
    ['a folder read again, one not found but unread', { walked: ['d'], found: ['d/b.txt'], unread: ['d/e'] }, []],
    ['the whole folder read again', { walked: [''], found: ['a.txt', 'd/b.txt', 'dd/f.txt'] }, ['d/e/c.txt', 'm/g.txt']],
    ['the whole folder read again, a held mount point unread', { walked: [''], found: ['a.txt', 'd/b.txt', 'd/e/c.txt', 'dd/f.txt'], unread: ['m'] }, []],
  ])('%s', async (_what, looked, gone) => {
    expect(await goneOf(looked)).toEqual(gone)
  })
})
