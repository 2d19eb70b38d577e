// What the app may save as a shared folder's `.syncignore`, judged without I/O: by the form as the
// user types and by main before it writes; the engine names the same lines in a file written by
// hand. The `ignore` package skips some lines without a word (a `!` with no pattern, a pattern
// ending in a lone backslash); they are named here instead, so a pattern never silently does nothing.
import { capitalized } from './capitalized'

/** Larger is refused: a `.syncignore` is a list of patterns, and the page's frames are 1 MiB. */
export const MAX_IGNORE_EDIT_BYTES = 256 * 1024

export interface IgnoreLineProblem {
  /** 1-based. */
  line: number
  text: string
  why: string
}

/** Lines listed in one message at most; the rest are counted. */
const LISTED = 5

function endsInLoneBackslash(body: string): boolean {
  let count = 0
  while (body[body.length - 1 - count] === '\\') count++
  return count % 2 === 1
}

/**
 * The lines the `ignore` package skips although they are neither blank nor comments, read as it
 * (and git) reads them: a BOM before the first line dropped, `!` taken off, trailing spaces
 * trimmed unless a backslash escapes the last one.
 */
export function ignoreLineProblems(text: string): IgnoreLineProblem[] {
  const problems: IgnoreLineProblem[] = []
  const lines = (text.endsWith('\r') ? text.slice(0, -1) : text).split(/\r?\n/)
  lines.forEach((raw, index) => {
    let body = index === 0 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw
    if (body.startsWith('#')) return
    const negative = body.startsWith('!')
    if (negative) body = body.slice(1)
    const trimmed = body.replace(/ +$/, '')
    // An escaped last space stays, and then the line does not end in a backslash.
    body = trimmed.length < body.length && endsInLoneBackslash(trimmed) ? `${trimmed} ` : trimmed
    if (!body) {
      if (negative) problems.push({ line: index + 1, text: raw, why: 'is a "!" with no pattern after it' })
      return
    }
    if (endsInLoneBackslash(body)) problems.push({ line: index + 1, text: raw, why: 'ends in a backslash that escapes nothing' })
  })
  return problems
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`
}

/**
 * The skipped lines among `problems`, in one message starting in lower case (null: none).
 * `besides`: what the reader should know before the advice (the engine says the rest is in force).
 */
export function skippedLinesMessage(problems: readonly IgnoreLineProblem[], besides = ''): string | null {
  if (problems.length === 0) return null
  const named = problems.slice(0, LISTED).map((p) => `line ${p.line} ("${p.text}") ${p.why}`).join('; ')
  const more = problems.length > LISTED ? `; and ${problems.length - LISTED} more` : ''
  const these = problems.length === 1 ? ['such a line, so it ignores nothing', 'Fix it or take it out.'] : ['such lines, so they ignore nothing', 'Fix them or take them out.']
  return `${named}${more}: the ignore rules skip ${these[0]}${besides}. ${these[1]}`
}

/** Why `text` cannot be saved as the ignore file, in one message; null when it can. */
export function ignoreTextProblem(text: string): string | null {
  const bytes = new TextEncoder().encode(text).length
  if (bytes > MAX_IGNORE_EDIT_BYTES) {
    return `The patterns take ${kib(bytes)}; at most ${kib(MAX_IGNORE_EDIT_BYTES)} can be saved. A folder pattern such as build/ covers everything below it.`
  }
  const message = skippedLinesMessage(ignoreLineProblems(text))
  return message && capitalized(message)
}
