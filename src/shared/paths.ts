// The one rule for paths that cross the wire: relative, `/`-separated, inside the folder.
// Pure, so the receiver, the sender and the UI all judge a path the same way.

export const MAX_PATH_BYTES = 4096
export const MAX_NAME_BYTES = 255

/**
 * Bytes of `text` in UTF-8, counted without encoding it (this runs for every path of every list).
 * A UTF-16 unit is at most 3 bytes, so only text longer than a third of the limit is counted.
 */
function utf8LongerThan(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair is one code point: 4 bytes.
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes > limit
}

/** Why `path` may not be used inside a shared folder or a mirror, or null when it may. */
export function relativePathProblem(path: string): string | null {
  return plainRelativePath(path) ? null : pathProblem(path)
}

const SLASH = 0x2f
const DOT = 0x2e

/**
 * One pass over the path that accepts only what every rule of pathProblem accepts (it runs for
 * each path of every list, on both sides): a path it does not vouch for is judged by those rules.
 * Names of at most a third of their byte limit in UTF-16 units cannot pass it in UTF-8.
 */
function plainRelativePath(path: string): boolean {
  const length = path.length
  if (length === 0 || length * 3 > MAX_PATH_BYTES) return false
  let start = 0
  for (let i = 0; i <= length; i++) {
    const unit = i < length ? path.charCodeAt(i) : SLASH
    if (unit === SLASH) {
      const name = i - start
      if (name === 0 || name * 3 > MAX_NAME_BYTES) return false
      if (path.charCodeAt(start) === DOT && (name === 1 || (name === 2 && path.charCodeAt(start + 1) === DOT))) return false
      start = i + 1
    } else if (unit === 0 || unit === 0x5c || (unit === 0x3a && i === 1)) {
      // NUL, a backslash, or a colon where a drive letter's would be.
      return false
    }
  }
  return true
}

/** The full rules, in the order their messages are chosen; exported for the test that holds the fast pass to them. */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'the path is empty'
  if (path.includes('\0')) return 'the path contains a NUL byte'
  if (path.startsWith('/')) return 'the path is absolute'
  if (/^[A-Za-z]:/.test(path)) return 'the path starts with a drive letter'
  if (path.includes('\\')) return 'the path contains a backslash'
  if (utf8LongerThan(path, MAX_PATH_BYTES)) return `the path is longer than ${MAX_PATH_BYTES} bytes`
  for (const name of path.split('/')) {
    if (name === '') return 'the path has an empty segment'
    if (name === '.' || name === '..') return `the path has a "${name}" segment`
    if (utf8LongerThan(name, MAX_NAME_BYTES)) return `a name in the path is longer than ${MAX_NAME_BYTES} bytes`
  }
  return null
}

/**
 * The folder an earlier version kept a peer's mirror in, by address: `127.0.0.1_4000`,
 * `2001-db8--1_4000` (no `:` in names). Mirrors now follow devices (deviceFolderName); a folder
 * of this name is adopted by the device first seen at that address and port.
 */
export function mirrorFolderName(ip: string, port: number): string {
  return `${ip.replace(/:/g, '-')}_${port}`
}

/** The longest a device's name may be in its mirror folder's name (before `-SHORTID`). */
export const MAX_SAFE_NAME = 40
/** What a name with nothing usable in it becomes. */
export const UNNAMED_DEVICE = 'device'

/** Letters that do not fall apart into a plain letter and marks (NFKD), spelled in ASCII. */
const SPELLED: Record<string, string> = {
  ß: 'ss', ẞ: 'SS', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D', ð: 'd', Ð: 'D',
  þ: 'th', Þ: 'TH', ł: 'l', Ł: 'L', ı: 'i', ħ: 'h', Ħ: 'H', ŧ: 't', Ŧ: 'T', ŋ: 'ng', Ŋ: 'NG',
}

/**
 * A device's name as a folder name every file system takes as it is: ASCII letters and digits,
 * `-`, `_` and `.`; spaces (any run of white space) become `-`; accented letters lose their
 * accents (`é` → `e`, `ß` → `ss`); every other character is dropped. At most MAX_SAFE_NAME
 * characters, never empty, never `.` or `..`, never starting with `.` (a hidden folder) nor
 * ending with `.` (Windows drops it).
 */
export function safeDeviceName(name: string): string {
  let out = ''
  for (const char of name.normalize('NFKD')) {
    if (/^[A-Za-z0-9_.-]$/.test(char)) out += char
    else if (/^\s$/u.test(char)) out += '-'
    else if (SPELLED[char] !== undefined) out += SPELLED[char]
    // Anything else (marks left by NFKD, punctuation, other scripts, controls) is dropped.
  }
  out = out.replace(/-{2,}/g, '-').replace(/^[.-]+/, '').slice(0, MAX_SAFE_NAME).replace(/[.-]+$/, '')
  return out === '' ? UNNAMED_DEVICE : out
}

/**
 * The folder a device's mirror lives in: `NAME-SHORTID`, the safe name and the first `idChars`
 * characters of its device ID as people read it (dashes left out): 7 is the ID's short form;
 * more when the short form is already another device's (see device-folders.ts).
 */
export function deviceFolderName(name: string, idText: string, idChars = 7): string {
  return `${safeDeviceName(name)}-${idText.replace(/-/g, '').slice(0, idChars)}`
}
