// This machine's shared folder as the app shows it (folder-state events): files and bytes
// shared, paths the ignore rules leave out, whether a look at the whole folder is under way,
// whether the folder is gone, and what is wrong with its `.syncignore`. Fed by the index's own
// events, at most every FOLDER_STATS_EVERY_MS.
import type { EventSink, FolderStateEvent } from '../../../shared/events'
import { Sampler } from '../util/sampler'
import type { FolderIndex } from './folder-index'

export const FOLDER_STATS_EVERY_MS = 500

export class FolderStats {
  private readonly sampler: Sampler
  /** The last report, to send none that says nothing new. */
  private sent = ''
  /** A look began since the last report: said as scanning even if it ended before the report (a quick rescan). */
  private looked = false
  /** A `.syncignore` problem that stood since the last report: said even if fixed before it (the next report settles it). */
  private problemSeen: string | null = null
  private readonly touch = (): void => this.sampler.schedule()
  private readonly onIgnore = (): void => {
    this.problemSeen = this.index.ignoreProblem ?? this.problemSeen
    this.touch()
  }
  private readonly onLook = (started: boolean): void => {
    if (started) this.looked = true
    this.touch()
  }

  constructor(
    private readonly index: FolderIndex,
    private readonly emit: EventSink,
    intervalMs = FOLDER_STATS_EVERY_MS,
  ) {
    this.sampler = new Sampler(intervalMs, () => this.report())
    for (const name of ['changes', 'missing', 'restored'] as const) index.on(name, this.touch)
    index.on('ignore', this.onIgnore)
    index.on('look', this.onLook)
  }

  /** Reports the folder as it is now (soon: see Sampler), e.g. once it is opened. */
  changed(): void {
    this.touch()
  }

  close(): void {
    for (const name of ['changes', 'missing', 'restored'] as const) this.index.off(name, this.touch)
    this.index.off('ignore', this.onIgnore)
    this.index.off('look', this.onLook)
    this.sampler.close()
  }

  private report(): void {
    const event: FolderStateEvent = {
      type: 'folder-state',
      folder: this.index.root,
      // Counted as the index changes: a report costs the same in a folder of any size.
      files: this.index.size,
      bytes: this.index.bytes,
      ignored: this.index.ignored,
      scanning: this.index.scanning || this.looked,
      missing: this.index.missing,
      ignoreProblem: this.index.ignoreProblem ?? this.problemSeen,
    }
    // A look already over, or a problem already fixed, was said once: the next report settles it.
    if ((this.looked && !this.index.scanning) || (this.problemSeen !== null && this.index.ignoreProblem === null)) this.touch()
    this.looked = false
    this.problemSeen = null
    const text = JSON.stringify(event)
    if (text === this.sent) return
    this.sent = text
    this.emit(event)
  }
}
