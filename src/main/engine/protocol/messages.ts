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

/** One file of a shared folder as the wire carries it (a FILE_LIST entry, an INDEX_CHANGED upsert). */
export interface FileEntry {
  /** Relative, `/`-separated; the receiver validates it before using it (see shared/paths.ts). */
  path: string
  /** The block-plan version of the content (blocks/block-plan.ts). */
  version: Buffer
  size: number
  /** The file was still being written when it was indexed: this version is a snapshot of a moving file. */
  snapshot: boolean
}

export type IndexChange = ({ op: 'upsert' } & FileEntry) | { op: 'delete'; path: string }

/** A file GET_FILES asks for, with the version the asker already has (or null). */
export interface WantedFile {
  path: string
  version: Buffer | null
}

/** The answer for one file of a GET_FILES, in request order. */
export type FileRecord =
  /** The whole content, whose version is `version`; `data` is a view of the frame. */
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
  | BlockMessage

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>

/** The block hashes of a file, or a run of its blocks (docs/PROTOCOL.md §12.2; blocks and versions: §12.8). */
export type BlockMessage =
  /** P→F: the block list of this version of the file. */
  | { type: 'GET_BLOCK_LIST'; path: string; version: Buffer }
  /**
   * F→P, one frame of the list of F's version now: `hashes` are blocks `first`.. in order, at most
   * BLOCK_LIST_FRAME_HASHES of them; `last` on the final frame.
   */
  | { type: 'BLOCK_LIST'; path: string; version: Buffer; size: number; blockSize: number; first: number; last: boolean; hashes: Buffer[] }
  /** P→F: blocks first..first+count-1 of this version (count ≥ 1). */
  | { type: 'GET_BLOCKS'; path: string; version: Buffer; first: number; count: number }
  /** F→P: the run asked for follows as FILE_DATA, each frame within one block. */
  | { type: 'BLOCKS'; path: string; version: Buffer; first: number; count: number }
