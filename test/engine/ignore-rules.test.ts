// The rules of `.syncignore`, without a process: gitignore syntax through the `ignore` package,
// built-in defaults first (so a `!` line overrides one), and a bad file never changing the rules.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_IGNORES, IGNORE_FILE, ignoreRules, lookAtIgnoreFile, MAX_IGNORE_FILE_BYTES, readIgnoreFile } from '../../src/main/engine/folder/ignore-rules'
import { TEMP_PREFIX } from '../../src/main/engine/mirror/mirror-path'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

/** [file's text (null: no file), path, is a folder, ignored] */
type Row = [string | null, string, boolean, boolean]

const TABLE: Row[] = [
  // The defaults: editor swap and temp files, system litter, partial downloads, anywhere.
  [null, 'notes.txt', false, false],
  [null, 'a/.notes.txt.swp', false, true],
  [null, 'a/b/notes.txt~', false, true],
  [null, '.#notes.txt', false, true],
  [null, '#notes.txt#', false, true],
  [null, 'docs/4913', false, true],
  [null, '.~lock.report.odt#', false, true],
  [null, '~$report.docx', false, true],
  [null, 'photos/.DS_Store', false, true],
  [null, 'photos/Thumbs.db', false, true],
  [null, 'desktop.ini', false, true],
  [null, 'Desktop.ini', false, true],
  [null, '.Trash-1000', true, true],
  [null, '.Trash-1000/files/x.txt', false, true],
  [null, 'big.iso.part', false, true],
  [null, 'big.iso.crdownload', false, true],
  [null, 'photos/.dbs-tmp-4242-0-7', false, true],
  [null, '.dbs-tmp-part-ab12', false, true],
  [null, IGNORE_FILE, false, true],
  // Only the defaults' own names: similar ones are shared.
  [null, 'swp', false, false],
  [null, 'notes.swf', false, false],
  [null, '49130', false, false],
  [null, 'part', false, false],
  [null, 'dbs-tmp-1', false, false],
  [null, 'a/.syncignore', false, false],
  // `!` overrides a default, since the file's lines come after the defaults.
  ['!*.swp\n', 'a/.notes.txt.swp', false, false],
  ['!.DS_Store\n', 'photos/.DS_Store', false, false],
  ['!/.syncignore\n', IGNORE_FILE, false, false],
  ['!*.swp\n', 'a/notes.txt~', false, true],
  // Folder patterns match folders (asked with isFolder) and all below them, not files of that name.
  ['build/\n', 'build', true, true],
  ['build/\n', 'build', false, false],
  ['build/\n', 'build/out/app.js', false, true],
  ['build/\n', 'src/build', true, true],
  ['build/\n', 'src/build/x.o', false, true],
  ['node_modules/\n', 'web/node_modules', true, true],
  // Anchored to the root with a leading slash.
  ['/todo.txt\n', 'todo.txt', false, true],
  ['/todo.txt\n', 'a/todo.txt', false, false],
  ['/out/\n', 'out', true, true],
  ['/out/\n', 'a/out', true, false],
  // A slash inside anchors too; `**` spans any number of folders.
  ['a/**/b\n', 'a/b', false, true],
  ['a/**/b\n', 'a/x/y/b', true, true],
  ['a/**/b\n', 'c/a/x/b', false, false],
  ['docs/*.pdf\n', 'docs/x.pdf', false, true],
  ['docs/*.pdf\n', 'docs/sub/x.pdf', false, false],
  // A file inside an ignored folder cannot be brought back (as git says).
  ['logs/\n!logs/keep.txt\n', 'logs/keep.txt', false, true],
  ['logs/*\n!logs/keep.txt\n', 'logs/keep.txt', false, false],
  ['logs/*\n!logs/keep.txt\n', 'logs/other.txt', false, true],
  // Unicode names, names with spaces (a trailing space only when escaped), comments, CRLF.
  ['日本語/\n', '日本語', true, true],
  ['日本語/\n', 'a/日本語/ファイル.txt', false, true],
  ['ünïcödé*.txt\n', 'x/ünïcödé 1.txt', false, true],
  ['my notes.txt\n', 'my notes.txt', false, true],
  ['my notes.txt\n', 'my  notes.txt', false, false],
  ['ends with space\\ \n', 'ends with space ', false, true],
  ['ends with space \n', 'ends with space', false, true],
  ['# a comment\n\\#literal\n', '# a comment', false, false],
  ['# a comment\n\\#literal\n', '#literal', false, true],
  ['*.log\r\nbuild/\r\n', 'a.log', false, true],
  ['*.log\r\nbuild/\r\n', 'build', true, true],
  // Case counts, as in git on Linux.
  ['*.LOG\n', 'a.log', false, false],
  ['*.LOG\n', 'a.LOG', false, true],
  // Everything, if the user says so; an empty file is the defaults alone.
  ['*\n', 'a', false, true],
  ['', 'notes.txt', false, false],
  ['', 'x.swp', false, true],
]

