// `dropbox-sync history list|restore`: what a client's mirror history keeps (what peers deleted
// or overwrote), read straight from its files; the client need not be running.
import type { Command } from 'commander'
import { historyPeer, keptVersions } from '../main/engine/mirror/history-reader'
import { restoreFolder, RestoreError, restoreVersion } from '../main/engine/mirror/history-restore'
import { existingDirectory } from './options'
import { fail, mirrorFolder, usage, withMirrorFolder, type MirrorFolderOptions } from './mirror-folder-option'

/** Local time to the second, as `--at` takes it back. */
function when(at: number): string {
  const d = new Date(at)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** `--at`: a time Date.parse reads; given to the second (no fraction), the whole second counts. */
function parseAt(value: string): number {
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) usage(`--at ${JSON.stringify(value)} is not a time; give one as history list prints it, e.g. "2026-12-02 14:03:11"`)
  return /\.\d+/.test(value) ? ms : ms + 999
}

/** `--peer`: whose versions (a mirror folder, or an address), or a usage error (one line, exit 2) saying which peers there are. */
function peerFilter(mirror: string, peer: string | undefined): { folder?: string; peer?: string } {
  if (peer === undefined) return {}
  const found = historyPeer(mirror, peer)
  if ('error' in found) usage(found.error)
  return 'folder' in found ? { folder: found.folder } : { peer: found.address }
}

export function registerHistoryCommands(program: Command): void {
  const history = program
    .command('history')
    .description("what peers deleted or overwrote in this client's mirrors, kept for --keep-days: list it, restore a version")

  withMirrorFolder(history.command('list').description("list the kept versions: when, size, the peer's mirror folder, why, path (oldest first)"))
    .option('--peer <peer>', "only this peer's: its device name, device ID, mirror folder or IP:PORT")
    .option('--json', 'one JSON object per version, one per line')
    .action((opts: MirrorFolderOptions & { peer?: string; json?: boolean }) => {
      const mirror = mirrorFolder(opts)
      const versions = keptVersions(mirror, peerFilter(mirror, opts.peer))
      if (opts.json) {
        for (const v of versions) {
          process.stdout.write(`${JSON.stringify({ path: v.path, peer: v.peer, folder: v.folder, at: new Date(v.at).toISOString(), size: v.size, ...(v.version ? { version: v.version } : { sha256: v.sha256 }), reason: v.reason })}\n`)
        }
        return
      }
      if (versions.length === 0) {
        process.stdout.write(`nothing is kept in the history of ${mirror}${opts.peer ? ` for ${opts.peer}` : ''}\n`)
        return
      }
      // The peer by its mirror folder (the device), which outlives the address it had then.
      for (const v of versions) process.stdout.write(`${when(v.at)}  ${String(v.size).padStart(12)}  ${v.folder}  ${v.reason.padEnd(11)}  ${v.path}\n`)
    })

  withMirrorFolder(
    history
      .command('restore')
      .description('copy a kept version into a folder you pick (not a mirror: the next sync would undo it)')
      .argument('<path>', 'the file as history list shows it'),
  )
    .requiredOption('--to <dir>', 'the folder to restore into (it must exist, outside the mirror folder)', existingDirectory)
    .option('--peer <peer>', "the peer whose file it was, as list's --peer takes it (needed when several peers' histories hold the path)")
    .option('--at <time>', 'the newest version kept at or before this time (default: the newest)')
    .option('--force', 'replace a file of that name in the folder')
    .action(async (rel: string, opts: MirrorFolderOptions & { to: string; peer?: string; at?: string; force?: boolean }) => {
      // A bad value is said as such, whatever the history holds.
      const limit = opts.at === undefined ? Infinity : parseAt(opts.at)
      const mirror = mirrorFolder(opts)
      try {
        // Said first: whatever PATH is, that folder is the wrong place. A bad --to, as one that does not exist is.
        restoreFolder(opts.to, mirror)
      } catch (error) {
        usage(`--to: ${(error as Error).message}`)
      }
      const candidates = keptVersions(mirror, peerFilter(mirror, opts.peer)).filter((v) => v.path === rel)
      if (candidates.length === 0) fail(`no version of ${rel} is kept in the history of ${mirror}${opts.peer ? ` for ${opts.peer}` : ''}; see dropbox-sync history list`)
      const peers = [...new Set(candidates.map((v) => v.folder))]
      if (peers.length > 1) fail(`${rel} is kept for several peers (${peers.join(', ')}); name one with --peer`)
      const version = candidates.filter((v) => v.at <= limit).at(-1)
      if (!version) fail(`no version of ${rel} was kept at or before ${opts.at}; the first was kept ${when(candidates[0]!.at)}`)
      const restored = await restoreVersion(version, mirror, opts.to, opts.force ? 'replace' : 'refuse').catch((error: Error) => {
        if (error instanceof RestoreError && error.code === 'exists') fail(`${error.target} exists; --force replaces it`)
        fail(error instanceof RestoreError ? error.message : `restoring ${rel}: ${error.message}`)
      })
      const target = restored.target
      process.stdout.write(`restored ${rel} from ${version.folder} (${version.size} bytes, ${version.reason} ${when(version.at)}) to ${target}\n`)
    })
}
