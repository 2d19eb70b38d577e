// One line per event for the Activity screen, and the category its filter uses.
import type { AppEvent } from '../../shared/contract'
import { capitalized } from '../../shared/capitalized'
import { formatEndpoint } from '../../shared/endpoint'
import { LEAVE_REASON_TEXT } from '../../shared/events'
import { isProblem } from '../../shared/live/activity'
import { formatBytes } from './format'
import { peerLabel } from '../../shared/peer-label'
import { statusWords } from '../../shared/status-words'

export type ActivityCategory = 'peers' | 'members' | 'transfers' | 'problems' | 'engine'

export const CATEGORY_LABELS: Record<ActivityCategory, string> = {
  peers: 'Peers',
  members: 'Members',
  transfers: 'Files',
  problems: 'Problems',
  engine: 'Engine',
}

export function categoryOf(event: AppEvent): ActivityCategory {
  if (isProblem(event)) return 'problems'
  switch (event.type) {
    case 'peer-joined':
    case 'peer-left':
    case 'peer-folder-restored':
      return 'peers'
    case 'join-request':
    case 'member-added':
    case 'member-removed':
      return 'members'
    case 'transfer-started':
    case 'transfer-progress':
    case 'file-synced':
    case 'file-removed':
    case 'peer-synced':
    case 'transfer-failed':
    case 'file-snapshot':
      return 'transfers'
    default:
      return 'engine'
  }
}

/** `nameOf`: a device's name by the address file events call it by (they carry no name). */
export function describeEvent(event: AppEvent, nameOf: (peer: string) => string | undefined = () => undefined): string {
  /** The peer an event is about, by name with its address beside it when the name is known. */
  const peer = (address: string): string => who({ name: ('name' in event ? event.name : undefined) ?? nameOf(address) }, address)
  switch (event.type) {
    case 'status':
      return statusWords(event.status)
    case 'ready':
      return `${event.role === 'server' ? 'Server' : 'Client'} listening on ${formatEndpoint(event.host, event.port)}`
    case 'registered':
      return `Registered with the server ${event.server} as ${formatEndpoint(event.ip, event.port)}`
    case 'peer-joined':
      return `${who(event, formatEndpoint(event.ip, event.port))} joined`
    case 'peer-left':
      return `${who(event, formatEndpoint(event.ip, event.port))} left (${LEAVE_REASON_TEXT[event.reason]})`
    case 'server-lost':
      return `Lost the server ${event.server}; reconnecting`
    case 'error':
      // The engine's sentence first, as the user reads it; its code after, to search for.
      return `${sentence(event.message)} (${event.code})`
    case 'folder-restored':
      return `The shared folder ${event.folder} is back; sharing it again`
    case 'peer-folder-restored':
      return `The shared folder of ${peer(event.peer)} is back; mirroring it again`
    case 'transfer-started':
      return `Receiving ${event.path} from ${peer(event.peer)} (${formatBytes(event.total)})`
    case 'transfer-progress':
      return `${event.path} from ${peer(event.peer)}: ${formatBytes(event.bytes)} of ${formatBytes(event.total)}`
    case 'transfer-failed':
      return `${event.path} from ${peer(event.peer)} failed: ${event.reason}${event.retrying ? ' (trying again)' : event.waitsForPeer ? ' (it comes once the peer is back)' : ''}`
    case 'file-synced':
      return `${event.path} from ${peer(event.peer)} is in the mirror (${formatBytes(event.bytes)}${event.transferred !== undefined ? `, ${formatBytes(event.transferred)} over the wire` : ''})${event.snapshot ? ' (a snapshot: still being written at the peer)' : ''}`
    case 'file-removed':
      return `${event.path} from ${peer(event.peer)} was removed from the mirror`
    case 'peer-synced':
      return `The mirror of ${peer(event.peer)} is up to date: ${event.files} ${event.files === 1 ? 'file' : 'files'}, ${formatBytes(event.bytes)}`
    case 'buffer':
      return `Buffer ${event.used} of ${event.capacity} slots in use`
    case 'workers':
      return `${event.busy} of ${event.total} workers busy`
    case 'join-request':
      return `${named(event.name)} (${event.id}) asks to join from ${event.address}; answer it under Members`
    case 'member-added':
      return `${named(event.name)} (${event.id}) is now a member`
    case 'member-removed':
      return `${named(event.name)} (${event.id}) was removed from the members`
    case 'removed':
      return `Removed: ${event.message}`
    case 'paused':
      return onePeer(event) ? `Paused mirroring ${who(event, event.peer ?? event.id ?? '')}` : 'Paused: no transfers start until resumed'
    case 'resumed':
      return onePeer(event) ? `Resumed mirroring ${who(event, event.peer ?? event.id ?? '')}` : 'Resumed: transfers start again'
    case 'mass-delete':
      return `${who(event, event.peer)} deleted ${event.files} of its ${event.total} files at once: ${event.held === undefined || event.held === event.files ? 'held' : `the last ${event.held} held`} in its mirror until you confirm`
    case 'mass-delete-cleared':
      return event.confirmed
        ? `Confirmed: the held deletions of ${who(event, event.peer ?? event.id ?? '')} are applied`
        : `${who(event, event.peer ?? event.id ?? '')} has its held files again: nothing is held any more`
    case 'folder-state':
      return `The shared folder ${event.folder}: ${event.files} files, ${formatBytes(event.bytes)}, ${event.ignored} ignored${event.scanning ? ' (scanning)' : ''}`
    case 'mirror-state':
      return `The mirror of ${event.peer}: ${event.needFiles} files (${formatBytes(event.needBytes)}) to come`
    case 'file-snapshot':
      return `${event.path} is still being written; peers get it as it is now (a snapshot, ${formatBytes(event.bytes)})`
    case 'preparing':
      return event.files.length ? `Preparing ${event.files.map((f) => f.path).join(', ')}` : 'Nothing being prepared'
    case 'members': {
      const pending = event.state.members.filter((m) => m.state === 'pending').length
      return `${event.state.members.length} devices listed, ${pending} waiting for an answer`
    }
  }
}

/** `paused` / `resumed` about one peer rather than the whole client. */
function onePeer(event: { peer?: string; id?: string }): boolean {
  return event.peer !== undefined || event.id !== undefined
}

/** A peer by name with its address beside it, once the engine knows its name. */
function who(event: { name?: string }, address: string): string {
  return peerLabel(event.name, address)
}

/** An engine message (lower case, it follows a code in the log) as a sentence of its own. */
function sentence(message: string): string {
  const text = capitalized(message)
  return /[.!?…]$/.test(text) ? text : `${text}.`
}

function named(name: string): string {
  return name || '(no name)'
}
