// A file in a mirror edited by hand is put back as the peer has it, and one put there by hand is
// removed (mirror-repair.ts, mirror-files.ts); what was written there is the user's work, so it is
// linked into the history first, under the version of its own bytes (a restore checks them), and
// the user is told where it went.
import { rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import path from 'node:path'
import { loadBlockHash } from '../blocks/block-hash'
import { VersionHasher } from '../blocks/version-hasher'
import { linkOrCopy } from '../util/hard-links'
import type { HistoryStore } from './history-store'

/** What became of a hand edit: kept in the history, or only touched (its bytes the peer's). */
export type KeptEdit = 'kept' | 'same-bytes' | 'not-kept'

/**
 * Links `file`, about to be fetched again, into the history of the mirror `folder`: at once, so
 * the fetch cannot replace the edited bytes first. The kept path, or null (history off, no link).
 */
export function linkHandEdit(history: HistoryStore, folder: string, file: string): string | null {
  const kept = history.reserve(path.basename(folder))
  if (kept === null) return null
  try {
    linkOrCopy(file, kept)
    return kept
  } catch {
    rmSync(kept, { force: true })
    return null
  }
}

/** Records a linked edit under the version of its own bytes, or lets it go when they are the peer's (`peers`). */
export async function settleHandEdit(
  history: HistoryStore,
  folder: string,
  peer: string,
  rel: string,
  kept: string,
  peers: (version: string) => boolean,
  reason: 'overwritten' | 'deleted' = 'overwritten',
): Promise<KeptEdit> {
  const version = await versionOf(kept).catch(() => null)
  if (version === null || peers(version)) {
    history.discard(kept)
    return version === null ? 'not-kept' : 'same-bytes'
  }
  history.adopt(path.basename(folder), peer, rel, kept, version, reason)
  return 'kept'
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
