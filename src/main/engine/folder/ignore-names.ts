// The built-in ignore rules as one regular expression, asked where no `.syncignore` adds rules of
// its own: each default is a name that matches at any depth (or, with a leading slash, at the
// root only), so a path is ignored when any of its names matches, itself or a folder above it.
// The `ignore` package answers the same (test/engine/ignore-names.test.ts holds them to it); a
// pattern this does not translate leaves the package to answer.

/** A character a regular expression takes literally. */
function literal(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c
}

/**
 * The regular expression of one name's glob: `*` and `?` within the name, a set of letters and
 * digits in brackets, `\` before a character taken as it is. Null for anything more (a slash,
 * `**`, a negated or ranged set, a trailing space or backslash), which only the package reads.
 */
export function nameGlobSource(glob: string): string | null {
  if (glob === '' || glob.endsWith(' ')) return null
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') return null
      source += '[^/]*'
    } else if (c === '?') {
      source += '[^/]'
    } else if (c === '\\') {
      const next = glob[++i]
      if (next === undefined) return null
      source += literal(next)
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      const set = end < 0 ? '' : glob.slice(i + 1, end)
      if (!/^[A-Za-z0-9]+$/.test(set)) return null
      source += `[${set}]`
      i = end
    } else if (c === '/') {
      return null
    } else {
      source += literal(c)
    }
  }
  return source
}

/**
 * One test of a relative path ('/'-separated, no trailing slash) against `patterns`, answering as
 * the package would for the file or folder there; null when a pattern is more than a name (with
 * a `/` before it at most), a negation or a comment. Each name of the path is tried where it
 * starts, in place: no path is split, no answer kept.
 */
export function namePatternsTest(patterns: readonly string[]): ((rel: string) => boolean) | null {
  const anywhere: string[] = []
  const atRoot: string[] = []
  /** Names ending in one of these (`*.swp`): one scan of the name for all of them, not one each. */
  const endings: string[] = []
  for (const pattern of patterns) {
    if (pattern.startsWith('!') || pattern.startsWith('#')) return null
    const rooted = pattern.startsWith('/')
    const glob = rooted ? pattern.slice(1) : pattern
    const source = nameGlobSource(glob)
    if (source === null) return null
    if (!rooted && /^\*[^*?[\\]+$/.test(glob)) endings.push(source.slice('[^/]*'.length))
    else (rooted ? atRoot : anywhere).push(source)
  }
  if (endings.length) anywhere.push(`[^/]*(?:${endings.join('|')})`)
  // Sticky: each matches a whole name from where it is set to start, or not at all.
  const sticky = (sources: string[]): RegExp | null => (sources.length ? new RegExp(`(?:${sources.join('|')})(?:/|$)`, 'y') : null)
  const [rootName, anyName] = [sticky(atRoot), sticky(anywhere)]
  const matchesAt = (name: RegExp, rel: string, at: number): boolean => {
    name.lastIndex = at
    return name.test(rel)
  }
  return (rel) => {
    if (rootName && matchesAt(rootName, rel, 0)) return true
    if (!anyName) return false
    for (let at = 0; ; ) {
      if (matchesAt(anyName, rel, at)) return true
      const slash = rel.indexOf('/', at)
      if (slash < 0) return false
      at = slash + 1
    }
  }
}
