// Folder contents as a comparable value: relative path -> SHA-256 of the bytes.
import { createHash } from 'node:crypto'
import { closeSync, openSync, readdirSync, readFileSync, writeSync, type Dirent } from 'node:fs'
import path from 'node:path'
import { deviceFolderName } from '../../src/shared/paths'
import { deviceOnPort } from './devices-by-port'

/** Calls `visit` for every entry under `dir`, depth first, with its path relative to `dir`. */
function walkTree(dir: string, visit: (rel: string, abs: string, entry: Dirent) => void): void {
  const walk = (abs: string, prefix: string): void => {
    let entries: Dirent[]
    try {
      entries = readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name
      const child = path.join(abs, entry.name)
      visit(rel, child, entry)
      if (entry.isDirectory()) walk(child, rel)
    }
  }
  walk(dir, '')
}

/** SHA-256 of content: what treeOf compares trees by (not a version). */
export function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest()
}

export function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  walkTree(dir, (rel, abs, entry) => {
    if (entry.isDirectory()) return
    // A file may vanish between listing and reading while a sync is under way: skip it.
    let bytes: Buffer
    try {
      bytes = readFileSync(abs)
    } catch {
      return
    }
    out[rel] = sha256(bytes).toString('hex')
  })
  return out
}

/** Every folder under `dir`, as relative paths, sorted. */
export function foldersOf(dir: string): string[] {
  const out: string[] = []
  walkTree(dir, (rel, _abs, entry) => {
    if (entry.isDirectory()) out.push(rel)
  })
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

/**
 * Where a client sharing `dir` (default mirror) keeps the mirror of the peer on `port`: its
 * device's folder when a CLI client of this test listened there, else the old `IP_PORT` name.
 */
export function mirrorOf(dir: string, port: number, ip = '127.0.0.1'): string {
  return `${dir}-mirrors/${peerFolderName(port, ip)}`
}

/** The name of the peer on `port`'s mirror folder inside any mirror root (see mirrorOf). */
export function peerFolderName(port: number, ip = '127.0.0.1'): string {
  const device = deviceOnPort(port)
  return device ? deviceFolderName(device.name, device.id) : `${ip.replace(/:/g, '-')}_${port}`
}

/** Overwrites `bytes.length` bytes of `file` at `offset`, in place (size and the rest kept). */
export function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, bytes, 0, bytes.length, offset)
  } finally {
    closeSync(fd)
  }
}
