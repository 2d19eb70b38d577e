// The blocks bench (issue 20, "Speed and size"): each row timed for dropbox-sync, rsync and
// Syncthing in interleaved rounds of one run, with the bytes each put on the wire (wire-meter.ts:
// the kernel's count of every TCP payload byte of their connections). It measures whatever the
// engine does: before blocks land, whole files.
// BENCH_ONLY=fresh,edit,append,resume,rename,cp,small,rss picks rows; BENCH_SYNCTHING=0 skips Syncthing.
import { execFileSync } from 'node:child_process'
import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { BIG, cell, cleanUp, interleave, ratio, ROUNDS, SMALL_FILES, tempDir, type Outcome, type ToolRun } from './blocks-common'
import { streamFloorRows } from './blocks-floor'
import { floorFresh, oursFresh, rsyncFresh, syncthingFresh, type FreshData, type FreshMode } from './blocks-fresh'
import { FloorRunning, OursRunning, RsyncRunning, SyncthingRunning, type Change, type Running } from './blocks-running'
import { writeRandom } from './sync'
import { syncthingInstalled } from './syncthing-node'

const EDIT_BYTES = 4096

/** 4 KiB of new bytes across the middle of big.bin: they straddle a block boundary, so 2 blocks is the least a block sync can send. */
const midEdit: Change = {
  apply(dir) {
    const file = path.join(dir, 'big.bin')
    const at = Math.floor(statSync(file).size / 2) - EDIT_BYTES / 2
    const bytes = randomBytes(EDIT_BYTES)
    const t0 = performance.now()
    const fd = openSync(file, 'r+')
    writeSync(fd, bytes, 0, bytes.length, at)
    closeSync(fd)
    return { t0, synced: ['big.bin'], removed: [], files: 1 }
  },
}

const append: Change = {
  apply(dir) {
    const byte = randomBytes(1)
    const t0 = performance.now()
    appendFileSync(path.join(dir, 'big.bin'), byte)
    return { t0, synced: ['big.bin'], removed: [], files: 1 }
  },
}

/** Round r renames the file (big.bin, then the last round's name) and copies it in the same folder; the copy goes afterwards. */
const renameAndCopy: Change = {
  apply(dir, round) {
    const from = round === 0 ? 'big.bin' : `moved${round - 1}.bin`
    const moved = `moved${round}.bin`
    const copy = `copy${round}.bin`
    const t0 = performance.now()
    renameSync(path.join(dir, from), path.join(dir, moved))
    execFileSync('cp', [path.join(dir, moved), path.join(dir, copy)])
    return { t0, synced: [moved, copy], removed: [from], files: 2 }
  },
  tidy(dir, round) {
    rmSync(path.join(dir, `copy${round}.bin`))
    return { t0: performance.now(), synced: [], removed: [`copy${round}.bin`], files: 1 }
  },
}

/** `cp -r` of round r's tree into the folder; the clock starts when cp returns. New content each round: a tool that finds content it already has must not look faster. */
function copyTree(trees: string[], count: number): Change {
  return {
    apply(dir, round) {
      execFileSync('cp', ['-r', trees[round]!, path.join(dir, `copy${round}`)])
      return { t0: performance.now(), synced: { prefix: `copy${round}/`, count }, removed: [], files: 1 + count * (round + 1) }
    },
  }
}

