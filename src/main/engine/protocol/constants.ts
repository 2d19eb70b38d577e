// Numbers fixed by docs/PROTOCOL.md. Change them there first.

/**
 * 5: a version is the block-plan version (BLAKE3 over size, block size and block hashes), block
 * lists and runs of blocks (GET_BLOCK_LIST / BLOCK_LIST / GET_BLOCKS / BLOCKS), a flags byte on
 * list entries and upserts. (4: mutual TLS, HELLO names, JOIN; 3: FOLDER_STATE; 2: GET_FILES.)
 * The ALPN name follows it (net/tls.ts).
 */
export const PROTOCOL_VERSION = 5
/** The first four bytes of every HELLO payload: "DBSY". */
export const HELLO_MAGIC = Buffer.from('DBSY', 'ascii')
/** Bytes in a frame's length prefix. */
export const LENGTH_PREFIX_BYTES = 4
/** Largest frame body (type byte + payload) a peer may announce; checked before allocating. */
export const MAX_FRAME_BYTES = 1024 * 1024
/** A device name in HELLO and in the registry's lists: 1 to this many UTF-8 bytes. */
export const MAX_DEVICE_NAME_BYTES = 64
/** A device ID on the wire: the SHA-256 of its certificate. */
export const DEVICE_ID_BYTES = 32
/** JOIN's invite token: absent (0 bytes) or this many. */
export const JOIN_TOKEN_BYTES = 16

export const MessageType = {
  HELLO: 0x01,
  ERROR: 0x02,
  PING: 0x03,
  PONG: 0x04,
  LOG_ON: 0x10,
  LOG_ON_OK: 0x11,
  LOG_OFF: 0x12,
  LOG_OFF_OK: 0x13,
  GET_CLIENTS: 0x14,
  CLIENT_LIST: 0x15,
  USER_ON: 0x16,
  USER_OFF: 0x17,
  ERROR_IP_PORT_NOT_FOUND_IN_LIST: 0x18,
  JOIN: 0x19,
  JOIN_OK: 0x1a,
  JOIN_PENDING: 0x1b,
  GET_FILE_LIST: 0x22,
  FILE_LIST: 0x23,
  GET_FILE: 0x24,
  FILE_UP_TO_DATE: 0x25,
  FILE_NOT_FOUND: 0x26,
  FILE_SIZE: 0x27,
  FILE_DATA: 0x28,
  FILE_ABORT: 0x29,
  SUBSCRIBE: 0x2a,
  INDEX_CHANGED: 0x2b,
  GET_FILES: 0x2c,
  FILES: 0x2d,
  FOLDER_STATE: 0x2e,
  GET_BLOCK_LIST: 0x2f,
  BLOCK_LIST: 0x30,
  GET_BLOCKS: 0x31,
  BLOCKS: 0x32,
} as const

/** Bytes in a version: the block-plan version of a file's content (blocks/block-plan.ts, fileVersion). */
export const VERSION_BYTES = 32
/** A FILE_LIST entry's and an INDEX_CHANGED upsert's flags; every other bit must be 0. */
export const FileFlag = { snapshot: 0x01 } as const
/** Most block hashes one BLOCK_LIST frame carries. */
export const BLOCK_LIST_FRAME_HASHES = 8192
/** FILE_LIST and INDEX_CHANGED entries are split across frames of about this many bytes. */
export const LIST_FRAME_TARGET_BYTES = 256 * 1024
/**
 * The first frame of a list is this small, and each next one twice the last, up to the target:
 * the receiver starts fetching after a few hundred entries instead of waiting for thousands.
 */
export const LIST_FIRST_FRAME_BYTES = 16 * 1024
/** File content travels in FILE_DATA frames of at most this many bytes. */
export const FILE_CHUNK_BYTES = 1024 * 1024 - 1024

/** Files of at most this many bytes travel inside FILES records; larger ones need GET_FILE. */
export const BATCH_FILE_BYTES = 64 * 1024
/** Most files one GET_FILES may name. */
export const MAX_BATCH_FILES = 256
/** FILES records are added to a frame until it holds about this many bytes. */
export const FILES_FRAME_TARGET_BYTES = 256 * 1024

export type MessageTypeName = keyof typeof MessageType
export type MessageTypeCode = (typeof MessageType)[MessageTypeName]

/** Who is speaking, carried in HELLO. */
export const NodeRole = { server: 1, client: 2 } as const

/** USER_OFF's reason byte. */
export const LeaveReasonCode = { 'log-off': 0, 'connection-lost': 1, timeout: 2, removed: 3 } as const
