// The bytes of small files the index has just hashed, kept for a while by path and version: the
// folder server still reads every file it sends from the disk, and checks those bytes against
// these instead of hashing them again. Equal bytes are that version; other bytes are hashed.
import { BATCH_FILE_BYTES } from '../protocol/constants'

/** The memory the bytes are copied into (a file copied in is usually asked for within moments). */
export const RECENT_BYTES_KEPT = 8 * 1024 * 1024
/** The least of the ring an entry takes, however small its file: the entries kept (and their memory) stay bounded for empty files too. */
export const RECENT_SLOT_BYTES = 512

interface Kept {
  version: Buffer
  offset: number
  length: number
}

/**
 * One ring of memory, written round and round; the oldest entries give way to the bytes written
 * over them. Copied in rather than holding each read's own Buffer: thousands of those, each kept
 * alive for a while, would outlive the young generation and cost the collector more than a hash.
 */
export class RecentBytes {
  /** By path, oldest first: the order they lie in the ring, from the write head on. */
  private readonly kept = new Map<string, Kept>()
  private ring: Buffer | null = null
  private head = 0

  constructor(private readonly size = RECENT_BYTES_KEPT) {}

  /** `bytes` were just hashed to `version` at `rel`; files of more than one batch are not kept. */
  put(rel: string, version: Buffer, bytes: Uint8Array): void {
    this.forget(rel)
    const length = bytes.length
    const slot = slotOf(length)
    if (length > BATCH_FILE_BYTES || slot > this.size) return
    if (this.head + slot > this.size) {
      // What lies between the head and the end is the oldest; the head goes back to the start.
      this.dropOldestWhile((oldest) => oldest.offset >= this.head)
      this.head = 0
    }
    const [start, end] = [this.head, this.head + slot]
    this.dropOldestWhile((oldest) => oldest.offset < end && oldest.offset + slotOf(oldest.length) > start)
    this.ring ??= Buffer.allocUnsafeSlow(this.size)
    this.ring.set(bytes, start)
    this.kept.set(rel, { version, offset: start, length })
    this.head = end
  }

  forget(rel: string): void {
    this.kept.delete(rel)
  }

  /**
   * Whether `data`, read from the disk at `rel`, is `version`: compared with the bytes hashed to
   * it when those are kept, else hashed by `hash`.
   */
  holds(rel: string, version: Buffer, data: Buffer, hash: (data: Buffer) => Buffer): boolean {
    const entry = this.kept.get(rel)
    if (entry && this.ring && entry.version.equals(version)) {
      return data.length === entry.length && data.compare(this.ring, entry.offset, entry.offset + entry.length) === 0
    }
    return hash(data).equals(version)
  }

  /** Files kept now (for tests). */
  get files(): number {
    return this.kept.size
  }

  /** Bytes kept now (for tests). */
  get bytesHeld(): number {
    let bytes = 0
    for (const entry of this.kept.values()) bytes += entry.length
    return bytes
  }

  private dropOldestWhile(drop: (oldest: Kept) => boolean): void {
    for (const [rel, entry] of this.kept) {
      if (!drop(entry)) return
      this.kept.delete(rel)
    }
  }
}

function slotOf(length: number): number {
  return Math.max(length, RECENT_SLOT_BYTES)
}
