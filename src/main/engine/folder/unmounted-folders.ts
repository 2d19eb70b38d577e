// Folders inside the shared one that were found on another device than before and empty, with
// files indexed below them: the mount point of a disk no longer mounted, as for the shared folder
// itself (see RootPresence's candidate). Their files are not taken for deleted until they hold
// a file again. Only while running: the index does not record where each folder's device changes.
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { liesBelow } from './file-table'

export class UnmountedFolders {
  private readonly held = new Set<string>()
  /** Held folders already reported: each is said once while it stays held. */
  private readonly said = new Set<string>()

  constructor(
    private readonly root: string,
    private readonly onEvent: EventSink,
  ) {}

  hold(folder: string): void {
    this.held.add(folder)
  }

  has(folder: string): boolean {
    return this.held.has(folder)
  }

  /** Whether `rel` lies in (at any depth) a held folder. */
  holdsPath(rel: string): boolean {
    return liesBelow(rel, this.held)
  }

  /**
   * After a walk of `walked` that found `found`: a held folder below it still empty counts as not
   * read (its files are not deleted at the peers), and is reported once; holding a file again, it counts.
   */
  afterWalk(walked: string, found: Set<string>, unread: Set<string>): void {
    for (const folder of this.held) {
      if (walked !== '' && folder !== walked && !folder.startsWith(`${walked}/`)) continue
      if ([...found].some((rel) => rel.startsWith(`${folder}/`))) {
        this.held.delete(folder)
        this.said.delete(folder)
        continue
      }
      unread.add(folder)
      if (this.said.has(folder)) continue
      this.said.add(folder)
      this.onEvent({
        type: 'error',
        code: 'folder-missing',
        message: `${path.join(this.root, folder)} is empty, on another device than before (is a disk no longer mounted there?); its files stay shared until it holds a file again`,
      })
    }
  }

  /** After a look at the whole folder: one still empty keeps its files; holding one again, it counts. */
  afterScan(filesBelow: (folder: string) => number, unread: Set<string>): void {
    for (const folder of this.held) {
      if (filesBelow(folder) > 0) this.held.delete(folder)
      else unread.add(folder)
    }
  }

  /** A held folder that is gone itself is held no more: it holds nothing now. */
  forget(rel: string): void {
    for (const folder of this.held) {
      if (folder === rel || folder.startsWith(`${rel}/`)) {
        this.held.delete(folder)
        this.said.delete(folder)
      }
    }
  }
}
