// What the strays sweep of a mirror (MirrorFiles.removeStrays) leaves and removes, over real
// files: a partial kept to resume a transfer stays until it is a day old.
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { partialName } from '../../src/main/engine/blocks/partial-names'
import type { ListEntry } from '../../src/main/engine/mirror/jobs'
import { MirrorFiles } from '../../src/main/engine/mirror/mirror-files'
import { MirrorManifest } from '../../src/main/engine/mirror/mirror-manifest'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

describe('the strays sweep', () => {
  it('keeps listed files, temp files of this run (named by this process, whatever their time) and partials of listed versions younger than a day; removes the rest', async () => {
    const state = tempDir('state-')
    const folder = tempDir('mirror-')
    const files = new MirrorFiles({ stateDir: state, onEvent: () => {}, problem: () => {}, mirrors: () => [] })
    const manifest = new MirrorManifest(folder, path.join(state, 'manifest.json'))
    const mirror = { ref: { ip: '127.0.0.1', port: 1, id: 'ab', key: '127.0.0.1:1', folder }, manifest }
    const version = Buffer.alloc(32, 7)
    const other = Buffer.alloc(32, 8)
    const hoursAgo = (hours: number): Date => new Date(Date.now() - hours * 60 * 60 * 1000)
    // [path, hours old (null: written now, during this run), stays]
    const cases: Array<[string, number | null, boolean]> = [
      ['listed.txt', 48, true],
      ['by-hand.txt', 1, false],
      ['.dbs-tmp-999-0-1', 1, false],
      ['.dbs-tmp-999-0-2', null, true],
      // This process's own, with a time before its start: a disk that keeps whole seconds (exFAT,
      // FAT) dates a temp file made in the first second that way, while a transfer writes it.
      [`.dbs-tmp-${process.pid}-1-3`, 0.0005, true],
      [partialName('film.mkv', version), 1, true],
      [`sub/${partialName('song.flac', version)}`, 23, true],
      [`old/${partialName('song.flac', version)}`, 25, false],
      [partialName('other.mkv', version), null, true],
      // Of a version the peer no longer lists, or of a file it no longer has: nothing resumes it.
      [partialName('film.mkv', other), 1, false],
      [partialName('gone.mkv', version), null, false],
    ]
    for (const [rel, hours] of cases) {
      const abs = path.join(folder, rel)
      mkdirSync(path.dirname(abs), { recursive: true })
      writeFileSync(abs, 'x')
      if (hours !== null) utimesSync(abs, hoursAgo(hours), hoursAgo(hours))
    }
    const listed = (rel: string, v = version): [string, ListEntry] => [rel, { path: rel, version: v.toString('hex'), size: 1 << 30 }]
    const remote = new Map<string, ListEntry>([
      ['listed.txt', { path: 'listed.txt', version: 'v', size: 1 }],
      listed('film.mkv'),
      listed('sub/song.flac'),
      listed('old/song.flac'),
      listed('other.mkv'),
    ])

    await files.removeStrays(mirror, remote)
    expect(cases.map(([rel]) => [rel, existsSync(path.join(folder, rel))])).toEqual(cases.map(([rel, , stays]) => [rel, stays]))
    expect(existsSync(path.join(folder, 'old'))).toBe(false)
  })
})
