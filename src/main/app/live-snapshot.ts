// Main's copy of the live state, folded from the same events the windows get, so a window that
// opens (or reloads) mid-session starts from the present rather than from nothing.
import type { AppEvent, EngineStatus, Snapshot } from '../../shared/contract'
import { isActivity, isProblem, RECENT_ACTIVITY, RECENT_PROBLEMS } from '../../shared/live/activity'
import { applyControlEvent, createControlView } from '../../shared/live/control-state'
import { applyFolderStateEvent, createFolderStateTable, folderStatesOf } from '../../shared/live/folder-states'
import { applyPeerEvent, pruneOffline, type PeerTable } from '../../shared/live/peer-table'
import { applyTransferEvent, createTransferTable } from '../../shared/live/transfer-table'

export class LiveSnapshot {
  private readonly peers: PeerTable = new Map()
  private readonly transfers = createTransferTable()
  private readonly folders = createFolderStateTable()
  private recent: AppEvent[] = []
  private problems: AppEvent[] = []
  private seq = 0
  private control = createControlView()

  apply(event: AppEvent): void {
    this.seq = event.seq
    applyPeerEvent(this.peers, event)
    applyTransferEvent(this.transfers, event)
    this.control = applyControlEvent(this.control, event)
    applyFolderStateEvent(this.folders, event)
    if (isActivity(event)) {
      this.recent.push(event)
      // Trim in chunks, not on every event.
      if (this.recent.length > RECENT_ACTIVITY * 2) this.recent = this.recent.slice(-RECENT_ACTIVITY)
    }
    if (isProblem(event)) {
      this.problems.push(event)
      if (this.problems.length > RECENT_PROBLEMS * 2) this.problems = this.problems.slice(-RECENT_PROBLEMS)
    }
  }

  /** The latest activity, and the latest problems even when that activity has buried them. */
  private recentWithProblems(): AppEvent[] {
    const recent = this.recent.slice(-RECENT_ACTIVITY)
    const oldest = recent[0]?.seq ?? Infinity
    const older = this.problems.slice(-RECENT_PROBLEMS).filter((e) => e.seq < oldest)
    return [...older, ...recent]
  }

  take(status: EngineStatus, now = Date.now()): Snapshot {
    pruneOffline(this.peers, now)
    return {
      at: now,
      seq: this.seq,
      status,
      peers: [...this.peers.values()],
      transfers: [...this.transfers.active.values()],
      totals: [...this.transfers.totals.values()].map((t) => ({ ...t })),
      buffer: this.transfers.buffer,
      workers: this.transfers.workers,
      folders: folderStatesOf(this.folders),
      recent: this.recentWithProblems(),
      control: this.control,
    }
  }
}
