// The engine's event stream: one set of typed objects for every consumer (CLI text, CLI --json,
// Electron main, the headless dashboard). Field names are a contract: add fields, never rename.

export type Role = 'server' | 'client'

/**
 * Why a peer left: it said LOG_OFF, its connection dropped, it went silent past the heartbeat, or
 * the server's operator removed it from the members.
 */
export type LeaveReason = 'log-off' | 'connection-lost' | 'timeout' | 'removed'

/** How the window says why a peer left. */
export const LEAVE_REASON_TEXT: Record<LeaveReason, string> = {
  'log-off': 'logged off',
  'connection-lost': 'connection lost',
  timeout: 'timed out',
  removed: 'removed from the members',
}

/**
 * Who a peer is, once the engine knows (TLS on the wire): its device ID as people read it
 * (`XXXXXXX-…`, src/shared/device-id.ts) and its name. Optional, since older engines omit them.
 */
export interface DeviceFields {
  id?: string
  name?: string
}

export interface ReadyEvent extends DeviceFields {
  type: 'ready'
  role: Role
  host: string
  port: number
  /** This device's ID as people read it (`XXXXXXX-…`). */
  id: string
  /** This device's name (a display name, never an identity). */
  name: string
}

export interface RegisteredEvent {
  type: 'registered'
  /** The registry server as `host:port` (IPv6 in brackets). */
  server: string
  /** The address this client announced, as other clients will reach it. */
  ip: string
  port: number
}

export interface PeerJoinedEvent extends DeviceFields {
  type: 'peer-joined'
  ip: string
  port: number
  /** The peer's device ID as people read it. */
  id: string
  name: string
}

export interface PeerLeftEvent extends DeviceFields {
  type: 'peer-left'
  ip: string
  port: number
  reason: LeaveReason
  id: string
  name: string
}

/** Server: a device with a valid certificate but no membership asks to join; the operator decides. */
export interface JoinRequestEvent {
  type: 'join-request'
  id: string
  name: string
  /** Where it asked from (`ip:port`). */
  address: string
}

/** Server: a device became a member (an invite used, or the operator accepted it). */
export interface MemberAddedEvent {
  type: 'member-added'
  id: string
  name: string
}

/** Server: a member was removed by the operator; its connections are cut. */
export interface MemberRemovedEvent {
  type: 'member-removed'
  id: string
  name: string
}

/** Client: this device was removed from the server's members; it stops trying. */
export interface RemovedEvent {
  type: 'removed'
  message: string
}

export interface ServerLostEvent {
  type: 'server-lost'
  server: string
}

export interface ErrorEvent {
  type: 'error'
  /** A stable, machine-readable code such as `frame-too-large` or `server-unreachable`. */
  code: string
  message: string
  /** The peer it is about, as `ip:port`, when it is about one that stays (`peer-folder-missing`). */
  peer?: string
  /** The registry server as the client names it, when it is about the link to it. */
  server?: string
}

/** The shared folder is back after a `folder-missing` error (or a new one stands at its path). */
export interface FolderRestoredEvent {
  type: 'folder-restored'
  folder: string
}

/** `peer` fields below name a peer as `ip:port` (IPv6 in brackets), as formatEndpoint does. */

/** A peer's shared folder is back after a `peer-folder-missing` error: its files come now. */
export interface PeerFolderRestoredEvent extends DeviceFields {
  type: 'peer-folder-restored'
  peer: string
}

export interface TransferStartedEvent {
  type: 'transfer-started'
  peer: string
  path: string
  total: number
}

export interface TransferProgressEvent {
  type: 'transfer-progress'
  peer: string
  path: string
  bytes: number
  total: number
}

export interface TransferFailedEvent {
  type: 'transfer-failed'
  peer: string
  path: string
  reason: string
  /** True when the file will be asked for again shortly (a cut connection, a file that changed as it was read). */
  retrying?: boolean
  /** True when the peer has left: the file comes (a partial of it resumes) once the peer is back. */
  waitsForPeer?: boolean
}

export interface FileSyncedEvent {
  type: 'file-synced'
  peer: string
  path: string
  bytes: number
  /** Content bytes that came over the wire for it when the rest was on disk already (absent: all of it came). */
  transferred?: number
  /** Its version (docs/PROTOCOL.md, blocks), hex. */
  version: string
  /** The peer was still writing the file when it announced this version: a snapshot, another likely follows. */
  snapshot?: boolean
}

export interface FileRemovedEvent {
  type: 'file-removed'
  peer: string
  path: string
}

export interface PeerSyncedEvent extends DeviceFields {
  type: 'peer-synced'
  peer: string
  files: number
  bytes: number
}

export interface BufferEvent {
  type: 'buffer'
  used: number
  capacity: number
}

export interface WorkerState {
  id: number
  busy: boolean
  /** The peer and file of the oldest job the worker holds. */
  peer?: string
  path?: string
  /** How many ring jobs it holds (a batch of small files is one; their requests are pipelined on its connections). */
  jobs?: number
  /** How many files (and lists) those jobs still have to answer: a batch counts each of its files. */
  files?: number
}

