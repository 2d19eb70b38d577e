// A long batch of new paths (cp -r of a folder) hands what it has hashed so far to peers now,
// so they start fetching while the rest is hashed, instead of all of it at the batch's end.
import type { IndexChange } from '../protocol/messages'

/** New versions gathered before they go early... */
const SOON_CHANGES = 32
/** ...and how long since the batch began or last sent some. */
const SOON_MS = 25

export class AnnounceSoon {
  /** `changes` holds no deletion up to here. */
  private checked = 0
  private since: number

  /**
   * `held`: the batch may delete something (see FolderIndex.applyDirty), so nothing goes early.
   * Deletions wait for the batch's end, which checks that the folder itself is still there, and
   * a move's two halves must reach peers together or they fetch what they could have moved.
   */
  constructor(
    private held: boolean,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.since = now()
  }

  /** The changes to announce now, taken out of `changes`; none once a deletion is among them. */
  take(changes: IndexChange[]): IndexChange[] {
    if (this.held || changes.length < SOON_CHANGES || this.now() - this.since < SOON_MS) return []
    for (; this.checked < changes.length; this.checked++) {
      if (changes[this.checked]!.op === 'delete') {
        this.held = true
        return []
      }
    }
    this.checked = 0
    this.since = this.now()
    return changes.splice(0)
  }
}
