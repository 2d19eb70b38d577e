// The bytes of small files the index has just hashed, kept for a while by path and version, with
// the file's stats as hashed: the folder server sends them while a look at the path still finds
// those stats, and otherwise checks the bytes it reads from the disk against them instead of
// hashing them again. Equal bytes are that version; other bytes are hashed.
import { BATCH_FILE_BYTES } from '../protocol/constants'
import { sameStats, type FileStats } from './file-hashing'

/** The memory the bytes are copied into (a file copied in is usually asked for within moments). */
export const RECENT_BYTES_KEPT = 8 * 1024 * 1024
/** The least of the ring an entry takes, however small its file: the entries kept (and their memory) stay bounded for empty files too. */
export const RECENT_SLOT_BYTES = 512

/** What a file's stats say of it: the same stats, and it is taken for the same file, unwritten since. */
export interface FileIdentity extends FileStats {
  dev: number
  ctimeMs: number
}

/** The index's own test of stats, and no rename or change of mode since either (each moves ctime). */
function unchangedSince(then: FileIdentity, now: FileIdentity): boolean {
  return sameStats(then, now) && now.ctimeMs === then.ctimeMs && now.dev === then.dev
}

interface Kept {
  rel: string
  version: Buffer
  offset: number
  length: number
  /** The file's stats when its bytes were read, copied: a Stats object holds four Dates besides. */
  identity: FileIdentity
}

/**
 * One ring of memory, written round and round; the oldest entries give way to the bytes written
 * over them. Copied in rather than holding each read's own Buffer: thousands of those, each kept
 * alive for a while, would outlive the young generation and cost the collector more than a hash.
 */
export class RecentBytes {
  /** By path. */
  private readonly kept = new Map<string, Kept>()
  /**
   * Every entry put, oldest first from `first` on: the order they lie in the ring, from the write
   * head on. Those forgotten since (no longer `kept`'s) are passed over. Not the Map's own order:
   * each look at its oldest entry would walk over every entry deleted before it.
   */
  private order: Kept[] = []
  private first = 0
  private ring: Buffer | null = null
  private head = 0
  /** Times bytesOf handed bytes out (for tests). */
  handedOut = 0

  constructor(private readonly size = RECENT_BYTES_KEPT) {}

  /**
   * `bytes` were just hashed to `version` at `rel`, whose stats were `stats` once read; files of
   * more than one batch are not kept.
   */
  put(rel: string, version: Buffer, bytes: Uint8Array, stats: FileIdentity): void {
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
    const identity = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs }
    const entry = { rel, version, offset: start, length, identity }
    this.kept.set(rel, entry)
    this.order.push(entry)
    this.head = end
  }

  forget(rel: string): void {
    this.kept.delete(rel)
  }

  /**
   * The bytes of `version` at `rel`, if kept and `look` (asked only then) finds the file's stats
   * still those it had when they were read; else null. A view into the ring: copy it at once.
   */
  bytesOf(rel: string, version: Buffer, look: () => FileIdentity | null): Buffer | null {
    const entry = this.kept.get(rel)
    if (!entry || !this.ring || !entry.version.equals(version)) return null
    const now = look()
    if (!now || !unchangedSince(entry.identity, now)) return null
    this.handedOut++
    return this.ring.subarray(entry.offset, entry.offset + entry.length)
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
    for (; this.first < this.order.length; this.first++) {
      const oldest = this.order[this.first]!
      if (this.kept.get(oldest.rel) !== oldest) continue
      if (!drop(oldest)) break
      this.kept.delete(oldest.rel)
    }
    // The entries passed go, once they are most of the list.
    if (this.first > 1024 && this.first * 2 > this.order.length) {
      this.order = this.order.slice(this.first)
      this.first = 0
    }
  }
}

function slotOf(length: number): number {
  return Math.max(length, RECENT_SLOT_BYTES)
}
