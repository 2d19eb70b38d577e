// MirrorTally (mirror/mirror-tally.ts): the counters kept as the manifest, the peer's list and the
// refused versions change equal a recount (mirrorFigures, their definition) after every step of
// random sequences of those changes, and after named cases.
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { nameFold } from '../../src/main/engine/folder/disk-names'
import { ListedFiles } from '../../src/main/engine/mirror/listed-files'
import { MirrorManifest } from '../../src/main/engine/mirror/mirror-manifest'
import { mirrorFigures } from '../../src/main/engine/mirror/mirror-stats'
import { MirrorTally } from '../../src/main/engine/mirror/mirror-tally'
import { PathRecords } from '../../src/main/engine/mirror/path-records'
import { removeTempDirs, tempDir } from '../helpers/temp'

const manifests: MirrorManifest[] = []
const foldCase = nameFold({ case: true, unicode: false })

afterEach(async () => {
  for (const manifest of manifests.splice(0)) await manifest.flush()
  removeTempDirs()
})

function peer(fold = false) {
  const manifest = new MirrorManifest(tempDir('mirror-'), path.join(tempDir('state-'), 'm.json'), fold ? foldCase : null)
  manifests.push(manifest)
  const paths = new PathRecords()
  const tally = new MirrorTally(manifest.files, paths.refused, [manifest, paths])
  return { manifest, paths, tally }
}

/** The whole definition: the walk the synced check did before the counters. */
function walkMatches(mirrored: ReadonlyMap<string, { version: string }>, list: ReadonlyMap<string, { version: string }>): boolean {
  if (mirrored.size !== list.size) return false
  for (const [rel, want] of list) if (mirrored.get(rel)?.version !== want.version) return false
  return true
}

/** A small deterministic generator (mulberry32): a failing seed replays. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('MirrorTally', () => {
  it('a new list is counted once, then each change to it, to the mirror and to a refusal is followed', () => {
    const { manifest, paths, tally } = peer()
    manifest.set('a', 'v1', 10, 1)
    manifest.set('gone', 'v9', 7, 1)
    expect(tally.figures(null, false)).toEqual({ files: 2, bytes: 17, peerFiles: null, peerBytes: null, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 })
    const list = new ListedFiles()
    list.set('a', { path: 'a', version: 'v1', size: 10 })
    list.set('b', { path: 'b', version: 'v2', size: 5 })
    // Still arriving: what is to come so far, nothing about what is to go.
    expect(tally.figures(list, false)).toMatchObject({ needFiles: 1, needBytes: 5, removeFiles: 0, peerFiles: null })
    expect(tally.figures(list, true)).toMatchObject({ peerFiles: 2, peerBytes: 15, needFiles: 1, removeFiles: 1 })
    paths.refuse('b', 'v2')
    expect(tally.figures(list, true)).toMatchObject({ needFiles: 0, failedFiles: 1 })
    list.set('b', { path: 'b', version: 'v3', size: 6 })
    expect(tally.figures(list, true)).toMatchObject({ needFiles: 1, needBytes: 6, failedFiles: 0, peerBytes: 16 })
    manifest.set('b', 'v3', 6, 2)
    manifest.delete('gone')
    expect(tally.matches(list)).toBe(true)
    expect(tally.figures(list, true)).toEqual({ files: 2, bytes: 16, peerFiles: 2, peerBytes: 16, needFiles: 0, needBytes: 0, removeFiles: 0, failedFiles: 0 })
    // A list no longer followed changes nothing.
    const next = new ListedFiles()
    expect(tally.figures(next, true)).toMatchObject({ removeFiles: 2, peerFiles: 0 })
    list.delete('a')
    expect(tally.figures(next, true)).toMatchObject({ removeFiles: 2, peerFiles: 0 })
  })

  for (const fold of [false, true]) {
    it(`equals a recount after every step of random changes${fold ? ', on a disk that folds names' : ''}`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const next = random(seed * (fold ? 7919 : 1))
        const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
        const { manifest, paths, tally } = peer(fold)
        const names = fold ? ['a', 'A', 'b', 'd/c', 'D/c', 'd/e'] : ['a', 'b', 'c', 'd/e', 'd/f', 'g/h/i']
        const versions = ['v1', 'v2', 'v3']
        let list: ListedFiles | null = null
        let complete = false
        const lists: ListedFiles[] = []
        for (let step = 0; step < 300; step++) {
          const roll = next()
          const rel = pick(names)
          const version = pick(versions)
          const size = version.length + Math.floor(next() * 100)
          if (roll < 0.25) manifest.set(rel, version, size, step)
          else if (roll < 0.35) manifest.delete(rel)
          else if (roll < 0.55) list?.set(rel, { path: rel, version, size })
          else if (roll < 0.62) list?.delete(rel)
          else if (roll < 0.7) paths.refuse(rel, list?.get(rel)?.version ?? version)
          else if (roll < 0.75) paths.forget(rel, 'refused')
          else if (roll < 0.77) paths.forgetAll('refused')
          else if (roll < 0.8) paths.setPending(rel, version)
          else if (roll < 0.82) paths.clearPending(rel)
          else if (roll < 0.86) {
            // A new list begins (or an older one is followed again, or none).
            list = next() < 0.2 ? null : next() < 0.3 && lists.length ? pick(lists) : new ListedFiles(fold ? foldCase : null)
            if (list && !lists.includes(list)) lists.push(list)
            complete = next() < 0.5
          } else if (roll < 0.9) complete = !complete
          else if (roll < 0.95 && lists.length) {
            // A list not followed now changes: the next count of it must see that.
            const other = pick(lists)
            other.set(rel, { path: rel, version, size })
          }
          // Asked often and not after every step: changes between two asks are followed too.
          if (next() < 0.6) {
            const context = `seed ${seed}, step ${step}`
            expect(tally.figures(list, complete), context).toEqual(mirrorFigures(manifest.files, list, complete, paths.refused))
            if (list) expect(tally.matches(list), context).toBe(walkMatches(manifest.files, list))
          }
        }
      }
    })
  }
})
