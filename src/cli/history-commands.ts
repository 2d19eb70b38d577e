// `dropbox-sync history list|restore`: what a client's mirror history keeps (what peers deleted
// or overwrote), read straight from its files; the client need not be running.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, linkSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import type { Command } from 'commander'
import { STATE_FOLDER } from '../main/engine/mirror/mirror-coordinator'
import { historyFile, historyPeerFolders, historyRoot, readHistoryIndex, type HistoryEntry } from '../main/engine/mirror/history-index'
import { existingDirectory } from './options'
import { fail, mirrorFolder, peerOption, withMirrorFolder, type MirrorFolderOptions } from './mirror-folder-option'

interface Kept extends HistoryEntry {
  /** Where its content lies. */
  file: string
}

/** Every kept version in this mirror folder's history (of one peer, if given), oldest first. */
function keptVersions(mirror: string, peer?: string): Kept[] {
  const root = historyRoot(path.join(mirror, STATE_FOLDER))
  const all: Kept[] = []
  for (const folder of historyPeerFolders(root)) {
    for (const entry of readHistoryIndex(path.join(root, folder))) {
      if (peer === undefined || entry.peer === peer) all.push({ ...entry, file: historyFile(root, folder, entry.id) })
    }
  }
  return all.sort((a, b) => a.at - b.at)
}

/** Local time to the second, as `--at` takes it back. */
function when(at: number): string {
  const d = new Date(at)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** `--at`: a time Date.parse reads; given to the second (no fraction), the whole second counts. */
function parseAt(value: string): number {
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) fail(`--at ${JSON.stringify(value)} is not a time; give one as history list prints it, e.g. "2026-12-02 14:03:11"`)
  return /\.\d+/.test(value) ? ms : ms + 999
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

export function registerHistoryCommands(program: Command): void {
  const history = program
    .command('history')
    .description("what peers deleted or overwrote in this client's mirrors, kept for --keep-days: list it, restore a version")

  withMirrorFolder(history.command('list').description('list the kept versions: when, size, peer, why, path (oldest first)'))
    .option('--peer <ip:port>', 'only this peer\'s', peerOption)
    .option('--json', 'one JSON object per version, one per line')
    .action((opts: MirrorFolderOptions & { peer?: string; json?: boolean }) => {
      const mirror = mirrorFolder(opts)
      const versions = keptVersions(mirror, opts.peer)
      if (opts.json) {
        for (const v of versions) {
          process.stdout.write(`${JSON.stringify({ path: v.path, peer: v.peer, at: new Date(v.at).toISOString(), size: v.size, sha256: v.sha256, reason: v.reason })}\n`)
        }
        return
      }
      if (versions.length === 0) {
        process.stdout.write(`nothing is kept in the history of ${mirror}${opts.peer ? ` for ${opts.peer}` : ''}\n`)
        return
      }
      for (const v of versions) process.stdout.write(`${when(v.at)}  ${String(v.size).padStart(12)}  ${v.peer}  ${v.reason.padEnd(11)}  ${v.path}\n`)
    })

  withMirrorFolder(
    history
      .command('restore')
      .description('copy a kept version into a folder you pick (not a mirror: the next sync would undo it)')
      .argument('<path>', 'the file as history list shows it'),
  )
    .requiredOption('--to <dir>', 'the folder to restore into (it must exist, outside the mirror folder)', existingDirectory)
    .option('--peer <ip:port>', "the peer whose file it was (needed when several peers' histories hold the path)", peerOption)
    .option('--at <time>', 'the newest version kept at or before this time (default: the newest)')
    .option('--force', 'replace a file of that name in the folder')
    .action(async (rel: string, opts: MirrorFolderOptions & { to: string; peer?: string; at?: string; force?: boolean }) => {
      const mirror = mirrorFolder(opts)
      const to = realpathSync(opts.to)
      let mirrorReal = mirror
      try {
        mirrorReal = realpathSync(mirror)
      } catch {
        // No mirror folder: nothing to restore from either (said below).
      }
      if (isInside(to, mirrorReal)) {
        fail(`not restoring into ${opts.to}: it is inside the mirror folder ${mirror}, which the next sync makes match its peer again (the file would be removed); pick a folder outside it`)
      }
      const candidates = keptVersions(mirror, opts.peer).filter((v) => v.path === rel)
      if (candidates.length === 0) fail(`no version of ${rel} is kept in the history of ${mirror}${opts.peer ? ` for ${opts.peer}` : ''}; see dropbox-sync history list`)
      const peers = [...new Set(candidates.map((v) => v.peer))]
      if (peers.length > 1) fail(`${rel} is kept for several peers (${peers.join(', ')}); name one with --peer`)
      const limit = opts.at === undefined ? Infinity : parseAt(opts.at)
      const version = candidates.filter((v) => v.at <= limit).at(-1)
      if (!version) fail(`no version of ${rel} was kept at or before ${opts.at}; the first was kept ${when(candidates[0]!.at)}`)
      const target = path.join(to, path.basename(rel))
      if (!opts.force && statSync(target, { throwIfNoEntry: false })) fail(`${target} exists; --force replaces it`)
      const temp = path.join(to, `.dbs-restore-${process.pid}-${Date.now()}`)
      const problem = await restoreVia(version, temp, target, Boolean(opts.force)).catch((error: Error) => `restoring ${rel}: ${error.message}`)
      rmSync(temp, { force: true })
      if (problem) fail(problem)
      process.stdout.write(`restored ${rel} from ${version.peer} (${version.size} bytes, ${version.reason} ${when(version.at)}) to ${target}\n`)
    })
}

/** Copies the version to `temp`, checks it, then puts it at `target`; what went wrong, or null. */
async function restoreVia(version: Kept, temp: string, target: string, force: boolean): Promise<string | null> {
  const digest = await copyHashing(version.file, temp)
  if (digest !== version.sha256) {
    return `the kept copy of ${version.path} no longer has the content recorded for it (SHA-256 ${digest.slice(0, 12)}…, recorded ${version.sha256.slice(0, 12)}…); not restored`
  }
  if (force) {
    renameSync(temp, target)
    return null
  }
  try {
    // Never over a file that appeared meanwhile.
    linkSync(temp, target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return `${target} exists; --force replaces it`
    throw error
  }
  return null
}

/** Copies `from` to a new file `to`, returning the SHA-256 of what was copied. */
async function copyHashing(from: string, to: string): Promise<string> {
  const hash = createHash('sha256')
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      done(null, chunk)
    },
  })
  await pipeline(createReadStream(from), tap, createWriteStream(to, { flags: 'wx' }))
  return hash.digest('hex')
}
