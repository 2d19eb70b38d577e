// Pure encoding and decoding of message bodies (docs/PROTOCOL.md). No sockets here: encode
// returns a whole frame, decode takes one frame body and either returns a Message or throws
// exactly one ProtocolError. FILES records are files-frame.ts's, block messages block-codec.ts's.
import type { LeaveReason } from '../../../shared/events'
import { decodeBlockMessage, encodeBlockMessage } from './block-codec'
import {
  HELLO_MAGIC,
  LENGTH_PREFIX_BYTES,
  DEVICE_ID_BYTES,
  JOIN_TOKEN_BYTES,
  LeaveReasonCode,
  MAX_BATCH_FILES,
  MAX_DEVICE_NAME_BYTES,
  MAX_FRAME_BYTES,
  MessageType,
  NodeRole,
  PROTOCOL_VERSION,
  VERSION_BYTES,
  type MessageTypeName,
} from './constants'
import { ProtocolError } from './errors'
import { Reader, Writer } from './fields'
import { decodeFilesRecord, FilesFrame } from './files-frame'
import type { ClientEntry, FileEntry, FileRecord, IndexChange, Message, WantedFile } from './messages'

const typeNames = new Map<number, MessageTypeName>(
  Object.entries(MessageType).map(([name, code]) => [code, name as MessageTypeName]),
)
const leaveReasons = new Map<number, LeaveReason>(
  Object.entries(LeaveReasonCode).map(([name, code]) => [code, name as LeaveReason]),
)
export { deviceNameProblem } from './fields'

/** A name fit for HELLO made from any text (a host name, a user's setting): cleaned and cut. */
export function toDeviceName(text: string): string {
  let out = ''
  for (const char of text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim()) {
    if (Buffer.byteLength(out + char, 'utf8') > MAX_DEVICE_NAME_BYTES) break
    out += char
  }
  return out || 'device'
}

function roleCode(role: 'server' | 'client'): number {
  return NodeRole[role]
}

/**
 * The length prefix and type byte of a FILE_DATA frame carrying `length` bytes: sent ahead of
 * the content itself, so file bytes go from the read buffer to the socket without a copy.
 */
export function encodeFileDataHeader(length: number): Buffer {
  if (length + 1 > MAX_FRAME_BYTES) throw new RangeError(`${length} bytes of file data exceed one frame`)
  const header = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + 1)
  header.writeUInt32BE(length + 1, 0)
  header[LENGTH_PREFIX_BYTES] = MessageType.FILE_DATA
  return header
}

/** One whole frame (length prefix included) for a message. */
export function encodeMessage(message: Message): Buffer {
  const w = new Writer(MessageType[message.type])
  switch (message.type) {
    case 'HELLO':
      return w.raw(HELLO_MAGIC).u16(message.version).u8(roleCode(message.role)).u32(message.heartbeatMs).deviceName(message.name).finish()
    case 'ERROR':
      return w.u16(message.code).str(message.text).finish()
    case 'PING':
    case 'PONG':
    case 'GET_CLIENTS':
    case 'JOIN_OK':
    case 'JOIN_PENDING':
      return w.finish()
    case 'JOIN':
      if (message.token.length !== 0 && message.token.length !== JOIN_TOKEN_BYTES) throw new RangeError(`a JOIN token has 0 or ${JOIN_TOKEN_BYTES} bytes, not ${message.token.length}`)
      return w.blob(message.token).finish()
    case 'LOG_ON':
    case 'LOG_ON_OK':
    case 'LOG_OFF':
    case 'LOG_OFF_OK':
    case 'ERROR_IP_PORT_NOT_FOUND_IN_LIST':
      return w.endpoint(message.endpoint).finish()
    case 'USER_ON':
      return w.client(message).finish()
    case 'USER_OFF':
      return w.endpoint(message.endpoint).deviceId(message.id).u8(LeaveReasonCode[message.reason]).finish()
    case 'CLIENT_LIST': {
      w.u32(message.clients.length)
      for (const client of message.clients) w.client(client)
      return w.finish()
    }
    case 'GET_FILE_LIST':
    case 'SUBSCRIBE':
      return w.finish()
    case 'FILE_LIST': {
      w.u8(message.last ? 1 : 0).u32(message.files.length)
      for (const file of message.files) w.fileEntry(file)
      return w.finish()
    }
    case 'GET_FILE':
      w.str(message.path)
      return (message.version ? w.u8(1).version(message.version) : w.u8(0)).finish()
    case 'FILE_UP_TO_DATE':
    case 'FILE_NOT_FOUND':
      return w.str(message.path).finish()
    case 'FILE_SIZE':
      return w.str(message.path).version(message.version).u64(message.size).finish()
    case 'FILE_DATA':
      return w.raw(message.data).finish()
    case 'FILE_ABORT':
      return w.str(message.path).str(message.reason).finish()
    case 'FOLDER_STATE':
      return w.u8(message.present ? 1 : 0).finish()
    case 'GET_FILES': {
      const count = message.files.length
      if (count < 1 || count > MAX_BATCH_FILES) throw new RangeError(`GET_FILES names 1 to ${MAX_BATCH_FILES} files, not ${count}`)
      w.u16(count)
      for (const file of message.files) {
        w.str(file.path)
        if (file.version) w.u8(1).version(file.version)
        else w.u8(0)
      }
      return w.finish()
    }
    case 'FILES': {
      const frame = new FilesFrame()
      for (const record of message.records) frame.record(record)
      return frame.finish(message.last)
    }
    case 'INDEX_CHANGED': {
      w.u32(message.changes.length)
      for (const change of message.changes) {
        if (change.op === 'upsert') w.u8(CHANGE_UPSERT).fileEntry(change)
        else w.u8(CHANGE_DELETE).str(change.path)
      }
      return w.finish()
    }
    case 'GET_BLOCK_LIST':
    case 'BLOCK_LIST':
    case 'GET_BLOCKS':
    case 'BLOCKS':
      return encodeBlockMessage(w, message)
  }
}

