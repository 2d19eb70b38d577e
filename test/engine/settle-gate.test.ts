// Files still growing wait until they hold still (folder/settle-gate.ts): the pure rule as a
// table, a real index watching a file appended to for two seconds, and one watching a file that
// never stops growing: announced as a snapshot once waited for long enough, then without the flag
// once it holds still.
import { appendFileSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { MAX_SETTLE_MS, SETTLE_BASE_MS, SNAPSHOT_AFTER_MS, settle, SettleGate, type SettleState, type SettleVerdict } from '../../src/main/engine/folder/settle-gate'
import type { IndexChange } from '../../src/main/engine/protocol/messages'
import type { EngineEvent } from '../../src/shared/events'
import { contentVersion } from '../helpers/fake-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'

type Upsert = Extract<IndexChange, { op: 'upsert' }>

const NOW = 1_000_000
const still = (size: number, grown: number, waitingSince: number | null = null): SettleState => ({ size, grown, waitingSince })

describe('the settle rule', () => {
  it.each<[string, SettleState | undefined, number, number, number, SettleState, boolean]>([
    ['a file never seen: at once', undefined, 100, NOW, 0, still(100, 0), false],
    ['rewritten at the same size: at once', still(100, 0), 100, NOW, 0, still(100, 0), false],
    ['grown once, written just now: the base wait', still(100, 0), 200, NOW, SETTLE_BASE_MS, still(200, 1, NOW), false],
    ['grown once, still for the base wait: now', still(100, 0), 200, NOW - SETTLE_BASE_MS, 0, still(200, 0), false],
    ['grown a third time: four times the base', still(200, 2, NOW - 500), 300, NOW - 10, 4 * SETTLE_BASE_MS - 10, still(300, 3, NOW - 500), false],
    ['no longer growing, not yet still long enough', still(300, 3, NOW - 500), 300, NOW - 100, 4 * SETTLE_BASE_MS - 100, still(300, 3, NOW - 500), false],
    ['grown many times: the longest wait, no more', still(300, 20, NOW - 5000), 400, NOW, MAX_SETTLE_MS, still(400, 21, NOW - 5000), false],
    ['growing for the snapshot time: now, a snapshot', still(300, 20, NOW - SNAPSHOT_AFTER_MS), 400, NOW, 0, still(400, 0), true],
    ['still long enough just as the snapshot time ends: now, no snapshot', still(300, 20, NOW - SNAPSHOT_AFTER_MS), 300, NOW - MAX_SETTLE_MS, 0, still(300, 0), false],
    ['shrunk (rewritten shorter): as still as before', still(300, 0), 100, NOW, 0, still(100, 0), false],
  ])('%s', (_, state, size, mtimeMs, waitMs, next, snapshot) => {
    expect(settle(state, size, mtimeMs, NOW)).toEqual({ waitMs, next, snapshot })
  })

  const HOUR = 3_600_000
  const ahead = (size: number, grown: number, waitingSince: number, mtimeMs: number, since: number): SettleState => ({ size, grown, waitingSince, ahead: { mtimeMs, since } })
  it.each<[string, SettleState | undefined, number, number, number, number, SettleState, boolean]>([
    // Stamped by another machine's clock, or ours set back: the mtime says nothing of when it was written.
    ['grown, stamped an hour ahead: the base wait, from this look', still(100, 0), 200, NOW + HOUR, NOW, SETTLE_BASE_MS, ahead(200, 1, NOW, NOW + HOUR, NOW), false],
    ['stamped ahead, as it was at a look the base wait ago: now', ahead(200, 1, NOW - 100, NOW + HOUR, NOW - 100), 200, NOW + HOUR, NOW, 0, still(200, 0), false],
    ['stamped ahead, written again since the last look: the wait starts again', ahead(200, 1, NOW - 100, NOW + HOUR, NOW - 100), 200, NOW + HOUR + 1, NOW, SETTLE_BASE_MS, ahead(200, 1, NOW - 100, NOW + HOUR + 1, NOW), false],
    ['stamped ahead and growing for the snapshot time: now, a snapshot', ahead(200, 3, NOW - SNAPSHOT_AFTER_MS, NOW + HOUR, NOW - 10), 300, NOW + HOUR, NOW, 0, still(300, 0), true],
    // The clock set back behind the first postponed look: the snapshot time counts from now.
    ['the clock set back an hour while it waits', still(300, 3, NOW + HOUR), 400, NOW - 10, NOW, 8 * SETTLE_BASE_MS - 10, still(400, 4, NOW), false],
  ])('%s', (_, state, size, mtimeMs, now, waitMs, next, snapshot) => {
    expect(settle(state, size, mtimeMs, now)).toEqual({ waitMs, next, snapshot })
  })

  it('waits at most the limit it is given', () => {
    const growing = still(300, 20, NOW - 1000)
    expect(settle(growing, 400, NOW, NOW, 1000)).toEqual({ waitMs: 0, next: still(400, 0), snapshot: true })
    expect(settle(growing, 400, NOW, NOW)).toEqual({ waitMs: MAX_SETTLE_MS, next: still(400, 21, NOW - 1000), snapshot: false })
  })
})

describe('a file new to the index, put off until its clock tick is over', () => {
  // SettleGate.ready with an explicit clock; its timers are unref'd and closed here.
  const gate = (): SettleGate => new SettleGate(() => {})
  it.each<[string, number, number, SettleVerdict]>([
    ['the same size at the look after the tick: hashed now', 100, 100, 'settled'],
    ['grown meanwhile: being written, it waits to hold still', 100, 4096, 'wait'],
    ['shorter (rewritten): hashed now', 4096, 100, 'settled'],
  ])('%s', (_, first, after, verdict) => {
    const settling = gate()
    settling.sawNew('new.bin', first)
    expect(settling.ready('new.bin', undefined, after, NOW, NOW)).toBe(verdict)
    settling.close()
  })

  it('keeps the size of its first look, not of looks while it waits', () => {
    const settling = gate()
    settling.sawNew('new.bin', 100)
    settling.sawNew('new.bin', 200)
    expect(settling.ready('new.bin', undefined, 200, NOW, NOW)).toBe('wait')
    // Held still long enough since: hashed, and nothing of it is kept.
    expect(settling.ready('new.bin', undefined, 200, NOW - SETTLE_BASE_MS, NOW)).toBe('settled')
    expect(settling.ready('new.bin', undefined, 300, NOW, NOW)).toBe('settled')
    settling.close()
  })
})

describe('an index watching a file still being written', () => {
  const open: FolderIndex[] = []
  afterEach(async () => {
    for (const index of open.splice(0)) await index.close()
    removeTempDirs()
  })

  /** An index of a new folder, open, and the upserts it announces of `rel`. */
  async function watching(rel: string): Promise<{ root: string; upserts: Upsert[] }> {
    const root = tempDir('settle-')
    const index = new FolderIndex(root, path.join(tempDir('settle-state-'), 'index.json'), () => {})
    open.push(index)
    await index.open()
    const upserts: Upsert[] = []
    index.on('changes', (changes) => upserts.push(...changes.filter((c): c is Upsert => c.op === 'upsert' && c.path === rel)))
    return { root, upserts }
  }

  it('announces it a few times at most, not once per look, and last as it ended', async () => {
    const { root, upserts: versions } = await watching('recording.bin')
    const file = path.join(root, 'recording.bin')
    // Fifty appends over about two seconds: each one a look of the index's own.
    for (let i = 0; i < 50; i++) {
      appendFileSync(file, Buffer.alloc(64 * 1024, i))
      await sleep(40)
    }
    const whole = contentVersion(readFileSync(file))
    for (const deadline = Date.now() + 15_000; !versions.at(-1)?.version.equals(whole) && Date.now() < deadline; await sleep(50));
    expect(versions.at(-1)).toMatchObject({ size: 50 * 64 * 1024 })
    expect(versions.at(-1)!.version.equals(whole)).toBe(true)
    // Met from its first bytes: only the whole (a second only where this process stalled longer
    // than a wait, which a busy machine may do); never one per append, nor its first bytes alone.
    expect(versions.length).toBeLessThanOrEqual(2)
    expect(versions.every((c) => !c.snapshot)).toBe(true)
  })

  it('announces a file written from its first byte on, every 10 ms for a second, once: whole', async () => {
    const { root, upserts } = await watching('download.bin')
    // The appends and the index's looks share this event loop: a stall delays both, in due order.
    const file = path.join(root, 'download.bin')
    for (let i = 0; i < 100; i++) {
      appendFileSync(file, Buffer.alloc(16 * 1024, i))
      await sleep(10)
    }
    const whole = contentVersion(readFileSync(file))
    for (const deadline = Date.now() + 15_000; !upserts.some((c) => c.version.equals(whole)) && Date.now() < deadline; await sleep(20));
    expect(upserts.map((c) => c.size)).toEqual([100 * 16 * 1024])
    expect(upserts[0]!.version.equals(whole)).toBe(true)
  })

  it('announces a file grown with an mtime ahead of the clock (another machine stamped it) once it holds still, not when the clock gets there', async () => {
    const root = tempDir('settle-')
    const file = path.join(root, 'from-elsewhere.bin')
    writeFileSync(file, 'first version\n')
    const index = new FolderIndex(root, path.join(tempDir('settle-state-'), 'index.json'), () => {})
    open.push(index)
    await index.open()
    const upserts: Upsert[] = []
    index.on('changes', (changes) => upserts.push(...changes.filter((c): c is Upsert => c.op === 'upsert')))
    // Longer, stamped an hour ahead, as a copy that keeps another clock's times would be.
    writeFileSync(file, 'second version, longer\n')
    const anHourAhead = Date.now() / 1000 + 3600
    utimesSync(file, anHourAhead, anHourAhead)
    const second = contentVersion('second version, longer\n')
    for (const deadline = Date.now() + 15_000; !upserts.some((c) => c.version.equals(second)) && Date.now() < deadline; await sleep(50));
    expect(upserts.find((c) => c.version.equals(second)), 'the longer file announced').toMatchObject({ snapshot: false })
  })

  it('a file that was waiting to settle as the shared folder went is not taken for one growing all along when it grows again, once the folder is back', async () => {
    const root = tempDir('settle-')
    const file = path.join(root, 'notes.log')
    writeFileSync(file, 'first line\n')
    const events: EngineEvent[] = []
    const index = new FolderIndex(root, path.join(tempDir('settle-state-'), 'index.json'), (e) => events.push(e), { snapshotAfterMs: 500 })
    open.push(index)
    await index.open()
    const upserts: Upsert[] = []
    index.on('changes', (changes) => upserts.push(...changes.filter((c): c is Upsert => c.op === 'upsert')))
    // Grown: it waits to settle; the folder goes before it has.
    appendFileSync(file, 'second line\n')
    await sleep(30)
    renameSync(root, `${root}-away`)
    const gone = Date.now()
    while (!events.some((e) => e.type === 'error' && e.code === 'folder-missing') && Date.now() - gone < 10_000) await sleep(20)
    // Away far longer than the snapshot limit, then back, and indexed afresh.
    await sleep(1000)
    renameSync(`${root}-away`, root)
    while (!events.some((e) => e.type === 'folder-restored') && Date.now() - gone < 20_000) await sleep(20)
    expect(events.some((e) => e.type === 'folder-restored')).toBe(true)
    // One more line, once: it waits to settle as any file just grown, and is no snapshot.
    appendFileSync(file, 'third line\n')
    const whole = contentVersion(readFileSync(file))
    for (const deadline = Date.now() + 10_000; !upserts.some((c) => c.version.equals(whole)) && Date.now() < deadline; await sleep(20));
    expect(upserts.find((c) => c.version.equals(whole))).toMatchObject({ snapshot: false })
    expect(events.filter((e) => e.type === 'file-snapshot')).toEqual([])
  })

  it('announces a file that never stops growing as a snapshot after the limit, and without the flag once it holds still', async () => {
    const root = tempDir('settle-')
    const events: EngineEvent[] = []
    const index = new FolderIndex(root, path.join(tempDir('settle-state-'), 'index.json'), (e) => events.push(e), { snapshotAfterMs: 1000 })
    open.push(index)
    await index.open()
    const upserts: Upsert[] = []
    index.on('changes', (changes) => upserts.push(...changes.filter((c): c is Upsert => c.op === 'upsert' && c.path === 'big.log')))
    const file = path.join(root, 'big.log')
    // Appended to until the index gives up waiting: far longer than the limit, never still for a settle time.
    appendFileSync(file, 'first line\n')
    let line = 0
    for (const deadline = Date.now() + 30_000; !upserts.some((c) => c.snapshot) && Date.now() < deadline; await sleep(15)) {
      appendFileSync(file, `line ${line++} ${'x'.repeat(200)}\n`)
    }
    const snapshot = upserts.find((c) => c.snapshot)
    expect(snapshot, 'a snapshot announced while the file kept growing').toBeDefined()
    // What peers are told is what the index holds, and the version of bytes the file had.
    expect(index.get('big.log')?.snapshot).toBe(true)
    expect(snapshot!.version.equals(contentVersion(readFileSync(file).subarray(0, snapshot!.size)))).toBe(true)
    expect(events.filter((e) => e.type === 'file-snapshot')).toEqual([{ type: 'file-snapshot', path: 'big.log', bytes: snapshot!.size, version: snapshot!.version.toString('hex') }])
    // It stops: the whole file is announced without the flag, a version like any other (the
    // snapshot's own version again when it stopped just as that was taken).
    const whole = contentVersion(readFileSync(file))
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(50)) {
      if (upserts.at(-1)?.version.equals(whole) && !upserts.at(-1)?.snapshot) break
    }
    expect(upserts.at(-1)).toMatchObject({ size: readFileSync(file).length, snapshot: false })
    expect(upserts.at(-1)!.version.equals(whole)).toBe(true)
    expect(index.get('big.log')?.snapshot).toBeFalsy()
  })
})
