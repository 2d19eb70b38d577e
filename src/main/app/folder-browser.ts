// The folder browser the headless page offers where no native picker exists: the sub-folders of
// one absolute path on the machine running the engine. Directories only (a link is not followed,
// as the engine follows none), names sorted with hidden ones last; a folder that cannot be read
// is listed as such and never entered.
import { constants } from 'node:fs'
import { access, readdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import type { FolderEntry, FolderListing } from '../../shared/contract'

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'it does not exist'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'ENOTDIR') return 'it is not a folder'
  return error instanceof Error ? error.message : String(error)
}

/** Whether we may list a folder and go into it (read and search permission). */
async function canEnter(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.R_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Lists the sub-folders of `dir` (the home folder when null), or says in words why it cannot. */
export async function listFolders(dir: string | null, home = homedir()): Promise<FolderListing> {
  const target = dir ?? home
  const refuse = (message: string): FolderListing => ({ ok: false, path: target, home, message })
  if (!path.isAbsolute(target)) return refuse(`Cannot list "${target}": give a full path, e.g. ${home}.`)
  const folder = path.resolve(target)
  try {
    if (!(await stat(folder)).isDirectory()) return refuse(`Cannot list ${folder}: it is not a folder.`)
  } catch (error) {
    return refuse(`Cannot list ${folder}: ${why(error)}.`)
  }
  if (!(await canEnter(folder))) return refuse(`Cannot list ${folder}: permission denied (this folder cannot be read by the user running dropbox-sync).`)
  let names: string[]
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name)
  } catch (error) {
    return refuse(`Cannot list ${folder}: ${why(error)}.`)
  }
  const folders: FolderEntry[] = await Promise.all(
    names.map(async (name) => {
      const full = path.join(folder, name)
      return { name, path: full, hidden: name.startsWith('.'), readable: await canEnter(full) }
    }),
  )
  folders.sort((a, b) => Number(a.hidden) - Number(b.hidden) || collator.compare(a.name, b.name))
  const parent = path.dirname(folder)
  return { ok: true, path: folder, parent: parent === folder ? null : parent, home, folders }
}
