// The one rule for paths that cross the wire: relative, `/`-separated, inside the folder.
// Pure, so the receiver, the sender and the UI all judge a path the same way.

export const MAX_PATH_BYTES = 4096
export const MAX_NAME_BYTES = 255

const encoder = new TextEncoder()

/** Why `path` may not be used inside a shared folder or a mirror, or null when it may. */
export function relativePathProblem(path: string): string | null {
  if (path.length === 0) return 'the path is empty'
  if (path.includes('\0')) return 'the path contains a NUL byte'
  if (path.startsWith('/')) return 'the path is absolute'
  if (/^[A-Za-z]:/.test(path)) return 'the path starts with a drive letter'
  if (path.includes('\\')) return 'the path contains a backslash'
  if (encoder.encode(path).length > MAX_PATH_BYTES) return `the path is longer than ${MAX_PATH_BYTES} bytes`
  for (const name of path.split('/')) {
    if (name === '') return 'the path has an empty segment'
    if (name === '.' || name === '..') return `the path has a "${name}" segment`
    if (encoder.encode(name).length > MAX_NAME_BYTES) return `a name in the path is longer than ${MAX_NAME_BYTES} bytes`
  }
  return null
}

/** The folder a peer's mirror lives in: `127.0.0.1_4000`, `2001-db8--1_4000` (no `:` in names). */
export function mirrorFolderName(ip: string, port: number): string {
  return `${ip.replace(/:/g, '-')}_${port}`
}
