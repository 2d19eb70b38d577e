// The History screen's side in main: a client's mirror history read from the mirror folder the saved
// settings name (the engine's own reader and restore, as `dropbox-sync history` uses them), and a
// restore into a folder the user picked that never replaces a file there: a taken name gets a
// free one, `name (restored DATE).ext`.
import path from 'node:path'
import { capitalized } from '../../shared/capitalized'
import type { HistoryListRequest, HistoryMirrors, HistoryPage, HistoryRestoreReply } from '../../shared/contract'
import type { Settings } from '../../shared/settings'
import { historyPage, keptVersion, keptVersions, mirrorHistories } from '../engine/mirror/history-reader'
import { RestoreError, restoreVersion } from '../engine/mirror/history-restore'
import { mirrorFolderOf } from './folder-checks'

type Refused = { ok: false; message: string }

/** The mirror folder of a client set up enough to have one, or why there is none. */
function mirrorRootOf(settings: Settings): { root: string } | Refused {
  if (settings.role !== 'client') return { ok: false, message: 'This machine is the server: it mirrors nothing, so it keeps no history. The History screen is for clients.' }
  if (!settings.folder.trim()) return { ok: false, message: 'Nothing is mirrored yet: choose the folder to share in Settings and Save.' }
  return { root: mirrorFolderOf(settings) }
}

export class HistoryService {
  constructor(private readonly settings: () => Settings) {}

  mirrors(): HistoryMirrors {
    const settings = this.settings()
    const at = mirrorRootOf(settings)
    if ('ok' in at) return at
    return { ok: true, mirrorRoot: at.root, keepDays: settings.keepDays, mirrors: mirrorHistories(at.root) }
  }

  list(request: HistoryListRequest): HistoryPage {
    const at = mirrorRootOf(this.settings())
    if ('ok' in at) return at
    const page = historyPage(keptVersions(at.root, { folder: request.folder }), request)
    return {
      ok: true,
      folder: request.folder,
      entries: page.entries.map(({ id, path: rel, peer, at: when, size, reason }) => ({ id, path: rel, peer, at: when, size, reason })),
      total: page.total,
      more: page.more,
    }
  }

  async restore(request: { folder: string; id: string; to: string }): Promise<HistoryRestoreReply> {
    const at = mirrorRootOf(this.settings())
    if ('ok' in at) return at
    if (!path.isAbsolute(request.to)) return { ok: false, message: `Give the full path of the folder to restore into, e.g. ${path.join(path.sep, 'home', 'you', 'Restored')}.` }
    const version = keptVersion(at.root, request.folder, request.id)
    if (!version) return { ok: false, message: 'That version is no longer kept (it expired, or the history was cleared). Refresh the list.' }
    try {
      const { target, renamed } = await restoreVersion(version, at.root, request.to, 'keep-both')
      return { ok: true, path: target, renamed }
    } catch (error) {
      if (error instanceof RestoreError) return { ok: false, message: sentence(error.message) }
      return { ok: false, message: `Could not restore ${version.path}: ${(error as Error).message}` }
    }
  }
}

/** The engine's messages follow a code in a log, in lower case; the window shows sentences. */
function sentence(message: string): string {
  return `${capitalized(message)}.`
}
