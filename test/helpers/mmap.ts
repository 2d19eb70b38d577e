// Writes through a memory mapping (python3's mmap), as databases do: the file keeps its size,
// its mtime moves, and no watch sees it (inotify reports no write made this way).
import { execFileSync } from 'node:child_process'

/** Overwrites the start of `file` with `text` (ASCII) through a memory mapping. */
export function writeThroughMmap(file: string, text: string): void {
  const script = `import mmap\nf = open(${JSON.stringify(file)}, 'r+b')\nm = mmap.mmap(f.fileno(), 0)\nm[0:${text.length}] = ${JSON.stringify(text)}.encode()\nm.flush()\nm.close()\nf.close()`
  execFileSync('python3', ['-c', script])
}