function sizeText(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${+(bytes / 1024 ** 3).toFixed(2)} GiB` : `${+(bytes / 1024 ** 2).toFixed(0)} MiB`
}

/** 10,000 (BENCH_SCALE) files of 4 KiB in 100 folders, as the sync bench makes them. */
export function smallTree(dir: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const file = path.join(dir, `dir${String(i % 100).padStart(3, '0')}`, `file${i}.bin`)
    if (i < 100) mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, randomBytes(4096))
  }
}

type Tools = Record<string, Outcome>

/** The tools of one row, Syncthing left out (with why) when it is not to run. */
function freshTools(data: FreshData, mode: FreshMode, syncthing: boolean): Record<string, ToolRun> {
  return { ours: oursFresh(data, mode), rsync: rsyncFresh(data, mode), ...(syncthing ? { syncthing: syncthingFresh(data, mode) } : {}) }
}

/** Each change timed on the same running tools, one row each. */
async function runningRows(tools: Record<string, Running>, changes: Array<[string, Change]>): Promise<Tools[]> {
  const failed: Record<string, string> = {}
  const results: Tools[] = []
  try {
    for (const [name, tool] of Object.entries(tools)) {
      await tool.setup().catch((error: unknown) => {
        failed[name] = error instanceof Error ? error.message : String(error)
        console.error(`  setting up ${name}: ${failed[name]}`)
      })
    }
    for (const [row, change] of changes) {
      const runs: Record<string, ToolRun> = {}
      for (const [name, tool] of Object.entries(tools)) {
        runs[name] = {
          setup: async () => {
            if (failed[name]) throw new Error(failed[name])
          },
          round: (round) => tool.measure(change, round),
          close: async () => {},
        }
      }
      results.push(await interleave(row, runs))
    }
  } finally {
    for (const tool of Object.values(tools)) await tool.close().catch(() => {})
  }
  return results
}

export async function benchBlocks(): Promise<{ columns: string[]; rows: string[][] }> {
  const only = (process.env['BENCH_ONLY'] ?? '').split(',').filter(Boolean)
  const want = (...names: string[]): boolean => only.length === 0 || names.some((n) => only.includes(n))
  const installed = syncthingInstalled()
  const syncthing = installed && process.env['BENCH_SYNCTHING'] !== '0'
  const noSyncthing = installed ? 'skipped (BENCH_SYNCTHING=0)' : 'not installed'
  const st = (tools: Tools): Outcome | string => tools['syncthing'] ?? noSyncthing
  const big = sizeText(BIG)
  const rows: string[][] = []
  const row = (work: string, tools: Tools, goal: string, show: 'time' | 'rss' = 'time', rsyncText?: string): void => {
    rows.push([work, cell(tools['ours']!, show), rsyncText ?? cell(tools['rsync']!, show), cell(st(tools), show), ratio(tools['ours']!, tools['rsync']!), goal])
  }
  try {
    if (want('fresh', 'resume')) {
      const src = tempDir('big-src')
      writeRandom(path.join(src, 'big.bin'), BIG)
      const data: FreshData = { src, files: 1, bytes: BIG, file: 'big.bin', dropCopies: true }
      if (want('fresh')) {
        const tools = await interleave('fresh', freshTools(data, 'plain', syncthing))
        row(`one ${big} file, fresh receiver`, tools, 'median ≤ 0.5× rsync, no round slower than rsync')
        rows.push(...(await streamFloorRows(path.join(src, 'big.bin'), tools['rsync']!)))
      }
      if (want('resume')) {
        const tools = await interleave('resume', freshTools(data, 'resume', syncthing))
        row(`a fresh pull of it, the sender killed (SIGKILL) at about half and restarted: from the restart`, tools, '≤ 1 block re-sent of what was verified')
      }
      rmSync(src, { recursive: true, force: true })
    }

    if (want('edit', 'append', 'rename')) {
      // One copy of the file per tool: a change in one tool's folder must not set another one off.
      const dirs = { ours: tempDir('edit-ours'), rsync: tempDir('edit-rsync'), syncthing: tempDir('edit-syncthing') }
      writeRandom(path.join(dirs.ours, 'big.bin'), BIG)
      for (const dir of [dirs.rsync, dirs.syncthing]) execFileSync('cp', [path.join(dirs.ours, 'big.bin'), dir])
      const tools: Record<string, Running> = { ours: new OursRunning(dirs.ours), rsync: new RsyncRunning(dirs.rsync) }
      if (syncthing) tools['syncthing'] = new SyncthingRunning(dirs.syncthing, 1)
      const changes: Array<[string, Change, string, string]> = []
      if (want('edit')) changes.push(['edit', midEdit, `4 KiB changed in the middle of a ${big} file (both sides in sync): write → the copy holds it`, '≤ 2 blocks on the wire; faster than rsync'])
      if (want('append')) changes.push(['append', append, `1 byte appended to it: likewise`, '≤ 2 blocks on the wire; faster than rsync'])
      if (want('rename')) changes.push(['rename', renameAndCopy, `it renamed, and a copy made in the same folder: mv → the copy holds both`, '0 bytes of content on the wire'])
      const results = await runningRows(tools, changes.map(([name, change]) => [name, change]))
      changes.forEach(([, , work, goal], i) => row(work, results[i]!, goal))
      for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true })
    }

    if (want('cp', 'small')) {
      const small = tempDir('small')
      const trees = Array.from({ length: want('cp') ? ROUNDS : 1 }, (_, round) => path.join(small, `tree${round}`))
      for (const tree of trees) smallTree(tree, SMALL_FILES)
      const tree = trees[0]!
      const count = SMALL_FILES.toLocaleString('en')
      if (want('small')) {
        const data: FreshData = { src: tree, files: SMALL_FILES, bytes: SMALL_FILES * 4096, dropCopies: false }
        const tools = await interleave('small', { ...freshTools(data, 'plain', syncthing), floor: floorFresh(data), floorTls: floorFresh(data, true) })
        row(`a fresh receiver pulling ${count} files of 4 KiB`, tools, '≤ 1.1× the bare-Node floor')
        rows.push(['  the bare-Node floor (bench/node-floor/), same run', cell(tools['floor']!), '—', '—', ratio(tools['floor']!, tools['rsync']!), `dropbox-sync ÷ floor: ${ratio(tools['ours']!, tools['floor']!)}`])
        rows.push(['  the same floor over mutual TLS 1.3, same run', cell(tools['floorTls']!), '—', '—', ratio(tools['floorTls']!, tools['rsync']!), `dropbox-sync ÷ TLS floor: ${ratio(tools['ours']!, tools['floorTls']!)}`])
      }
      if (want('cp')) {
        const seed = (name: string): string => {
          const dir = tempDir(`cp-${name}`)
          writeFileSync(path.join(dir, 'seed.txt'), 'a folder in sync before the copy')
          return dir
        }
        const tools: Record<string, Running> = {
          ours: new OursRunning(seed('ours')),
          rsync: new RsyncRunning(seed('rsync')),
          floor: new FloorRunning(seed('floor'), false),
          floorTls: new FloorRunning(seed('floor-tls'), true),
        }
        if (syncthing) tools['syncthing'] = new SyncthingRunning(seed('syncthing'), 1)
        const [results] = await runningRows(tools, [['cp', copyTree(trees, SMALL_FILES)]])
        const cpTools = results!
        row(`${count} files of 4 KiB copied (cp -r) into the sender's folder: cp returns → all in the copy (rsync: pulling them then)`, cpTools, '≤ 0.5× rsync')
        const floorRow = (label: string, floor: Outcome): void => {
          rows.push([label, cell(floor), '—', '—', ratio(floor, cpTools['rsync']!), `dropbox-sync ÷ floor: ${ratio(cpTools['ours']!, floor)}`])
        }
        floorRow('  the running bare-Node floor (bench/node-floor/watch-*.mjs: watch, hash, push; a connection per receiving thread), same run', cpTools['floor']!)
        floorRow('  the same floor over mutual TLS 1.3, same run', cpTools['floorTls']!)
      }
    }

    if (want('rss')) {
      const src = tempDir('rss-src')
      for (let i = 0; i < 8; i++) writeRandom(path.join(src, `part${i}.bin`), BIG / 4)
      const data: FreshData = { src, files: 8, bytes: 2 * BIG, dropCopies: true }
      row(`${sizeText(2 * BIG)} (8 files) to a fresh receiver: its peak RSS · time · wire`, await interleave('rss', freshTools(data, 'rss', syncthing)), '< 250 MB', 'rss')
    }
  } finally {
    cleanUp()
  }
  const note = ROUNDS > 1 ? `median (min–max) of ${ROUNDS} interleaved rounds · bytes on the wire` : 'one round · bytes on the wire'
  return { columns: ['work', `dropbox-sync: ${note}`, 'rsync (--no-whole-file, daemon)', 'Syncthing', 'dropbox-sync ÷ rsync', 'goal (issue 20)'], rows }
}