const CHANGE_UPSERT = 1
const CHANGE_DELETE = 2
/** The fewest bytes a FILE_LIST entry takes: an empty path, the version, the size, the flags. */
const MIN_FILE_ENTRY_BYTES = 2 + VERSION_BYTES + 8 + 1
/** The fewest bytes an INDEX_CHANGED change takes: a delete of an empty path. */
const MIN_CHANGE_BYTES = 1 + 2
/** The fewest bytes a CLIENT_LIST entry takes: an IPv4 endpoint, a device ID, a 1-byte name. */
const MIN_CLIENT_ENTRY_BYTES = 7 + DEVICE_ID_BYTES + 3
/** A GET_FILES entry: empty path, no version. */
const MIN_WANTED_BYTES = 2 + 1

function decodeChange(r: Reader): IndexChange {
  const op = r.u8('change')
  if (op === CHANGE_UPSERT) return { op: 'upsert', ...r.fileEntry() }
  if (op === CHANGE_DELETE) return { op: 'delete', path: r.str('path') }
  throw new ProtocolError('bad-frame', `INDEX_CHANGED: unknown change ${op}`)
}

/** Refuses a count the frame cannot hold before looping over it. */
function checkCount(name: string, count: number, minBytes: number, body: Buffer): void {
  if (count * minBytes > body.length) {
    throw new ProtocolError('bad-frame', `${name}: ${count} entries cannot fit in ${body.length} bytes`)
  }
}

function decodeHello(r: Reader): Message {
  const magic = r.take(HELLO_MAGIC.length, 'magic')
  if (!magic.equals(HELLO_MAGIC)) {
    throw new ProtocolError('bad-frame', `HELLO: magic 0x${magic.toString('hex')} is not "DBSY" (not a dropbox-sync peer)`)
  }
  const version = r.u16('version')
  // Checked before any other field, so a later version may change the rest of HELLO freely.
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('version-mismatch', `this node speaks protocol version ${PROTOCOL_VERSION}, the peer version ${version}`)
  }
  const role = r.u8('role')
  if (role !== NodeRole.server && role !== NodeRole.client) throw new ProtocolError('bad-frame', `HELLO: unknown role ${role}`)
  const heartbeatMs = r.u32('heartbeat')
  const name = r.deviceName()
  r.end()
  return { type: 'HELLO', version, role: role === NodeRole.server ? 'server' : 'client', heartbeatMs, name }
}

/**
 * One CLIENT_LIST entry's bytes, for encodeClientList: a registry encodes each client once, not
 * once for every list it appears in.
 */
export function encodeClientEntry(entry: ClientEntry): Buffer {
  return Buffer.from(new Writer(MessageType.CLIENT_LIST).client(entry).finish().subarray(LENGTH_PREFIX_BYTES + 1))
}

/** The CLIENT_LIST frame of entries from encodeClientEntry: the bytes encodeMessage makes. */
export function encodeClientList(entries: readonly Buffer[]): Buffer {
  let bytes = 0
  for (const entry of entries) bytes += entry.length
  const w = new Writer(MessageType.CLIENT_LIST, LENGTH_PREFIX_BYTES + 1 + 4 + bytes).u32(entries.length)
  for (const entry of entries) w.raw(entry)
  return w.finish()
}

