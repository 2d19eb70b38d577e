// The bytes of small files the index has just hashed, kept for a while by path and version: the
// folder server still reads every file it sends from the disk, and checks those bytes against
// these instead of hashing them again. Equal bytes are that version; other bytes are hashed.
import { BATCH_FILE_BYTES } from '../protocol/constants'

/** At most this much memory is held (a file copied in is usually asked for within moments). */
export const RECENT_BYTES_KEPT = 8 * 1024 * 1024

interface Kept {
  version: Buffer
  bytes: Buffer
  /** What holding it costs: its whole backing memory (a small Buffer may share an 8 KiB slab). */
  cost: number
}

export class RecentBytes {
  private readonly kept = new Map<string, Kept>()
  private held = 0

  constructor(private readonly budget = RECENT_BYTES_KEPT) {}

  /** `bytes` were just hashed to `version` at `rel`; files of more than one batch are not kept. */
  put(rel: string, version: Buffer, bytes: Buffer): void {
    this.forget(rel)
    const cost = Math.max(bytes.length, bytes.buffer.byteLength)
    if (bytes.length > BATCH_FILE_BYTES || cost > this.budget) return
    this.kept.set(rel, { version, bytes, cost })
    this.held += cost
    // The oldest go first (a Map keeps the order things were put in).
    for (const [oldest, entry] of this.kept) {
      if (this.held <= this.budget) break
      this.kept.delete(oldest)
      this.held -= entry.cost
    }
  }

  forget(rel: string): void {
    const entry = this.kept.get(rel)
    if (!entry) return
    this.kept.delete(rel)
    this.held -= entry.cost
  }

  /**
   * Whether `data`, read from the disk at `rel`, is `version`: compared with the bytes hashed to
   * it when those are kept, else hashed by `hash`.
   */
  holds(rel: string, version: Buffer, data: Buffer, hash: (data: Buffer) => Buffer): boolean {
    const entry = this.kept.get(rel)
    if (entry && entry.version.equals(version)) return entry.bytes.equals(data)
    return hash(data).equals(version)
  }

  /** Memory held now (for tests). */
  get bytesHeld(): number {
    return this.held
  }
}