export interface WorkersEvent {
  type: 'workers'
  busy: number
  total: number
  states: WorkerState[]
}

/**
 * A peer deleted more of its files at once than the threshold allows: the deletions are held in
 * its mirror until the user confirms. `files` is how many it deleted, `total` how many it had,
 * `held` how many of those wait (the ones before the limit was reached were applied). Said again
 * as the hold grows.
 */
export interface MassDeleteEvent extends DeviceFields {
  type: 'mass-delete'
  peer: string
  files: number
  held?: number
  total: number
}

/**
 * A held mass delete is over: the user confirmed it (`confirmed`), or the peer brought every
 * held file back. `peer` is where the device is, or was last, when known.
 */
export interface MassDeleteClearedEvent extends DeviceFields {
  type: 'mass-delete-cleared'
  peer?: string
  confirmed: boolean
}

/**
 * The user paused or resumed mirroring (`dropbox-sync ctl`, the app): with `id`, one device's
 * mirror (`peer`: where it is, or was last, when known); without, the whole client. Said again
 * at start while it lasts (it is kept across restarts).
 */
export interface PausedEvent extends DeviceFields {
  type: 'paused'
  peer?: string
}

export interface ResumedEvent extends DeviceFields {
  type: 'resumed'
  peer?: string
}

/**
 * This machine's shared folder as the index holds it: the files it shares and their bytes, how
 * many paths `.syncignore` (and the built-in list) left out in the last look at the whole folder,
 * whether such a look is under way, whether the folder is gone for now, and the `.syncignore`
 * problem standing. Sent when any of it changes, at most twice a second, and once more when
 * things settle.
 */
export interface FolderStateEvent {
  type: 'folder-state'
  folder: string
  files: number
  bytes: number
  ignored: number
  scanning: boolean
  missing: boolean
  /** What is wrong with `.syncignore` now, as the ignore-file-invalid or ignore-lines-skipped error said it; null once fixed (or removed). */
  ignoreProblem: string | null
}

/**
 * How far a peer's mirror is: `connecting` (no answer yet), `listing` (its list on the way),
 * `syncing`, `up-to-date`, `waiting` (its shared folder is gone for now), `paused` (not mirrored,
 * by this client's choice).
 */
export type MirrorPhase = 'connecting' | 'listing' | 'syncing' | 'up-to-date' | 'waiting' | 'paused'

/**
 * Where one peer's mirror stands: what it holds (`files`, `bytes`), what the peer shares as its
 * list says (absent until the whole list is in), what is still to come (new or changed files at
 * the peer and their bytes), mirrored files the peer deleted that are still to go (a held mass
 * delete among them), versions the peer sent wrong (not asked for again until it changes them),
 * and when the mirror last changed (ms since the epoch; null: never). Sent for peers that are
 * announced (paused ones too) when any of it changes, at most twice a second per peer, and once
 * more when things settle.
 */
export interface MirrorStateEvent extends DeviceFields {
  type: 'mirror-state'
  peer: string
  phase: MirrorPhase
  files: number
  bytes: number
  peerFiles?: number
  peerBytes?: number
  needFiles: number
  needBytes: number
  removeFiles: number
  failedFiles: number
  lastChange: number | null
}

export interface PreparingFile {
  path: string
  /** Bytes hashed so far, of `total`. */
  bytes: number
  total: number
}

/**
 * Large files of this machine's shared folder being hashed before they can be announced to peers
 * (a peer learns of a file only once it is hashed). Each event is the whole list as it stands; an
 * empty list ends it. At most four a second.
 */
export interface PreparingEvent {
  type: 'preparing'
  files: PreparingFile[]
}

/**
 * A file of this machine's shared folder that kept being written past the settle limit is shared
 * as it is now: peers get a snapshot (`bytes` long, `version` hex). Said when the file becomes a
 * snapshot, not again for each later one while it keeps moving.
 */
export interface FileSnapshotEvent {
  type: 'file-snapshot'
  path: string
  bytes: number
  version: string
}

export type EngineEvent =
  | ReadyEvent
  | RegisteredEvent
  | PeerJoinedEvent
  | PeerLeftEvent
  | ServerLostEvent
  | ErrorEvent
  | FolderRestoredEvent
  | PeerFolderRestoredEvent
  | TransferStartedEvent
  | TransferProgressEvent
  | TransferFailedEvent
  | FileSyncedEvent
  | FileRemovedEvent
  | PeerSyncedEvent
  | BufferEvent
  | WorkersEvent
  | JoinRequestEvent
  | MemberAddedEvent
  | MemberRemovedEvent
  | RemovedEvent
  | MassDeleteEvent
  | MassDeleteClearedEvent
  | PausedEvent
  | ResumedEvent
  | FolderStateEvent
  | MirrorStateEvent
  | PreparingEvent
  | FileSnapshotEvent

export type EngineEventType = EngineEvent['type']

/** Anything that accepts engine events: the CLI printer, Electron's forwarder, a test recorder. */
export type EventSink = (event: EngineEvent) => void
