// The rules in force for one shared folder, from its `.syncignore` (ignore-rules.ts). What the
// file says while the client runs is taken once the file holds still, as a file being written
// is hashed only then (settle-gate.ts): a half-written file would apply half its rules, and a
// read in mid-write would report problems that are gone a moment later.
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { ignoreLineProblems, skippedLinesMessage } from '../../../shared/ignore-patterns'
import { IGNORE_FILE, ignoreRules, lookAtIgnoreFile, type IgnoreRead, type IgnoreRules } from './ignore-rules'
import { MAX_SETTLE_MS, SETTLE_BASE_MS, SNAPSHOT_AFTER_MS } from './settle-gate'

/** A look that found the file other than what is in force, waiting for a look that finds it unchanged. */
export interface IgnoreWait {
  /** The file's stamp at that look (lookAtIgnoreFile); null: it changed while it was read. */
  stamp: string | null
  /** When that look was. */
  at: number
  /** Looks in a row that found the file changed: each doubles the wait, as for a file still growing. */
  changes: number
  /** The first look of this wait. */
  since: number
}

/** How long a file found changed `changes` times in a row must hold still. */
function stillFor(changes: number): number {
  return Math.min(MAX_SETTLE_MS, SETTLE_BASE_MS * 2 ** (changes - 1))
}

/**
 * Pure: whether a look at `now` that found the file with `stamp` is to be taken (it held still
 * since the last look, long enough; or it kept changing for `limitMs`), or else the wait after it
 * and when to look again.
 */
export function ignoreFileVerdict(
  wait: IgnoreWait | null,
  stamp: string | null,
  now: number,
  limitMs = SNAPSHOT_AFTER_MS,
): { take: true } | { take: false; wait: IgnoreWait; inMs: number } {
  // A clock set back since the first look would put the limit off by as much.
  const since = Math.min(wait?.since ?? now, now)
  if (wait && now - since >= limitMs) return { take: true }
  if (wait && stamp !== null && stamp === wait.stamp && now >= wait.at) {
    const needed = stillFor(wait.changes)
    if (now - wait.at >= needed) return { take: true }
    return { take: false, wait, inMs: wait.at + needed - now }
  }
  const changes = (wait?.changes ?? 0) + 1
  return { take: false, wait: { stamp, at: now, changes, since }, inMs: stillFor(changes) }
}

function isProblem(read: IgnoreRead): read is { problem: string } {
  return typeof read === 'object' && 'problem' in read
}

/**
 * A bad file (unreadable, not UTF-8, too large) leaves the rules as they were, so a typo never
 * shares or unshares everything; lines the rules skip leave the rest in force. Each is said once
 * per distinct problem, and forgotten once fixed; `problem` is the one standing now (folder-state
 * carries it, so a screen can clear it once fixed).
 */
export class IgnoreFile {
  private current: IgnoreRules | null = null
  /** What was said about the file (`ignore-file-invalid`) and about its lines (`ignore-lines-skipped`). */
  private fileProblemSaid: string | null = null
  /** The whole message said for fileProblemSaid. */
  private fileMessage: string | null = null
  private linesSaid: string | null = null
  /** The problem as last told to onProblem. */
  private problemTold: string | null = null
  /** Called when `problem` changes (set by the owner: the index, for its folder-state). */
  onProblem: () => void = () => {}
  private wait: IgnoreWait | null = null
  /** Owned: cleared by dispose. */
  private timer: NodeJS.Timeout | null = null
  private disposed = false

  /**
   * `lookAgain`: the file is waited for; call changed() again. `limitMs`: how long a file that
   * never holds still is waited for before it is taken as it is (SNAPSHOT_AFTER_MS).
   */
  constructor(
    readonly root: string,
    private readonly onEvent: EventSink,
    private readonly lookAgain: () => void = () => {},
    private readonly limitMs = SNAPSHOT_AFTER_MS,
  ) {}

