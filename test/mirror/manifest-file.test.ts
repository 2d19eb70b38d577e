// A mirror's manifest on disk (mirror/manifest-file.ts): a record and a journal of changes. What a
// load gives back after saves, after a journal cut at every byte, after a kill between the record
// and its journal, and after real kill -9s of a process saving as fast as it can.
import { spawn } from 'node:child_process'
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import { journalOf, ManifestFile, readManifestFile, type MirroredFile } from '../../src/main/engine/mirror/manifest-file'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const entry = (version: string, size = version.length): MirroredFile => ({ version, size, mtimeMs: 1000 + size })

/** Applies changes (null: removed) to a copy of `files`. */
function applied(files: ReadonlyMap<string, MirroredFile>, changes: ReadonlyMap<string, MirroredFile | null>): Map<string, MirroredFile> {
  const next = new Map(files)
  for (const [rel, value] of changes) {
    if (value === null) next.delete(rel)
    else next.set(rel, value)
  }
  return next
}

const sorted = (files: ReadonlyMap<string, MirroredFile>) => [...files].sort(([a], [b]) => (a < b ? -1 : 1))

describe('ManifestFile', () => {
  it('appends what changed, writes the whole record once the journal is as long as the mirror, and loads back every state', async () => {
    const file = path.join(tempDir('state-'), 'mirrors', 'peer.json')
    const disk = new ManifestFile(file, 4)
    let files = new Map<string, MirroredFile>()
    const sizes: number[] = []
    for (let step = 0; step < 30; step++) {
      const changes = new Map<string, MirroredFile | null>([[`f${step % 7}`, entry(`v${step}`)]])
      if (step % 5 === 4) changes.set(`f${(step + 3) % 7}`, null)
      files = applied(files, changes)
      await disk.save(changes, files)
      sizes.push(statSync(file).size)
      const read = await readManifestFile(file)
      expect(sorted(read!.files), `step ${step}`).toEqual(sorted(files))
      expect(read!.appendable).toBe(true)
    }
    // The record was written again now and then, not at every save.
    expect(new Set(sizes).size).toBeGreaterThan(1)
    expect(sizes.filter((size, i) => i > 0 && size === sizes[i - 1]).length).toBeGreaterThan(10)
    // A second writer over what the first left goes on appending to it.
    const again = new ManifestFile(file, 4)
    expect(sorted(await again.load())).toEqual(sorted(files))
    const changes = new Map([['new', entry('vnew')]])
    files = applied(files, changes)
    await again.save(changes, files)
    expect(sorted((await readManifestFile(file))!.files)).toEqual(sorted(files))
  })

  it('a journal cut anywhere gives the record and the whole lines before the cut; the next save writes the whole record', async () => {
    const file = path.join(tempDir('state-'), 'peer.json')
    const disk = new ManifestFile(file, 1000)
    const base = new Map([['a', entry('va')], ['b', entry('vb')]])
    await disk.save(new Map(), base)
    const changes = new Map<string, MirroredFile | null>([['a', null], ['c', entry('vc')], ['b', entry('vb2')]])
    const after = applied(base, changes)
    await disk.save(changes, after)
    const journal = readFileSync(journalOf(file))
    const headEnd = journal.indexOf('\n') + 1
    // The states a prefix of the changes leaves, by how many whole lines it holds.
    const states = [base]
    for (const change of changes) states.push(applied(states.at(-1)!, new Map([change])))
    for (let cut = headEnd; cut <= journal.length; cut++) {
      writeFileSync(journalOf(file), journal.subarray(0, cut))
      const lines = journal.subarray(headEnd, cut).toString().split('\n').length - 1
      const read = await readManifestFile(file)
      expect(sorted(read!.files), `cut at ${cut}`).toEqual(sorted(states[lines]!))
      expect(read!.appendable).toBe(cut === journal.length || journal[cut - 1] === 0x0a)
    }
    // Cut mid-line: nothing is appended after the cut (it would be lost behind it).
    writeFileSync(journalOf(file), journal.subarray(0, journal.length - 3))
    const reopened = new ManifestFile(file, 1000)
    const loaded = await reopened.load()
    const more = new Map([['d', entry('vd')]])
    await reopened.save(more, applied(loaded, more))
    expect(sorted((await readManifestFile(file))!.files)).toEqual(sorted(applied(loaded, more)))
    expect(readFileSync(journalOf(file), 'utf8').split('\n')).toHaveLength(2)
  })

  it("a journal that follows another record (a kill between the two writes), or none, leaves the record as it is", async () => {
    const file = path.join(tempDir('state-'), 'peer.json')
    const disk = new ManifestFile(file, 1000)
    await disk.save(new Map(), new Map([['a', entry('va')]]))
    await disk.save(new Map([['a', null]]), new Map())
    const oldJournal = readFileSync(journalOf(file))
    // The new record is in place; the old journal is still there.
    const record = { versions: 'blocks-5', journal: 'another', files: { a: entry('va'), b: entry('vb') } }
    writeFileSync(file, JSON.stringify(record))
    expect(oldJournal.toString()).toContain('"a",null')
    expect(sorted((await readManifestFile(file))!.files)).toEqual(sorted(new Map(Object.entries(record.files))))
    expect((await readManifestFile(file))!.appendable).toBe(false)
    // A record of before journals, a journal line of another shape, a record of other versions.
    writeFileSync(file, JSON.stringify({ versions: 'blocks-5', files: { a: entry('va') } }))
    expect(sorted((await readManifestFile(file))!.files)).toEqual([['a', entry('va')]])
    writeFileSync(file, JSON.stringify({ ...record, journal: 'j' }))
    writeFileSync(journalOf(file), `${JSON.stringify({ versions: 'blocks-5', after: 'j' })}\n["c",{"version":1}]\n["d",null]\n`)
    expect(sorted((await readManifestFile(file))!.files).map(([rel]) => rel)).toEqual(['a', 'b'])
    writeFileSync(file, JSON.stringify({ ...record, versions: 'sha256' }))
    expect(await readManifestFile(file)).toBeNull()
    appendFileSync(file, 'x')
    expect(await readManifestFile(file)).toBeNull()
  })

  it('kill -9 at any moment of a stream of saves leaves a manifest whose every entry is one that was saved, in order', async () => {
    const dir = tempDir('kill-')
    const script = path.join(dir, 'saver.mjs')
    const source = fileURLToPath(new URL('../../src/main/engine/mirror/manifest-file.ts', import.meta.url))
    // Saves the steps of stepChanges (below) one after another, saying each step once it is saved.
    const contents = `import { ManifestFile } from ${JSON.stringify(source)}
${stepChanges.toString()}
const disk = new ManifestFile(process.argv[2], 6)
const files = new Map()
for (let step = 0; ; step++) {
  const changes = stepChanges(step)
  for (const [rel, value] of changes) value === null ? files.delete(rel) : files.set(rel, value)
  await disk.save(changes, files)
  process.stdout.write(step + '\\n')
}`
    await build({ stdin: { contents, resolveDir: dir, sourcefile: 'saver.ts', loader: 'ts' }, outfile: script, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' })
    for (let run = 0; run < 24; run++) {
      const file = path.join(dir, `run${run}`, 'peer.json')
      const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      // Each run killed after a different number of saves, mid-save or between two.
      const steps = 3 + run * 7
      await new Promise<void>((resolve) => {
        child.stdout.on('data', () => {
          if (out.split('\n').length > steps) resolve()
        })
      })
      await new Promise((resolve) => setTimeout(resolve, run % 4))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      const said = out.split('\n').filter(Boolean).map(Number)
      const saved = said.at(-1)!
      // Every step up to the last one said is in; of the one under way, the changes before the cut.
      let files = new Map<string, MirroredFile>()
      for (let step = 0; step <= saved; step++) files = applied(files, stepChanges(step))
      const candidates = [files]
      for (const change of stepChanges(saved + 1)) candidates.push(applied(candidates.at(-1)!, new Map([change])))
      const read = await new ManifestFile(file, 6).load()
      expect(candidates.map(sorted), `run ${run}, killed after step ${saved}`).toContainEqual(sorted(read))
    }
  }, 120_000)
})

/** The changes of one step of the kill test: a few paths set, one removed now and then. */
function stepChanges(step: number): Map<string, { version: string; size: number; mtimeMs: number } | null> {
  const changes = new Map<string, { version: string; size: number; mtimeMs: number } | null>()
  for (let c = 0; c <= step % 4; c++) changes.set(`d${c}/f${(step * 7 + c) % 40}`, { version: `v${step}-${c}`, size: step, mtimeMs: step * 10 + c })
  if (step % 3 === 2) changes.set(`d0/f${(step * 5) % 40}`, null)
  return changes
}
