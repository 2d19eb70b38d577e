// The mirror history's index as a log: each save appends what changed (index.log) and only a long
// log is folded into a new index.json. Pure replay rules first, then the engine's store on real files.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HISTORY_INDEX, HISTORY_LOG, readHistoryIndex, replayHistoryLog, type HistoryEntry } from '../../src/main/engine/mirror/history-index'
import { HistoryStore } from '../../src/main/engine/mirror/history-store'
import { historyStoreOn, PEER_FOLDER } from '../helpers/history-store'
import { removeTempDirs } from '../helpers/temp'

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
  /** The store with no cap to speak of; each version kept must be. */
  async function storeWith() {
    const on = await historyStoreOn(1e12)
    return { ...on, keep: (name: string): string => on.keep(name)! }
  }

  it('a save appends what changed; the index is written again only once the log outgrows what it holds', async () => {
    const { store, dir, keep, problems } = await storeWith()
    const ids: string[] = []
    for (let i = 0; i < 1200; i++) ids.push(keep(`f${i}.txt`))
    await store.flush()
    const logLines = (): number => readFileSync(path.join(dir, HISTORY_LOG), 'utf8').trim().split('\n').length
    // Every line says a version kept: the log is the record so far.
    expect(logLines()).toBe(1200)
    expect(readHistoryIndex(dir)).toHaveLength(1200)
    // 1,000 of them not a loss after all: 2,200 lines for 200 versions, folded into a new index.
    for (const id of ids.slice(0, 1000)) store.drop(PEER_FOLDER, id)
    await store.flush()
    expect(existsSync(path.join(dir, HISTORY_LOG))).toBe(false)
    expect(readHistoryIndex(dir).map((e) => e.id)).toEqual(ids.slice(1000))
    const index = readFileSync(path.join(dir, HISTORY_INDEX), 'utf8')

    const one = keep('one-more.txt')
    store.drop(PEER_FOLDER, ids[1000]!)
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
    const ids = [keep('a.txt'), keep('b.txt')]
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
      return again.link(PEER_FOLDER, '127.0.0.1:4001', 'c.txt', path.join(path.dirname(root), '..', 'c.txt'), '00'.repeat(32), 'deleted')
    })()
    await again.stop()
    expect(readHistoryIndex(dir).map((e) => e.id).sort()).toEqual([...ids, third!].sort())
    await store.stop()
  })
})
