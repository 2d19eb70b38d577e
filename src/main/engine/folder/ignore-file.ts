// The rules in force for one shared folder, from its `.syncignore` (ignore-rules.ts), and what is
// said about the file.
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { ignoreLineProblems, skippedLinesMessage } from '../../../shared/ignore-patterns'
import { IGNORE_FILE, ignoreRules, readIgnoreFile, type IgnoreRead, type IgnoreRules } from './ignore-rules'

function isProblem(read: IgnoreRead): read is { problem: string } {
  return typeof read === 'object' && 'problem' in read
}

/**
 * A bad file (unreadable, not UTF-8, too large) leaves the rules as they were, so a typo never
 * shares or unshares everything; lines the rules skip leave the rest in force. Each is said once
 * per distinct problem, and forgotten once fixed.
 */
export class IgnoreFile {
  private current: IgnoreRules | null = null
  /** What was said about the file (`ignore-file-invalid`) and about its lines (`ignore-lines-skipped`). */
  private fileProblemSaid: string | null = null
  private linesSaid: string | null = null

  constructor(
    readonly root: string,
    private readonly onEvent: EventSink,
  ) {}

  /** Reads the file again; true when the rules in force changed (or were set for the first time). */
  async load(): Promise<boolean> {
    return this.take(readIgnoreFile(this.root))
  }

  /** Whether `rel` is not shared; nothing is ignored before the first load (nothing is indexed then). */
  ignores(rel: string, isFolder: boolean): boolean {
    return this.current?.ignores(rel, isFolder) ?? false
  }

  private async take(read: IgnoreRead): Promise<boolean> {
    const file = path.join(this.root, IGNORE_FILE)
    if (isProblem(read)) {
      const first = this.current === null
      this.current ??= await ignoreRules(null)
      if (this.fileProblemSaid !== read.problem) {
        this.fileProblemSaid = read.problem
        const kept = this.current.fileText === null ? 'the built-in defaults stay in force' : 'the previous rules stay in force'
        this.onEvent({ type: 'error', code: 'ignore-file-invalid', message: `${file} is not used: ${read.problem}; ${kept}` })
      }
      return first
    }
    this.fileProblemSaid = null
    const text = read === 'absent' ? null : read.text
    if (this.current && this.current.fileText === text) return false
    this.current = await ignoreRules(text)
    // The package skips these lines without a word; the rest of the file is in force, as in git.
    const lines = text === null ? null : skippedLinesMessage(ignoreLineProblems(text), "; the file's other lines are in force")
    if (lines !== null && lines !== this.linesSaid) this.onEvent({ type: 'error', code: 'ignore-lines-skipped', message: `${file}: ${lines}` })
    this.linesSaid = lines
    return true
  }
}
