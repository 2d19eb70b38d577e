// The name this device last went by from the terminal (`--name`), kept in its config folder as
// `name.txt`, so a restart without `--name` keeps the name peers, `ctl` and `history` know it by
// instead of falling back to the host name. The desktop app keeps its own in its settings.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from '../folder/atomic-write'
import { deviceNameProblem } from '../protocol/codec'
import { readTextIfThere } from '../util/read-text-file'

export const NAME_FILE = 'name.txt'

/** The saved name; null where none is saved. A file that holds no valid name is an Error naming it. */
export function readSavedName(configDir: string): string | null {
  const file = path.join(configDir, NAME_FILE)
  const text = readTextIfThere(file)
  if (text === null) return null
  const name = text.replace(/\r?\n$/, '')
  const problem = deviceNameProblem(name)
  if (problem) throw new Error(`${file} holds no valid device name (${problem}); delete it or start with --name NAME`)
  return name
}

/** Keeps `name` for the next start (written only when it changed: a start does not rewrite it). */
export async function saveName(configDir: string, name: string): Promise<void> {
  let saved: string | null = null
  try {
    saved = readSavedName(configDir)
  } catch {
    // A damaged file is replaced by the name just given.
  }
  if (saved === name) return
  mkdirSync(configDir, { recursive: true, mode: 0o700 })
  await writeFileAtomic(path.join(configDir, NAME_FILE), `${name}\n`, 0o644)
}
