// The engine's mirror history store on a fresh mirror root with one peer folder, and a way to keep
// a new version in it, as a deletion would: for tests of the store on real files.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { historyRootOf } from '../../src/main/engine/mirror/history-reader'
import { HistoryStore } from '../../src/main/engine/mirror/history-store'
import { tempDir } from './temp'

export const PEER_FOLDER = 'bob-AAAAAAA'

export interface StoreOnMirror {
  store: HistoryStore
  /** The history root, and its folder for the peer. */
  root: string
  dir: string
  problems: string[]
  /** Writes `name` in the peer's mirror folder and keeps it as deleted; its entry id, or null. */
  keep(name: string, content?: string): string | null
}

/** A started store of a day's keep and this cap. */
export async function historyStoreOn(capBytes: number): Promise<StoreOnMirror> {
  const mirrorRoot = tempDir('history-mirrors-')
  mkdirSync(path.join(mirrorRoot, PEER_FOLDER))
  const root = historyRootOf(mirrorRoot)
  const problems: string[] = []
  const store = new HistoryStore(root, { keepMs: 86_400_000, capBytes, problem: (m) => problems.push(m) })
  await store.start()
  const keep = (name: string, content = name): string | null => {
    const file = path.join(mirrorRoot, PEER_FOLDER, name)
    writeFileSync(file, content)
    return store.link(PEER_FOLDER, '127.0.0.1:4001', name, file, '00'.repeat(32), 'deleted')
  }
  return { store, root, dir: path.join(root, PEER_FOLDER), problems, keep }
}
