// Folder contents as a comparable value: relative path -> SHA-256 of the bytes.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, type Dirent } from 'node:fs'
import path from 'node:path'

export function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (abs: string, prefix: string): void => {
    let entries: Dirent[]
    try {
      entries = readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(path.join(abs, entry.name), rel)
      else {
        // A file may vanish between listing and reading while a sync is under way: skip it.
        let bytes: Buffer
        try {
          bytes = readFileSync(path.join(abs, entry.name))
        } catch {
          continue
        }
        out[rel] = createHash('sha256').update(bytes).digest('hex')
      }
    }
  }
  walk(dir, '')
  return out
}

/** Every folder under `dir`, as relative paths, sorted. */
export function foldersOf(dir: string): string[] {
  const out: string[] = []
  const walk = (abs: string, prefix: string): void => {
    let entries: Dirent[]
    try {
      entries = readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name
      out.push(rel)
      walk(path.join(abs, entry.name), rel)
    }
  }
  walk(dir, '')
  return out.sort()
}

/** The folders a mirror of these files holds: each file's folder and the folders above it. */
export function foldersFor(files: string[]): string[] {
  const out = new Set<string>()
  for (const rel of files) {
    const parts = rel.split('/')
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join('/'))
  }
  return [...out].sort()
}

/** Where a client sharing `dir` (default mirror) keeps the mirror of the peer on `port`. */
export function mirrorOf(dir: string, port: number, ip = '127.0.0.1'): string {
  return `${dir}-mirrors/${ip.replace(/:/g, '-')}_${port}`
}
