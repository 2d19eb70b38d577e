// A file in a mirror edited by hand is put back as the peer has it, and one put there by hand is
// removed (mirror-repair.ts, mirror-files.ts); what was written there is the user's work, so it is
// linked into the history first, under the version of its own bytes (a restore checks them), and
// the user is told where it went. With the history off it is linked aside all the same, only to
// tell a touch (the peer's own bytes) from an edit, and removed once weighed.
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import path from 'node:path'
import { loadBlockHash } from '../blocks/block-hash'
import { VersionHasher } from '../blocks/version-hasher'
import { linkOrCopy } from '../util/hard-links'
import type { HistoryStore } from './history-store'

/** What became of a hand edit: kept in the history, or only touched (its bytes the peer's). */
export type KeptEdit = 'kept' | 'same-bytes' | 'not-kept'

let counter = 0

export class HandEdits {
  constructor(
    readonly history: HistoryStore,
    /** Where edits are linked while weighed when the history is off; emptied at start (a crash's leftovers). */
    private readonly aside: string,
  ) {}

  async start(): Promise<void> {
    await rm(this.aside, { recursive: true, force: true })
  }

  /**
   * Links `file`, about to be fetched again, into the history of the mirror `folder` (or aside,
   * history off): at once, so the fetch cannot replace the edited bytes first. The linked path, or null.
   */
  link(folder: string, file: string): string | null {
    const kept = this.history.enabled ? this.history.reserve(path.basename(folder)) : this.reserveAside()
    if (kept === null) return null
    try {
      linkOrCopy(file, kept)
      return kept
    } catch {
      rmSync(kept, { force: true })
      return null
    }
  }

  /** Records a linked edit under the version of its own bytes, or lets it go when they are the peer's (`peers`) or the history is off. */
  async settle(folder: string, peer: string, rel: string, kept: string, peers: (version: string) => boolean, reason: 'overwritten' | 'deleted' = 'overwritten'): Promise<KeptEdit> {
    const version = await versionOf(kept).catch(() => null)
    const same = version !== null && peers(version)
    if (same || version === null || !this.history.enabled) {
      this.history.discard(kept)
      return same ? 'same-bytes' : 'not-kept'
    }
    this.history.adopt(path.basename(folder), peer, rel, kept, version, reason)
    return 'kept'
  }

  private reserveAside(): string | null {
    try {
      mkdirSync(this.aside, { recursive: true })
    } catch {
      return null
    }
    return path.join(this.aside, `${process.pid.toString(36)}-${(++counter).toString(36)}-${randomBytes(3).toString('hex')}`)
  }
}

/** The version of the file's bytes as they are now; throws if it shrinks while read. */
async function versionOf(file: string): Promise<string> {
  await loadBlockHash()
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const hasher = new VersionHasher(size)
    if (size > 0) for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, autoClose: false })) hasher.update(chunk as Buffer)
    return hasher.digest().toString('hex')
  } finally {
    await handle.close()
  }
}
