// The decoded form of every message in docs/PROTOCOL.md.
import type { Endpoint } from '../../../shared/endpoint'
import type { LeaveReason } from '../../../shared/events'

export type PeerRole = 'server' | 'client'

export interface HelloMessage {
  type: 'HELLO'
  version: number
  role: PeerRole
  /** How often (ms) the speaker wants to hear from the other side; 0 = no wish. */
  heartbeatMs: number
  /** The sender's device name, for display only: its identity is what TLS proved. */
  name: string
}

/** A registered client as the registry lists it: where, which device, and its name. */
export interface ClientEntry {
  endpoint: Endpoint
  /** The device ID (SHA-256 of its certificate), 32 bytes. */
  id: Buffer
  name: string
}

export interface ErrorMessage {
  type: 'ERROR'
  code: number
  text: string
}

/** One file of a shared folder as the wire carries it. */
export interface FileEntry {
  /** Relative, `/`-separated; the receiver validates it before using it (see shared/paths.ts). */
  path: string
  /** SHA-256 of the content. */
  version: Buffer
  size: number
}

export type IndexChange = ({ op: 'upsert' } & FileEntry) | { op: 'delete'; path: string }

/** A file GET_FILES asks for, with the version the asker already has (or null). */
export interface WantedFile {
  path: string
  version: Buffer | null
}

/** The answer for one file of a GET_FILES, in request order. */
export type FileRecord =
  /** The whole content, whose SHA-256 is `version`; `data` is a view of the frame. */
  | { status: 'content'; version: Buffer; data: Buffer }
  | { status: 'up-to-date' }
  | { status: 'not-found' }
  /** Larger than BATCH_FILE_BYTES now: ask for it alone with GET_FILE. */
  | { status: 'too-large' }
  | { status: 'abort'; reason: string }

export type Message =
  | HelloMessage
  | ErrorMessage
  | { type: 'PING' }
  | { type: 'PONG' }
  | { type: 'LOG_ON'; endpoint: Endpoint }
  | { type: 'LOG_ON_OK'; endpoint: Endpoint }
  | { type: 'LOG_OFF'; endpoint: Endpoint }
  | { type: 'LOG_OFF_OK'; endpoint: Endpoint }
  | { type: 'GET_CLIENTS' }
  | { type: 'CLIENT_LIST'; clients: ClientEntry[] }
  | ({ type: 'USER_ON' } & ClientEntry)
  | { type: 'USER_OFF'; endpoint: Endpoint; id: Buffer; reason: LeaveReason }
  | { type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST'; endpoint: Endpoint }
  /** `token`: an invite's token (16 bytes), or empty for a member or a request to join. */
  | { type: 'JOIN'; token: Buffer }
  | { type: 'JOIN_OK' }
  | { type: 'JOIN_PENDING' }
  | { type: 'GET_FILE_LIST' }
  | { type: 'FILE_LIST'; last: boolean; files: FileEntry[] }
  /** `version` is what the asker already has, or null. */
  | { type: 'GET_FILE'; path: string; version: Buffer | null }
  | { type: 'FILE_UP_TO_DATE'; path: string }
  | { type: 'FILE_NOT_FOUND'; path: string }
  | { type: 'FILE_SIZE'; path: string; version: Buffer; size: number }
  | { type: 'FILE_DATA'; data: Buffer }
  | { type: 'FILE_ABORT'; path: string; reason: string }
  | { type: 'SUBSCRIBE' }
  | { type: 'INDEX_CHANGED'; changes: IndexChange[] }
  | { type: 'GET_FILES'; files: WantedFile[] }
  | { type: 'FILES'; last: boolean; records: FileRecord[] }
  /** Pushed to subscribers: whether the shared folder is there (its files can be sent) or gone for now. */
  | { type: 'FOLDER_STATE'; present: boolean }

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>
