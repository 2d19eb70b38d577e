// A shared folder's index over real files, for tests: a folder of 11 aged files, indexes closed
// after each test (closeIndexes), and a bounded wait for the changes an index pushes.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import type { IndexChange } from '../../src/main/engine/protocol/messages'
import { EventLog } from './events'
import { tempDir } from './temp'

/** Indexes opened by openIndex, closed by closeIndexes (tests that close one themselves take it out). */
export const open: FolderIndex[] = []

export async function openIndex(root: string, state: string): Promise<{ index: FolderIndex; log: EventLog }> {
  const log = new EventLog()
  const index = new FolderIndex(root, state, log.sink)
  await index.open()
  open.push(index)
  return { index, log }
}

/** Closes every index openIndex opened: call after each test. */
export async function closeIndexes(): Promise<void> {
  for (const index of open.splice(0)) await index.close()
}

/**
 * Files written a while ago: a file hashed within the clock tick of its last write is hashed once
 * more (racy-files.ts), which tests that count hashes must not run into.
 */
export function aged(...files: string[]): void {
  const longAgo = (Date.now() - 60_000) / 1000
  for (const file of files) utimesSync(file, longAgo, longAgo)
}

/** A folder of 10 files and one in `sub`, all aged, and where its index is to be saved. */
export function setup(): { root: string; state: string } {
  const root = tempDir('index-')
  for (let i = 0; i < 10; i++) writeFileSync(path.join(root, `f${i}.txt`), `content ${i}`)
  mkdirSync(path.join(root, 'sub'))
  writeFileSync(path.join(root, 'sub', 'nested.txt'), 'nested')
  aged(...Array.from({ length: 10 }, (_, i) => path.join(root, `f${i}.txt`)), path.join(root, 'sub', 'nested.txt'))
  return { root, state: path.join(tempDir('state-'), 'index.json') }
}

/** Collects an index's pushed changes; `waitFor` polls (bounded) until they satisfy a check. */
export function watchChanges(index: FolderIndex): { seen: IndexChange[]; waitFor(check: () => boolean): Promise<void> } {
  const seen: IndexChange[] = []
  index.on('changes', (changes) => seen.push(...changes))
  return {
    seen,
    async waitFor(check) {
      const deadline = Date.now() + 5000
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`changes so far: ${JSON.stringify(seen)}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
}
