// How the mirror learns that its disk folds names (mirror/name-fold.ts): the folds themselves, and
// the probe asked of a real disk that tells names apart (the temp folder) and of one that folds
// case (exFAT on a loop device).
import { readdirSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { nameFold, probeDiskFolds } from '../../src/main/engine/mirror/name-fold'
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

describe('probeDiskFolds', () => {
  it('finds that the temp folder tells every name apart, and leaves nothing behind', () => {
    const dir = fileTempDir('fold-')
    expect(probeDiskFolds(dir)).toEqual({ case: false, unicode: false })
    expect(readdirSync(dir)).toEqual([])
  })

  it.skipIf(!canMount('exfat'))('finds that an exFAT disk folds case, and leaves nothing behind', () => {
    const dir = mountedExfat()!
    expect(probeDiskFolds(dir)).toEqual({ case: true, unicode: false })
    expect(readdirSync(dir)).toEqual([])
  })
})
