// The version of a file's content (blocks/block-plan.ts), read in pieces: never a whole file in
// memory.
//
// With synchronous reads on the calling thread, yielding between the pieces of a large file: a
// trip through the thread pool per read costs more than hashing a small file.
import { fstatSync, readSync, type Stats } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { VersionHasher } from '../blocks/version-hasher'

/** A multiple of every block size up to 1 MiB: pieces of a file then hold whole blocks. */
const READ_BYTES = 1024 * 1024
/** Passes over a file whose size keeps moving before its first `size` bytes are taken as they are. */
const PASSES = 3
/** A file that keeps shrinking under the passes is given up on after this many. */
const MOST_PASSES = 10

export interface HashedFile {
  version: Buffer
  size: number
  blockSize: number
  /** The blocks' hashes, in order. */
  hashes: Buffer[]
  /** The opened file's stats once read, for the caller to tell whether it changed meanwhile. */
  after: Stats
  /** The bytes hashed, when one read took them all (a small file); see recent-bytes.ts. */
  bytes?: Buffer
}

/**
 * Hashes the regular file open at `fd` (opened as open-inside.ts does; the caller closes it) up
 * to its end. The block size follows from the size, so `expectedSize` (its size a moment ago)
 * plans the pass; a file found longer or shorter is read again with its new size. `progress`:
 * told the bytes hashed so far at each turn given between pieces (only a file larger than one
 * piece gets any).
 */
export async function hashFile(fd: number, expectedSize?: number, progress?: (bytes: number) => void): Promise<HashedFile> {
  const stats = fstatSync(fd)
  if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' })
  let plan = expectedSize ?? stats.size
  for (let pass = 1; ; pass++) {
    const { hasher, end, whole } = await hashPass(fd, plan, progress)
    // From the last pass on, a file found longer gets the version of its first `plan` bytes; its
    // stats (`after`) tell the caller it changed.
    if (end === plan || (pass >= PASSES && end > plan)) return { ...hashedFrom(hasher, fd), bytes: whole }
    if (pass >= MOST_PASSES) throw Object.assign(new Error('the file kept changing size while it was read'), { code: 'EAGAIN' })
    plan = end
  }
}

/** The version of the first `size` bytes of the file open at `fd` (a snapshot of a file grown since); null when it is shorter now. */
export async function hashPrefix(fd: number, size: number): Promise<HashedFile | null> {
  const { hasher, end } = await hashPass(fd, size)
  return end < size ? null : hashedFrom(hasher, fd)
}

/** What a pass that took all its planned bytes found, with the file's stats now. */
function hashedFrom(hasher: VersionHasher, fd: number): HashedFile {
  return { version: hasher.digest(), size: hasher.size, blockSize: hasher.blockSize, hashes: hasher.hashes, after: fstatSync(fd) }
}

/**
 * Hashes the first `plan` bytes; `end`: where the file ended (less than `plan`: it is shorter;
 * more: longer, its size now); `whole`: the bytes hashed, when the first read took them all.
 */
async function hashPass(fd: number, plan: number, progress?: (bytes: number) => void): Promise<{ hasher: VersionHasher; end: number; whole?: Buffer }> {
  const hasher = new VersionHasher(plan)
  // One byte more than planned: a read that comes back short is the end, with no second read.
  const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, plan + 1))
  let at = 0
  for (;;) {
    const want = Math.min(buffer.length, plan - at + 1)
    const bytesRead = readSync(fd, buffer, 0, want, at)
    const taken = Math.min(bytesRead, plan - at)
    if (taken > 0) hasher.update(buffer.subarray(0, taken))
    at += taken
    const whole = at === taken ? buffer.subarray(0, taken) : undefined
    if (bytesRead > taken) return { hasher, end: Math.max(fstatSync(fd).size, plan + 1), whole }
    if (bytesRead < want) return { hasher, end: at, whole }
    // A large file: let the thread serve others between its pieces.
    progress?.(at)
    await nextTurn()
  }
}
