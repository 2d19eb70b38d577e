// The mirror history's index as a log: each save appends what changed (index.log) and only a long
// log is folded into a new index.json. Pure replay rules first, then the engine's store on real files.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HISTORY_INDEX, HISTORY_LOG, readHistoryIndex, replayHistoryLog, type HistoryEntry } from '../../src/main/engine/mirror/history-index'
import { historyRootOf } from '../../src/main/engine/mirror/history-reader'
import { HistoryStore } from '../../src/main/engine/mirror/history-store'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const entry = (id: string, rel = `${id}.txt`): HistoryEntry => ({ id, path: rel, peer: '127.0.0.1:4001', at: 1, size: 3, version: '00'.repeat(32), reason: 'deleted' })
const lines = (...items: unknown[]): string => items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('\n')

describe('replayHistoryLog', () => {
  const cases: Array<[string, HistoryEntry[], string, string[]]> = [
    ['no log: the index as it is', [entry('a')], '', ['a']],
    ['an entry added, then another', [entry('a')], lines({ add: entry('b') }, { add: entry('c') }, ''), ['a', 'b', 'c']],
    ['an entry dropped', [entry('a'), entry('b')], lines({ drop: 'a' }, ''), ['b']],
    ['added and dropped in the log', [], lines({ add: entry('b') }, { drop: 'b' }, ''), []],
    ['a line already in the index (a fold cut short by a crash) adds nothing twice', [entry('a')], lines({ add: entry('a', 'other.txt') }, ''), ['a']],
    ['a drop of an entry not there does nothing', [entry('a')], lines({ drop: 'zz' }, ''), ['a']],
    ['a last line torn by a crash is left out', [entry('a')], `${lines({ add: entry('b') })}\n{"add":{"id":"c","pa`, ['a', 'b']],
    ['an entry that does not check out is left out', [], lines({ add: { ...entry('b'), id: '../b' } }, { add: { id: 'c' } }, { add: entry('d') }, ''), ['d']],
  ]
  it.each(cases)('%s', (_, index, log, ids) => {
    expect(replayHistoryLog(index, log).map((e) => e.id)).toEqual(ids)
  })
})

describe('the history store', () => {
  /** A store on a fresh mirror root, and a way to keep a new version of `name` in it. */
  async function storeWith(): Promise<{ store: HistoryStore; dir: string; root: string; keep: (name: string) => Promise<string>; problems: string[] }> {
    const mirrorRoot = tempDir('log-mirrors-')
    const folder = 'bob-AAAAAAA'
    mkdirSync(path.join(mirrorRoot, folder))
    const root = historyRootOf(mirrorRoot)
    const problems: string[] = []
    const store = new HistoryStore(root, { keepMs: 86_400_000, capBytes: 1e12, problem: (m) => problems.push(m) })
    await store.start()
    const keep = async (name: string): Promise<string> => {
      const file = path.join(mirrorRoot, folder, name)
      writeFileSync(file, name)
      return store.link(folder, '127.0.0.1:4001', name, file, '00'.repeat(32), 'deleted')!
    }
    return { store, dir: path.join(root, folder), root, keep, problems }
  }

  it('a save appends what changed; the index is written again only once the log outgrows what it holds', async () => {
    const { store, dir, keep, problems } = await storeWith()
    const ids: string[] = []
    for (let i = 0; i < 1200; i++) ids.push(await keep(`f${i}.txt`))
    await store.flush()
    const logLines = (): number => readFileSync(path.join(dir, HISTORY_LOG), 'utf8').trim().split('\n').length
    // Every line says a version kept: the log is the record so far.
    expect(logLines()).toBe(1200)
    expect(readHistoryIndex(dir)).toHaveLength(1200)
    // 1,000 of them not a loss after all: 2,200 lines for 200 versions, folded into a new index.
    for (const id of ids.slice(0, 1000)) store.drop('bob-AAAAAAA', id)
    await store.flush()
    expect(existsSync(path.join(dir, HISTORY_LOG))).toBe(false)
    expect(readHistoryIndex(dir).map((e) => e.id)).toEqual(ids.slice(1000))
    const index = readFileSync(path.join(dir, HISTORY_INDEX), 'utf8')

    const one = await keep('one-more.txt')
    store.drop('bob-AAAAAAA', ids[1000]!)
    await store.flush()
    // Two changes: two lines appended, the index untouched.
    expect(readFileSync(path.join(dir, HISTORY_INDEX), 'utf8')).toBe(index)
    expect(logLines()).toBe(2)
    expect(readHistoryIndex(dir).map((e) => e.id)).toEqual([...ids.slice(1001), one])
    await store.stop()
    expect(problems).toEqual([])
  })

  it('after a crash mid-append, the next start keeps every whole line and folds the log into a new index', async () => {
    const { store, dir, root, keep } = await storeWith()
    const ids = [await keep('a.txt'), await keep('b.txt')]
    await store.flush()
    // The process dies as it appends a third line: no stop, a torn last line.
    appendFileSync(path.join(dir, HISTORY_LOG), '{"add":{"id":"torn","pa')
    const before = statSync(path.join(dir, HISTORY_LOG)).size
    expect(before).toBeGreaterThan(0)

    const again = new HistoryStore(root, { keepMs: 86_400_000, capBytes: 1e12, problem: () => {} })
    await again.start()
    expect(readHistoryIndex(dir).map((e) => e.id).sort()).toEqual([...ids].sort())
    expect(existsSync(path.join(dir, HISTORY_LOG))).toBe(false)
    const third = await (async () => {
      writeFileSync(path.join(path.dirname(root), '..', 'c.txt'), 'c')
      return again.link('bob-AAAAAAA', '127.0.0.1:4001', 'c.txt', path.join(path.dirname(root), '..', 'c.txt'), '00'.repeat(32), 'deleted')
    })()
    await again.stop()
    expect(readHistoryIndex(dir).map((e) => e.id).sort()).toEqual([...ids, third!].sort())
    await store.stop()
  })
})
