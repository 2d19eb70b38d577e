// How the mirror learns how its disk treats names (mirror/disk-names.ts): the folds, the refused
// characters, and the probes asked of a real disk that takes every name (the temp folder) and of
// one that folds case and refuses characters (exFAT on a loop device).
import { readdirSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { CHARACTERS_TO_ASK, nameFold, probeDiskFolds, probeRefusedCharacters, refusedNameProblem } from '../../src/main/engine/folder/disk-names'
import { canMount, mountedExfat, unmountAll } from '../helpers/mount'
import { fileTempDir } from '../helpers/temp'

afterAll(() => unmountAll())

describe('nameFold', () => {
  it.each([
    // [folds case, folds normalization, a, b, one file there]
    [false, false, 'README.md', 'Readme.md', false],
    [true, false, 'README.md', 'Readme.md', true],
    [true, false, 'Dir/a.txt', 'DIR/A.TXT', true],
    [true, false, 'e\u0301.txt', '\u00e9.txt', false],
    [false, true, 'e\u0301.txt', '\u00e9.txt', true],
    [false, true, 'A.txt', 'a.txt', false],
    [true, true, 'E\u0301/x', '\u00e9/X', true],
    [true, true, 'a/b', 'a/c', false],
  ])('case %s, unicode %s: %j and %j one file: %s', (foldsCase, unicode, a, b, same) => {
    const fold = nameFold({ case: foldsCase, unicode })
    const fa = fold ? fold(a) : a
    const fb = fold ? fold(b) : b
    expect(fa === fb).toBe(same)
    if (!foldsCase && !unicode) expect(fold).toBeNull()
  })
})

describe('refusedNameProblem', () => {
  const windowsChars = ':*?"<>|' + Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('')
  it.each<[string, string, boolean, string | null]>([
    // [path, characters refused, Windows' rules, the problem]
    ['what?.txt', '', false, null],
    ['what?.txt', windowsChars, false, 'this disk refuses ? in a name'],
    ['a/b"c"/d|e.txt', windowsChars, false, 'this disk refuses " | in a name'],
    ['tab\there', windowsChars, false, 'this disk refuses U+0009 in a name'],
    ['plain/name.txt', windowsChars, true, null],
    ['what?.txt', ':', false, null],
    ['src/aux.c', windowsChars, false, null],
    ['src/aux.c', windowsChars, true, 'aux.c is a device name on Windows'],
    ['CON', '', true, 'CON is a device name on Windows'],
    ['x/com1.tar.gz', '', true, 'com1.tar.gz is a device name on Windows'],
    ['lpt\u00b9', '', true, 'lpt\u00b9 is a device name on Windows'],
    ['console.log', '', true, null],
    ['com10', '', true, null],
    ['notes./a.txt', '', true, 'Windows drops the dot or space that ends "notes."'],
    ['a/b ', '', true, 'Windows drops the dot or space that ends "b "'],
    ['.hidden', '', true, null],
  ])('%j (refusing %j, Windows %s): %s', (rel, refused, windows, problem) => {
    expect(refusedNameProblem(rel, { refused, windows })).toBe(problem)
  })
})

describe('the probes', () => {
  it('find that the temp folder tells every name apart and takes every character, and leave nothing behind', () => {
    const dir = fileTempDir('fold-')
    expect(probeDiskFolds(dir)).toEqual({ case: false, unicode: false })
    expect(probeRefusedCharacters(dir)).toBe('')
    expect(readdirSync(dir)).toEqual([])
  })

  it.skipIf(!canMount('exfat'))('find that an exFAT disk folds case and refuses :*?"<>| and control characters, and leave nothing behind', () => {
    const dir = mountedExfat()!
    expect(probeDiskFolds(dir)).toEqual({ case: true, unicode: false })
    const refused = probeRefusedCharacters(dir)
    for (const char of CHARACTERS_TO_ASK) expect(refused).toContain(char)
    expect(refused).toContain('\t')
    expect(readdirSync(dir)).toEqual([])
  })
})
