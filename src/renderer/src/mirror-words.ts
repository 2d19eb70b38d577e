// How the Peers screen says where a mirror stands, in the words a Syncthing user looks for: up to
// date, or how much is still to come.
import type { MirrorStateView } from '../../shared/contract'
import { formatBytes, formatCount } from './format'

function toCome(mirror: MirrorStateView): string {
  return `${formatCount(mirror.needFiles, 'file', 'files')} (${formatBytes(mirror.needBytes)}) to come`
}

/** The mirror's state in a few words. */
export function mirrorHeadline(mirror: MirrorStateView): string {
  switch (mirror.phase) {
    case 'up-to-date':
      return 'Up to date'
    case 'connecting':
      return 'Connecting…'
    case 'listing':
      return mirror.needFiles ? `Listing… ${toCome(mirror)} so far` : 'Listing…'
    case 'paused':
      return 'Paused'
    case 'waiting':
      return mirror.needFiles ? `Folder away; ${toCome(mirror)}` : 'Folder away'
    case 'syncing': {
      const parts: string[] = []
      if (mirror.needFiles) parts.push(toCome(mirror))
      if (mirror.removeFiles) parts.push(`${formatCount(mirror.removeFiles, 'file', 'files')} to remove`)
      return parts.join('; ') || 'Syncing'
    }
  }
}

/** What the mirror holds, its problems, and when it last changed. */
export function mirrorFacts(mirror: MirrorStateView, when: (at: number) => string): string {
  const parts = [`${formatCount(mirror.files, 'file', 'files')}, ${formatBytes(mirror.bytes)}`]
  if (mirror.failedFiles) parts.push(`${formatCount(mirror.failedFiles, 'file', 'files')} failed`)
  parts.push(mirror.lastChange === null ? 'never changed' : `changed ${when(mirror.lastChange)}`)
  return parts.join(' · ')
}