describe('ignore rules', () => {
  it.each(TABLE)('with %j: %j (folder: %s) is ignored: %s', async (text, rel, isFolder, ignored) => {
    const rules = await ignoreRules(text)
    expect(rules.ignores(rel, isFolder)).toBe(ignored)
  })

  it('answers the same for paths asked many times over (its cache is bounded, not wrong)', async () => {
    const rules = await ignoreRules('*.log\n')
    const wrong: number[] = []
    // Past the answers it keeps (50,000), twice over, and each path asked again later.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 120_000; i++) if (rules.ignores(`d${i % 50}/f${i}.${i % 2 ? 'log' : 'txt'}`, false) !== (i % 2 === 1)) wrong.push(i)
    }
    expect(wrong).toEqual([])
  })

  it("leaves out the receiver's own temp and partial files by their prefix, whatever it is", () => {
    expect(DEFAULT_IGNORES).toContain(`${TEMP_PREFIX}*`)
  })

  it('tells a folder from a file of the same name', async () => {
    const rules = await ignoreRules('build/\n')
    expect(rules.ignores('build', false)).toBe(false)
    expect(rules.ignores('build', true)).toBe(true)
    expect(rules.ignores('build', false)).toBe(false)
  })
})

describe('reading .syncignore', () => {
  /** [what is at .syncignore, what readIgnoreFile says] */
  const files: Array<[string, (root: string) => void, string | RegExp | null]> = [
    ['no file', () => {}, null],
    ['a file', (root) => writeFileSync(path.join(root, IGNORE_FILE), '*.log\n'), '*.log\n'],
    ['a byte order mark', (root) => writeFileSync(path.join(root, IGNORE_FILE), '\uFEFF*.log\n'), '*.log\n'],
    ['bytes that are not UTF-8', (root) => writeFileSync(path.join(root, IGNORE_FILE), Buffer.from([0x2a, 0x2e, 0xff, 0xfe, 0x0a])), /not valid UTF-8/],
    ['too large', (root) => writeFileSync(path.join(root, IGNORE_FILE), Buffer.alloc(MAX_IGNORE_FILE_BYTES + 1, 'a')), /larger than 1 MiB/],
    ['a folder', (root) => mkdirSync(path.join(root, IGNORE_FILE)), /not a regular file/],
    ['a link', (root) => {
      writeFileSync(path.join(root, 'elsewhere'), '*\n')
      symlinkSync('elsewhere', path.join(root, IGNORE_FILE))
    }, /link/],
  ]

  it.each(files)('%s', (_what, make, want) => {
    const root = tempDir('ignore-')
    make(root)
    const got = readIgnoreFile(root)
    if (want === null) expect(got).toBe('absent')
    else if (typeof want === 'string') expect(got).toEqual({ text: want })
    else expect(got).toMatchObject({ problem: expect.stringMatching(want) })
  })
})

describe('the stamp of a look at .syncignore', () => {
  it('is the same while the file is, and changes with a write, a replacement or its removal', () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    expect(lookAtIgnoreFile(root).stamp).toBe('absent')
    writeFileSync(file, '*.log\n')
    const first = lookAtIgnoreFile(root).stamp
    expect(first).not.toBeNull()
    expect(lookAtIgnoreFile(root).stamp).toBe(first)
    writeFileSync(file, '*.log\nbuild/\n')
    const second = lookAtIgnoreFile(root).stamp
    expect(second).not.toBe(first)
    writeFileSync(file, Buffer.alloc(MAX_IGNORE_FILE_BYTES + 1, 'a'))
    expect(lookAtIgnoreFile(root)).toMatchObject({ read: { problem: expect.stringMatching(/larger/) }, stamp: expect.any(String) })
    expect(lookAtIgnoreFile(root).stamp).not.toBe(second)
  })
})
