// What the settings schema cannot know without the disk: the shared folder exists and may be shared,
// and the mirror folder is (or can become) a folder that neither contains nor lies inside it, nor
// inside another mirror, symlinks resolved (the rules of engine/client/folder-pair.ts, as sentences).
import { statSync } from 'node:fs'
import path from 'node:path'
import { capitalized } from '../../shared/capitalized'
import { overlaps, type FieldErrors, type Settings } from '../../shared/settings'
import { defaultMirrorDir } from '../engine/client/client-node'
import { nestedMirrorProblem, realish, sharedFolderProblem } from '../engine/client/folder-pair'

function kindOf(p: string): 'folder' | 'file' | 'missing' {
  try {
    return statSync(p).isDirectory() ? 'folder' : 'file'
  } catch {
    return 'missing'
  }
}

/** The mirror folder the client will use: the one chosen, or the engine's default beside the folder. */
export function mirrorFolderOf(settings: Settings): string {
  return settings.mirrorFolder.trim() || defaultMirrorDir(settings.folder)
}

export function folderProblems(settings: Settings): FieldErrors {
  if (settings.role !== 'client') return {}
  const errors: FieldErrors = {}
  const folder = kindOf(settings.folder)
  if (folder === 'missing') errors.folder = `There is no folder at ${settings.folder}.`
  else if (folder === 'file') errors.folder = `${settings.folder} is a file, not a folder.`
  else {
    const unshareable = sharedFolderProblem(settings.folder)
    if (unshareable) errors.folder = sentence(unshareable)
  }
  // A default mirror folder follows the shared folder: nothing more to say until that one is right.
  if (errors.folder && !settings.mirrorFolder.trim()) return errors
  const mirrorFolder = mirrorFolderOf(settings)
  const mirror = kindOf(mirrorFolder)
  if (mirror === 'file') errors.mirrorFolder = `${mirrorFolder} is a file, not a folder.`
  else if (mirror === 'missing' && kindOf(path.dirname(mirrorFolder)) !== 'folder') {
    errors.mirrorFolder = `Cannot create ${mirrorFolder}: the folder it would go in does not exist.`
  }
  if (!errors.folder && !errors.mirrorFolder && overlaps(realish(settings.folder), realish(mirrorFolder))) {
    errors.mirrorFolder = 'The mirror folder must be outside the shared folder (and not contain it).'
  }
  const nested = errors.mirrorFolder ? null : nestedMirrorProblem(mirrorFolder)
  if (nested) errors.mirrorFolder = sentence(nested)
  return errors
}

/** The engine's problems follow an `error:` in the terminal; the form shows sentences. */
function sentence(problem: string): string {
  return `${capitalized(problem)}.`
}
