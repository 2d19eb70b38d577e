// The built-in ignore rules as one test of a path's names (ignore-names.ts), held to the `ignore`
// package's answers over many paths: files and folders, at every depth, names that match each
// default and names that nearly do.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { DEFAULT_IGNORES, IGNORE_FILE, ignoreRules } from '../../src/main/engine/folder/ignore-rules'
import { nameGlobSource, namePatternsTest } from '../../src/main/engine/folder/ignore-names'

const makeIgnore = createRequire(import.meta.url)('ignore') as typeof import('ignore')

/** The package's answer for `rel` under `patterns`, as the rules ask it (a folder with a trailing slash). */
function packageSays(patterns: readonly string[]): (rel: string, isFolder: boolean) => boolean {
  const matcher = makeIgnore({ ignoreCase: false, allowRelativePaths: true }).add(patterns)
  return (rel, isFolder) => matcher.ignores(isFolder ? `${rel}/` : rel)
}

/** Names that match the defaults, names near them, and ordinary ones. */
const NAMES = [
  // Plain names.
  'notes.txt', 'a', 'README', 'src', 'photo 1.jpg', 'é', '日本語.txt', 'x.y.z', '.hidden', '..dots', 'tab\there',
  // Vim's swap files and test file.
  '.notes.txt.swp', 'notes.swp', '.swp', 'swp', 'notes.swpx', 'notes.SWP', 'a.swo', '.swo', 'a.swf', '4913', '49130', '04913', '4913.txt',
  // Emacs.
  'notes.txt~', '~', '~notes', 'a~b', '#notes#', '##', '#', '#notes', 'notes#', 'a#b#', '.#notes', '.#', '.notes#', '#.#',
  // Office locks.
  '.~lock.report.odt#', '.~lock.#', '.~lock.report.odt', '~lock.report.odt#', '.~lockreport#', '~$report.docx', '~$', '$report', '~report',
  // Folder litter.
  '.DS_Store', '.DS_Store.bak', 'DS_Store', '.ds_store', 'Thumbs.db', 'thumbs.db', 'THUMBS.db', 'Thumbs.db~', 'xThumbs.db', 'Thumbsxdb',
  'desktop.ini', 'Desktop.ini', 'desktop.INI', 'desktopxini', '.Trash-1000', '.Trash-', '.Trash', '.Trashes', '.Trashes2', 'Trash-1000',
  // Downloads under way.
  'big.iso.part', '.part', 'part', 'big.iso.partial', 'big.crdownload', '.crdownload', 'crdownload', 'a.part.txt',
  '.dbs-tmp-1-0-2', '.dbs-tmp-', '.dbs-tmp', 'dbs-tmp-1', '.dbs-tmpx', 'a.dbs-tmp-1',
  // The ignore file and names like it.
  IGNORE_FILE, `${IGNORE_FILE}.bak`, 'syncignore', `${IGNORE_FILE}.123-ab.part`,
  // Characters a regular expression or a glob treats specially.
  'a.b', 'a*b', 'a?b', '[Tt]humbs.db', 'a(b)', 'a+b', 'a{1}', 'a|b', 'a^b', 'a$b', 'a\\b', '-', '!x', 'a b ',
]

describe('the defaults as one test of names', () => {
  it('translates each default, and nothing that is more than a name', () => {
    for (const pattern of DEFAULT_IGNORES) expect(nameGlobSource(pattern.replace(/^\//, '')), pattern).not.toBeNull()
    expect(namePatternsTest(DEFAULT_IGNORES)).not.toBeNull()
    const refused = ['a/b', 'build/', '**/x', 'a/**', '!x', '#comment', '[!a]x', '[a-z]x', '[abc', 'x\\', 'trailing ', '']
    for (const pattern of refused) expect(namePatternsTest([pattern]), pattern).toBeNull()
  })

  it('answers as the package does for every name at every depth, as a file and as a folder, and for every path below it', () => {
    const fast = namePatternsTest(DEFAULT_IGNORES)!
    const said = packageSays(DEFAULT_IGNORES)
    const checked: string[] = []
    for (const name of NAMES) {
      const paths = [name, `a/${name}`, `${name}/a`, `a/b/${name}`, `a/${name}/b`, `${name}/b/c.txt`, `${name}/${name}`, `${IGNORE_FILE}/${name}`]
      for (const rel of paths) {
        for (const isFolder of [false, true]) {
          checked.push(rel)
          expect(fast(rel), `${rel}${isFolder ? '/' : ''}`).toBe(said(rel, isFolder))
        }
      }
    }
    // Both answers were met: the table is no row of misses.
    expect(checked.filter((rel) => fast(rel)).length).toBeGreaterThan(100)
    expect(checked.filter((rel) => !fast(rel)).length).toBeGreaterThan(100)
  })

  it('answers as the package does for other name patterns it translates, the root-anchored among them', () => {
    const patternSets = [
      ['*.log', '/todo.txt', '?x', 'a?c', '[Ab]c', '\\#x', '\\!y', 'a.b', '/*.tmp', 'x*y*z', '*~', '*.a$'],
      ['*'],
      ['/only-root'],
      [],
    ]
    const names = ['x.log', '.log', 'log', 'todo.txt', 'ax', 'x', 'abc', 'a/c', 'Ac', 'bc', 'cc', '#x', '!y', 'a.b', 'axb', 'q.tmp', 'xyz', 'x-y-z', 'xz', 'only-root', 'y', 'x~', 'x.log~', 'x.a$', 'x.a', '.a$']
    for (const patterns of patternSets) {
      const fast = namePatternsTest(patterns)!
      const said = packageSays(patterns)
      for (const name of names) {
        for (const rel of [name, `d/${name}`, `${name}/f`, `d/${name}/f`]) {
          for (const isFolder of [false, true]) expect(fast(rel), `${JSON.stringify(patterns)} ${rel}${isFolder ? '/' : ''}`).toBe(said(rel, isFolder))
        }
      }
    }
  })

  it('is what the rules ask where there is no ignore file, and the package where there is one', async () => {
    const defaults = await ignoreRules(null)
    const withFile = await ignoreRules('!*.swp\n')
    expect(defaults.ignores('a/.notes.txt.swp', false)).toBe(true)
    expect(withFile.ignores('a/.notes.txt.swp', false)).toBe(false)
    const said = packageSays(DEFAULT_IGNORES)
    for (const name of NAMES) for (const rel of [name, `a/${name}`]) expect(defaults.ignores(rel, true), rel).toBe(said(rel, true))
  })
})
