// Settings → Ignore patterns in main: the saved shared folder's `.syncignore`, read as the engine
// reads it and written atomically into the folder, where the running engine picks it up itself.
import path from 'node:path'
import type { IgnorePatterns, IgnoreSaveReply } from '../../shared/contract'
import { ignoreTextProblem } from '../../shared/ignore-patterns'
import type { Settings } from '../../shared/settings'
import { DEFAULT_IGNORES, IGNORE_FILE, readIgnoreFile, writeIgnoreFile } from '../engine/folder/ignore-rules'
import { folderProblems } from './folder-checks'

/** The shared folder of a client whose saved folder exists, or why there is none. */
function sharedFolderOf(settings: Settings): { folder: string } | { ok: false; message: string } {
  if (settings.role !== 'client') return { ok: false, message: 'This machine is the server: it shares no folder, so it has no ignore patterns.' }
  if (!settings.folder.trim()) return { ok: false, message: 'Choose the folder to share and Save; its ignore patterns can be edited here then.' }
  const problem = folderProblems(settings).folder
  if (problem) return { ok: false, message: problem }
  return { folder: settings.folder }
}

export class IgnoreService {
  constructor(private readonly settings: () => Settings) {}

  get(): IgnorePatterns {
    const at = sharedFolderOf(this.settings())
    if ('ok' in at) return at
    const read = readIgnoreFile(at.folder)
    const file = path.join(at.folder, IGNORE_FILE)
    const defaults = [...DEFAULT_IGNORES]
    if (read === 'absent') return { ok: true, file, text: null, problem: null, defaults }
    if ('problem' in read) return { ok: true, file, text: null, problem: `${IGNORE_FILE} is not used: ${read.problem}. Saving here replaces it.`, defaults }
    return { ok: true, file, text: read.text, problem: null, defaults }
  }

  async save(text: string): Promise<IgnoreSaveReply> {
    const at = sharedFolderOf(this.settings())
    if ('ok' in at) return at
    const problem = ignoreTextProblem(text)
    if (problem) return { ok: false, message: problem }
    try {
      await writeIgnoreFile(at.folder, text)
    } catch (error) {
      return { ok: false, message: `Could not write ${path.join(at.folder, IGNORE_FILE)}: ${(error as Error).message}` }
    }
    return { ok: true, patterns: this.get() }
  }
}
