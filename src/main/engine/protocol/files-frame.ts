// The FILES frame (docs/PROTOCOL.md §13.19): records of small files' content or status, built record
// by record straight into the frame a folder server sends, and read back one record at a time.
import { BATCH_FILE_BYTES, FILES_FRAME_TARGET_BYTES, LENGTH_PREFIX_BYTES, MAX_BATCH_FILES, MessageType } from './constants'
import { ProtocolError } from './errors'
import { Writer, type Reader } from './fields'
import type { FileRecord } from './messages'

const RECORD_STATUS = { content: 0, 'up-to-date': 1, 'not-found': 2, 'too-large': 3, abort: 4 } as const
const recordStatuses = new Map<number, FileRecord['status']>(
  Object.entries(RECORD_STATUS).map(([name, code]) => [code, name as FileRecord['status']]),
)
/** Offsets in a FILES frame (length prefix counted) of `last` and of the record count. */
const FILES_LAST_AT = LENGTH_PREFIX_BYTES + 1
const FILES_COUNT_AT = FILES_LAST_AT + 1

/**
 * Builds one FILES frame record by record. `content` hands out the record's bytes inside the
 * frame, so a folder server reads a file straight into the frame it sends: no copy.
 */
export class FilesFrame {
  private readonly w = new Writer(MessageType.FILES, FILES_FRAME_TARGET_BYTES + BATCH_FILE_BYTES + 64)
  count = 0

  constructor() {
    this.w.u8(0).u16(0)
  }

  /** Bytes written so far: a sender starts a new frame once this reaches FILES_FRAME_TARGET_BYTES. */
  get bytes(): number {
    return this.w.mark
  }

  /** A content record of `size` bytes; fill the returned view. `undo` takes it back (a short read). */
  content(version: Uint8Array, size: number): { data: Buffer; undo: () => void } {
    if (!Number.isInteger(size) || size < 0 || size > BATCH_FILE_BYTES) throw new RangeError(`a FILES record carries at most ${BATCH_FILE_BYTES} bytes, not ${size}`)
    const mark = this.w.mark
    this.w.u8(RECORD_STATUS.content).version(version).u32(size)
    const data = this.w.reserve(size)
    this.count++
    return {
      data,
      undo: () => {
        this.w.rewind(mark)
        this.count--
      },
    }
  }

  status(status: 'up-to-date' | 'not-found' | 'too-large'): void {
    this.w.u8(RECORD_STATUS[status])
    this.count++
  }

  abort(reason: string): void {
    this.w.u8(RECORD_STATUS.abort).str(reason)
    this.count++
  }

  record(record: FileRecord): void {
    if (record.status === 'content') this.content(record.version, record.data.length).data.set(record.data)
    else if (record.status === 'abort') this.abort(record.reason)
    else this.status(record.status)
  }

  finish(last: boolean): Buffer {
    if (this.count > MAX_BATCH_FILES) throw new RangeError(`a FILES frame holds at most ${MAX_BATCH_FILES} records, not ${this.count}`)
    this.w.patchU8(FILES_LAST_AT, last ? 1 : 0)
    this.w.patchU16(FILES_COUNT_AT, this.count)
    return this.w.finish()
  }
}

/** One record of a FILES frame; `index` counts from 1, for the error. */
export function decodeFilesRecord(r: Reader, index: number): FileRecord {
  const code = r.u8(`record ${index} status`)
  const status = recordStatuses.get(code)
  if (status === undefined) throw new ProtocolError('bad-frame', `FILES: record ${index} has unknown status ${code}`)
  if (status === 'abort') return { status, reason: r.str('reason') }
  if (status !== 'content') return { status }
  const version = r.version()
  const size = r.u32('size')
  if (size > BATCH_FILE_BYTES) throw new ProtocolError('bad-frame', `FILES: record ${index} of ${size} bytes exceeds ${BATCH_FILE_BYTES}`)
  // A view of the frame: the receiver hashes and writes it before the frame is let go.
  return { status, version, data: r.take(size, `record ${index} content`) }
}
