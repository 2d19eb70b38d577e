// A small config file read whole as UTF-8: absent is null, any other failure an Error naming it.
import { readFileSync } from 'node:fs'

export function readTextIfThere(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new Error(`cannot read ${file}: ${(error as Error).message}`)
  }
}