/** Decodes one frame body (type byte first). Throws ProtocolError for anything malformed. */
export function decodeBody(body: Buffer): Message {
  if (body.length === 0) throw new ProtocolError('bad-frame', 'empty frame: a frame holds at least its type byte')
  const typeCode = body[0]!
  const name = typeNames.get(typeCode)
  if (!name) throw new ProtocolError('unknown-type', `unknown message type 0x${typeCode.toString(16).padStart(2, '0')}`)
  const r = new Reader(body, name)
  let message: Message
  switch (name) {
    case 'HELLO':
      return decodeHello(r)
    case 'ERROR':
      message = { type: name, code: r.u16('code'), text: r.str('text') }
      break
    case 'PING':
    case 'PONG':
    case 'GET_CLIENTS':
    case 'JOIN_OK':
    case 'JOIN_PENDING':
      message = { type: name }
      break
    case 'JOIN': {
      const token = Buffer.from(r.blob('token', JOIN_TOKEN_BYTES))
      if (token.length !== 0 && token.length !== JOIN_TOKEN_BYTES) throw new ProtocolError('bad-frame', `JOIN: a token has 0 or ${JOIN_TOKEN_BYTES} bytes, not ${token.length}`)
      message = { type: name, token }
      break
    }
    case 'LOG_ON':
    case 'LOG_ON_OK':
    case 'LOG_OFF':
    case 'LOG_OFF_OK':
    case 'ERROR_IP_PORT_NOT_FOUND_IN_LIST':
      message = { type: name, endpoint: r.endpoint() }
      break
    case 'USER_ON':
      message = { type: name, ...r.client('address') }
      break
    case 'USER_OFF': {
      const endpoint = r.endpoint()
      const id = r.deviceId()
      const code = r.u8('reason')
      const reason = leaveReasons.get(code)
      if (!reason) throw new ProtocolError('bad-frame', `USER_OFF: unknown reason ${code}`)
      message = { type: name, endpoint, id, reason }
      break
    }
    case 'CLIENT_LIST': {
      const count = r.u32('count')
      checkCount(name, count, MIN_CLIENT_ENTRY_BYTES, body)
      const clients: ClientEntry[] = []
      for (let i = 0; i < count; i++) clients.push(r.client(`entry ${i + 1}`))
      message = { type: name, clients }
      break
    }
    case 'GET_FILE_LIST':
    case 'SUBSCRIBE':
      message = { type: name }
      break
    case 'FILE_LIST': {
      const last = r.bool('last')
      const count = r.u32('count')
      checkCount(name, count, MIN_FILE_ENTRY_BYTES, body)
      const files: FileEntry[] = []
      for (let i = 0; i < count; i++) files.push(r.fileEntry())
      message = { type: name, last, files }
      break
    }
    case 'GET_FILE': {
      const path = r.str('path')
      message = { type: name, path, version: r.bool('has version') ? r.version() : null }
      break
    }
    case 'FILE_UP_TO_DATE':
    case 'FILE_NOT_FOUND':
      message = { type: name, path: r.str('path') }
      break
    case 'FILE_SIZE':
      message = { type: name, path: r.str('path'), version: r.version(), size: r.u64('size') }
      break
    case 'FILE_DATA':
      // The content stays a view of the frame: no copy on the hot path.
      message = { type: name, data: r.rest() }
      break
    case 'FILE_ABORT':
      message = { type: name, path: r.str('path'), reason: r.str('reason') }
      break
    case 'FOLDER_STATE':
      message = { type: name, present: r.bool('present') }
      break
    case 'GET_FILES': {
      const count = r.u16('count')
      if (count < 1 || count > MAX_BATCH_FILES) throw new ProtocolError('bad-frame', `GET_FILES: ${count} files, not 1 to ${MAX_BATCH_FILES}`)
      checkCount(name, count, MIN_WANTED_BYTES, body)
      const files: WantedFile[] = []
      for (let i = 0; i < count; i++) {
        const path = r.str('path')
        files.push({ path, version: r.bool('has version') ? r.version() : null })
      }
      message = { type: name, files }
      break
    }
    case 'FILES': {
      const last = r.bool('last')
      const count = r.u16('count')
      if (count > MAX_BATCH_FILES) throw new ProtocolError('bad-frame', `FILES: ${count} records, more than ${MAX_BATCH_FILES}`)
      checkCount(name, count, 1, body)
      const records: FileRecord[] = []
      for (let i = 0; i < count; i++) records.push(decodeFilesRecord(r, i + 1))
      message = { type: name, last, records }
      break
    }
    case 'INDEX_CHANGED': {
      const count = r.u32('count')
      checkCount(name, count, MIN_CHANGE_BYTES, body)
      const changes: IndexChange[] = []
      for (let i = 0; i < count; i++) changes.push(decodeChange(r))
      message = { type: name, changes }
      break
    }
    case 'GET_BLOCK_LIST':
    case 'BLOCK_LIST':
    case 'GET_BLOCKS':
    case 'BLOCKS':
      message = decodeBlockMessage(r, name)
      break
  }
  r.end()
  return message
}
