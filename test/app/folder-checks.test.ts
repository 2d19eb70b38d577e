// The folder rules the CLI, the engine and the app's Settings share (engine/client/folder-pair.ts):
// the root or the temp folder itself is never shared (a folder inside the temp folder is), and a
// mirror folder never lies inside another mirror (its root or a peer's folder in it).
import { mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { folderProblems } from '../../src/main/app/folder-checks'
import { folderPairProblem } from '../../src/main/engine/client/folder-pair'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

/** A mirror folder an earlier client left: its state folder and one peer's folder. */
function oldMirror(): string {
  const root = path.join(tempDir('old-'), 'mirrors')
  mkdirSync(path.join(root, '.dropbox-sync'), { recursive: true })
  mkdirSync(path.join(root, 'alice-AAAQEAY'))
  return root
}

const client = (folder: string, mirrorFolder = '') => ({ ...DEFAULT_SETTINGS, role: 'client' as const, serverAddress: '127.0.0.1', folder, mirrorFolder })

describe('the shared folder', () => {
  it.each([
    ['/', 'the root folder'],
    [os.tmpdir(), "the system's temp folder"],
    [`${os.tmpdir()}${path.sep}`, "the system's temp folder"],
  ])('%s is refused: %s, everything in it shared', (folder, why) => {
    const mirror = path.join(tempDir('m-'), 'mirrors')
    expect(folderPairProblem(folder, mirror)).toMatch(new RegExp(`^the shared folder .* is ${why}: everything in it would be shared, and its churn never stops`))
    const errors = folderProblems(client(folder, mirror))
    expect(Object.keys(errors)).toEqual(['folder'])
    expect(errors.folder).toMatch(new RegExp(`^The shared folder .* is ${why}: everything in it would be shared.*\\.$`))
  })

  it('a folder inside the temp folder is fine', () => {
    const folder = tempDir('share-')
    expect(path.dirname(folder)).toBe(os.tmpdir())
    expect(folderPairProblem(folder, `${folder}-mirrors`)).toBeNull()
    expect(folderProblems(client(folder))).toEqual({})
  })
})

describe('the mirror folder', () => {
  it.each([
    ['in the root of an old mirror', (root: string) => path.join(root, 'new')],
    ["in a peer's folder of an old mirror", (root: string) => path.join(root, 'alice-AAAQEAY', 'new')],
  ])('%s is refused, naming the mirror it is in', (_where, inside) => {
    const root = oldMirror()
    const mirror = inside(root)
    const folder = tempDir('share-')
    expect(folderPairProblem(folder, mirror)).toBe(`the mirror folder ${mirror} is inside ${root}, another mirror folder (it holds .dropbox-sync); mirrors cannot nest, choose one outside it`)
    expect(folderProblems(client(folder, mirror))).toEqual({ mirrorFolder: `The mirror folder ${mirror} is inside ${root}, another mirror folder (it holds .dropbox-sync); mirrors cannot nest, choose one outside it.` })
  })

  it('deeper, its folders not made yet, is refused the same (the app first asks for the folder it would go in)', () => {
    const root = oldMirror()
    const mirror = path.join(root, 'alice-AAAQEAY', 'a', 'b')
    expect(folderPairProblem(tempDir('share-'), mirror)).toContain(`is inside ${root}, another mirror folder`)
  })

  it('the old mirror itself, or one beside it, is fine', () => {
    const root = oldMirror()
    const folder = tempDir('share-')
    expect(folderPairProblem(folder, root)).toBeNull()
    expect(folderProblems(client(folder, root))).toEqual({})
    expect(folderPairProblem(folder, `${root}-2`)).toBeNull()
  })
})
