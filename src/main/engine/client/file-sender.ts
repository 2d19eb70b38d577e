// The folder server's answers to GET_FILE (one file, streamed in chunks) and GET_FILES (many
// small files packed into FILES frames), read through SharedFiles so no byte goes out under a
// version it is not; a small file hashed a moment ago and unchanged since goes from the bytes hashed.
import { closeSync, read, readSync } from 'node:fs'
import { VersionHasher } from '../blocks/version-hasher'
import type { Connection } from '../net/connection'
import { FilesFrame } from '../protocol/files-frame'
import { BATCH_FILE_BYTES, FILES_FRAME_TARGET_BYTES } from '../protocol/constants'
import type { WantedFile } from '../protocol/messages'
import { CHANGED_WHILE_READ, SHRANK_WHILE_READ, type SharedFiles } from './shared-files'

/** Files up to this size are read with one synchronous call. */
const SMALL_READ_BYTES = 64 * 1024

export class FileSender {
  constructor(private readonly files: SharedFiles) {}

  async sendFile(connection: Connection, relPath: string, have: Buffer | null): Promise<void> {
    const file = this.files.lookup(relPath)
    if (!file) {
      connection.send({ type: 'FILE_NOT_FOUND', path: relPath })
      return
    }
    if (have && have.equals(file.version)) {
      connection.send({ type: 'FILE_UP_TO_DATE', path: relPath })
      return
    }
    // A small file is paid for before it is read; a large one chunk by chunk, below.
    if (file.size <= SMALL_READ_BYTES) await connection.throttle(file.size)
    const kept = file.size <= BATCH_FILE_BYTES ? this.files.keptBytes(file) : null
    if (kept) {
      connection.send({ type: 'FILE_SIZE', path: relPath, version: file.version, size: file.size })
      // A copy: the ring is written over while the socket may still hold this.
      if (file.size) connection.sendFileData(Buffer.from(kept))
      await connection.paced()
      return
    }
    const opened = this.files.open(relPath, file)
    if (typeof opened === 'string') return this.files.abort(connection, relPath, opened)
    const fd = opened
    try {
      connection.send({ type: 'FILE_SIZE', path: relPath, version: file.version, size: file.size })
      if (file.size <= SMALL_READ_BYTES) {
        // One synchronous read: cheaper than a thread-pool round trip for a small file.
        const chunk = Buffer.allocUnsafe(file.size)
        const bytesRead = file.size ? readSync(fd, chunk, 0, file.size, 0) : 0
        if (bytesRead < file.size) return this.files.abort(connection, relPath, SHRANK_WHILE_READ)
        if (!this.files.holdsVersion(chunk, file)) return this.files.changedWhileRead(connection, relPath)
        if (file.size) connection.sendFileData(chunk)
        // Pipelined requests for many small files must not pile up past the queue bound.
        await connection.paced()
        return
      }
      // Large files: the next chunk is read while the socket drains the current one.
      const chunkBytes = this.files.chunkBytes()
      const readAt = (position: number): Promise<{ memory: Buffer; chunk: Buffer }> => {
        const memory = this.files.take()
        return new Promise((resolve, reject) =>
          read(fd, memory, 0, Math.min(chunkBytes, file.size - position), position, (error, n) => {
            if (!error) return resolve({ memory, chunk: memory.subarray(0, n) })
            this.files.give(memory)
            reject(error)
          }),
        )
      }
      // Hashed as it is read only while its stats cannot vouch for it (see racy-files.ts), or a
      // snapshot's file has grown past it.
      const hash = this.files.statsCannotVouch(relPath, file) ? new VersionHasher(file.size) : null
      let sent = 0
      let next: Promise<{ memory: Buffer; chunk: Buffer }> | null = readAt(0)
      while (next && !connection.isClosed) {
        const { memory, chunk } = await next
        if (chunk.length === 0) {
          this.files.give(memory)
          return this.files.abort(connection, relPath, SHRANK_WHILE_READ)
        }
        sent += chunk.length
        next = sent < file.size ? readAt(sent) : null
        hash?.update(chunk)
        // The last chunk waits until what was read is known to be the version named.
        const problem = next ? null : await this.files.readProblem(fd, file, hash)
        if (problem) {
          this.files.give(memory)
          if (problem === 'rewritten') return this.files.changedWhileRead(connection, relPath)
          return this.files.abort(connection, relPath, SHRANK_WHILE_READ)
        }
        await connection.throttle(chunk.length)
        // The memory goes back once the socket has the chunk (or never will).
        connection.sendFileData(chunk, () => this.files.give(memory))
        await connection.paced()
      }
      await next?.catch(() => {})
    } finally {
      closeSync(fd)
    }
  }

  /**
   * GET_FILES: one record per file, in request order, packed into FILES frames of about
   * FILES_FRAME_TARGET_BYTES. Each file is read with one synchronous call straight into the
   * frame; the whole batch is one turn of work instead of a promise chain per file.
   */
  async sendFiles(connection: Connection, wanted: WantedFile[]): Promise<void> {
    let frame = new FilesFrame()
    for (const want of wanted) {
      if (frame.bytes >= FILES_FRAME_TARGET_BYTES) {
        await connection.throttle(frame.bytes)
        connection.sendFrame(frame.finish(false))
        await connection.paced()
        if (connection.isClosed) return
        frame = new FilesFrame()
      }
      this.addRecord(frame, want)
    }
    await connection.throttle(frame.bytes)
    connection.sendFrame(frame.finish(true))
    await connection.paced()
  }


  private addRecord(frame: FilesFrame, { path: relPath, version: have }: WantedFile): void {
    const file = this.files.lookup(relPath)
    if (!file) return frame.status('not-found')
    if (have && have.equals(file.version)) return frame.status('up-to-date')
    if (file.size > BATCH_FILE_BYTES) return frame.status('too-large')
    const kept = this.files.keptBytes(file)
    if (kept) return frame.content(file.version, kept.length).data.set(kept)
    const opened = this.files.open(relPath, file)
    if (typeof opened === 'string') {
      this.files.index.served.recheck(relPath)
      return frame.abort(opened)
    }
    try {
      const record = frame.content(file.version, file.size)
      const bytesRead = file.size ? readSync(opened, record.data, 0, file.size, 0) : 0
      if (bytesRead < file.size) {
        record.undo()
        this.files.index.served.recheck(relPath)
        frame.abort(SHRANK_WHILE_READ)
      } else if (!this.files.holdsVersion(record.data, file)) {
        record.undo()
        this.files.index.served.distrust(relPath)
        frame.abort(CHANGED_WHILE_READ)
      }
    } finally {
      closeSync(opened)
    }
  }
}