  /**
   * Reads the file and takes it as it is (at open, and when the folder is back); true when the
   * rules in force changed (or were set for the first time).
   */
  async load(): Promise<boolean> {
    this.stopWaiting()
    return this.take(lookAtIgnoreFile(this.root).read)
  }

  /**
   * The file may have changed (the watcher said so, a rescan): what it holds now is taken once a
   * look finds it unchanged a while later (lookAgain then). True when the rules in force changed.
   */
  async changed(now = Date.now()): Promise<boolean> {
    if (this.current === null) return this.load()
    const { read, stamp } = lookAtIgnoreFile(this.root)
    if (!this.differs(read, this.current)) {
      // As in force: a wait for another version of it is over.
      this.stopWaiting()
      if (!isProblem(read)) this.fileFine()
      return false
    }
    const verdict = ignoreFileVerdict(this.wait, stamp, now, this.limitMs)
    if (!verdict.take) {
      this.waitFor(verdict.wait, verdict.inMs)
      return false
    }
    this.stopWaiting()
    return this.take(read)
  }

  /** What is wrong with the file now, as it was said (`ignore-file-invalid` first, then `ignore-lines-skipped`), or null. */
  get problem(): string | null {
    return this.fileMessage ?? (this.linesSaid === null ? null : `${path.join(this.root, IGNORE_FILE)}: ${this.linesSaid}`)
  }

  /** Whether `rel` is not shared; nothing is ignored before the first load (nothing is indexed then). */
  ignores(rel: string, isFolder: boolean): boolean {
    return this.current?.ignores(rel, isFolder) ?? false
  }

  /** No more looks: the timer stops, and no wait starts another. */
  dispose(): void {
    this.disposed = true
    this.stopWaiting()
  }

  /** Whether taking `read` would change the rules or say something new. */
  private differs(read: IgnoreRead, current: IgnoreRules): boolean {
    if (isProblem(read)) return read.problem !== this.fileProblemSaid
    return (read === 'absent' ? null : read.text) !== current.fileText
  }

  private async take(read: IgnoreRead): Promise<boolean> {
    const file = path.join(this.root, IGNORE_FILE)
    if (isProblem(read)) {
      const first = this.current === null
      this.current ??= await ignoreRules(null)
      if (this.fileProblemSaid !== read.problem) {
        this.fileProblemSaid = read.problem
        const kept = this.current.fileText === null ? 'the built-in defaults stay in force' : 'the previous rules stay in force'
        this.fileMessage = `${file} is not used: ${read.problem}; ${kept}`
        this.onEvent({ type: 'error', code: 'ignore-file-invalid', message: this.fileMessage })
        this.tellProblem()
      }
      return first
    }
    this.fileFine()
    const text = read === 'absent' ? null : read.text
    if (this.current && this.current.fileText === text) return false
    this.current = await ignoreRules(text)
    // The package skips these lines without a word; the rest of the file is in force, as in git.
    const lines = text === null ? null : skippedLinesMessage(ignoreLineProblems(text), "; the file's other lines are in force")
    if (lines !== null && lines !== this.linesSaid) this.onEvent({ type: 'error', code: 'ignore-lines-skipped', message: `${file}: ${lines}` })
    this.linesSaid = lines
    this.tellProblem()
    return true
  }

  /** The file can be read again: what was said about it no longer stands. */
  private fileFine(): void {
    this.fileProblemSaid = null
    this.fileMessage = null
    this.tellProblem()
  }

  private tellProblem(): void {
    const now = this.problem
    if (now === this.problemTold) return
    this.problemTold = now
    this.onProblem()
  }

  private waitFor(wait: IgnoreWait, inMs: number): void {
    this.wait = wait
    if (this.disposed) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.lookAgain()
    }, Math.max(1, inMs))
    this.timer.unref()
  }

  private stopWaiting(): void {
    this.wait = null
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
