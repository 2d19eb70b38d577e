// What the app lets a user save as `.syncignore` (src/shared/ignore-patterns.ts), judged against
// the `ignore` package itself: every line named as skipped is one the package makes no rule of,
// and every line let through is one it uses.
import ignore from 'ignore'
import { describe, expect, it } from 'vitest'
import { ignoreLineProblems, ignoreTextProblem, MAX_IGNORE_EDIT_BYTES } from '../../src/shared/ignore-patterns'

/** [line, a path the line would match (or re-include) if it were used, skipped by the package] */
type Row = [string, string, boolean]

const LINES: Row[] = [
  ['build/', 'build/', false],
  ['*.log', 'a/x.log', false],
  ['/todo.txt', 'todo.txt', false],
  ['!keep.log', 'keep.log', false],
  // A lone `!`, with or without trailing spaces, re-includes nothing.
  ['!', 'x', true],
  ['!   ', 'x', true],
  // A trailing backslash escapes nothing; two are one literal backslash.
  ['foo\\', 'foo', true],
  ['!foo\\', 'foo', true],
  ['foo\\\\', 'foo\\', false],
  ['foo\\\\\\', 'foo\\', true],
  // A space escaped by a backslash stays (trailing spaces after it are trimmed), and is a pattern.
  ['foo\\ ', 'foo ', false],
  ['foo\\   ', 'foo ', false],
  ['foo  ', 'foo', false],
  ['\\#hash', '#hash', false],
  ['\\!bang', '!bang', false],
]

describe('lines the ignore rules skip', () => {
  it.each(LINES)('%j: skipped %s, as the ignore package has it', (line, probe, skipped) => {
    expect(ignoreLineProblems(line).length > 0).toBe(skipped)
    // The package's own answer: a skipped positive line ignores nothing, a skipped `!` line re-includes nothing.
    if (line.startsWith('!')) expect(ignore().add(['*', line]).ignores(probe)).toBe(skipped)
    else expect(ignore().add(line).ignores(probe)).toBe(!skipped)
  })

  it('lets blank lines and comments be, and counts lines from 1 across CRLF and a BOM', () => {
    expect(ignoreLineProblems('')).toEqual([])
    expect(ignoreLineProblems('# a comment\n\n   \n#!\n')).toEqual([])
    expect(ignoreLineProblems('\uFEFF!\r\nok\r\nbad\\\r\n')).toEqual([
      { line: 1, text: '\uFEFF!', why: 'is a "!" with no pattern after it' },
      { line: 3, text: 'bad\\', why: 'ends in a backslash that escapes nothing' },
    ])
  })
})

describe('the one message a save gets', () => {
  it('is null for patterns that all work', () => {
    expect(ignoreTextProblem('build/\n*.log\n!keep.log\n# note\n')).toBeNull()
  })

  it('names each skipped line with its number and its text as typed (a backslash is not doubled)', () => {
    expect(ignoreTextProblem('ok\n!\n')).toBe('Line 2 ("!") is a "!" with no pattern after it: the ignore rules skip such a line, so it ignores nothing. Fix it or take it out.')
    expect(ignoreTextProblem('a\\\n!\n')).toBe(
      'Line 1 ("a\\") ends in a backslash that escapes nothing; line 2 ("!") is a "!" with no pattern after it: the ignore rules skip such lines, so they ignore nothing. Fix them or take them out.',
    )
  })

  it('names five lines and counts the rest', () => {
    const message = ignoreTextProblem(Array.from({ length: 8 }, () => '!').join('\n'))
    expect(message).toMatch(/^Line 1 .*; line 5 \("!"\) is a "!" with no pattern after it; and 3 more: the ignore rules skip such lines/)
  })

  it('refuses more than 256 KiB, counted in UTF-8 bytes', () => {
    expect(ignoreTextProblem('a'.repeat(MAX_IGNORE_EDIT_BYTES))).toBeNull()
    expect(ignoreTextProblem('a'.repeat(MAX_IGNORE_EDIT_BYTES + 1))).toBe(
      'The patterns take 257 KiB; at most 256 KiB can be saved. A folder pattern such as build/ covers everything below it.',
    )
    // Two bytes each: half as many characters are already too many.
    expect(ignoreTextProblem('é'.repeat(MAX_IGNORE_EDIT_BYTES / 2 + 1))).toMatch(/^The patterns take 257 KiB/)
  })
})
