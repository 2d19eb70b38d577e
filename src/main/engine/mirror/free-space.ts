// Whether a pull fits on its mirror's disk, asked before it starts: a file that cannot fit is
// held, not fetched only to fail halfway. The disk is read (statfs) at most once a second per
// mirror folder; in between, what was admitted since the reading counts as used.
import { statfsSync } from 'node:fs'

/** A reading older than this is taken again (when it may be wrong: see FreeSpace.admit). */
export const READING_MAX_AGE_MS = 1000
/** What a pull leaves free at least: a hundredth of the disk, capped at this. */
export const MARGIN_MAX_BYTES = 1024 * 1024

/** What statfs says of a disk: free blocks an unprivileged user may take, their size, all blocks. */
export interface DiskReading {
  bavail: number
  bsize: number
  blocks: number
}

export type Fit = { fit: true } | { fit: false; need: number; free: number }

/** The bytes a file of `size` takes on a disk of `bsize` blocks. */
export function bytesOnDisk(size: number, bsize: number): number {
  return Math.ceil(size / bsize) * bsize
}

/** What stays free beside the mirror's files: the manifest and the folders need a little. */
export function marginOf(disk: DiskReading): number {
  return Math.min(MARGIN_MAX_BYTES, Math.floor((disk.blocks * disk.bsize) / 100))
}

/**
 * Whether a file of `size` bytes fits on `disk` with `used` bytes already promised to pulls since
 * it was read. `free`: what the disk said was free. An empty file takes no blocks: it always fits.
 */
export function fits(disk: DiskReading, used: number, size: number): Fit {
  const need = bytesOnDisk(size, disk.bsize)
  const free = disk.bavail * disk.bsize
  return need === 0 || free - used - need >= marginOf(disk) ? { fit: true } : { fit: false, need, free }
}

interface FolderSpace {
  disk: DiskReading | null
  readAt: number
  /** Bytes admitted since the reading (those whose pull failed given back). */
  used: number
  /** Pulls admitted and not yet ended, by path, with what each was counted. */
  inFlight: Map<string, number>
}

export class FreeSpace {
  private readonly folders = new Map<string, FolderSpace>()

  constructor(
    private readonly read: (folder: string) => DiskReading = (folder) => statfsSync(folder),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether `rel` (`size` bytes) may be pulled into `folder` now; admitted, it counts as used until
   * it ends (see ended). A folder whose disk cannot be read admits everything: the write says why.
   */
  admit(folder: string, rel: string, size: number): Fit {
    const space = this.spaceOf(folder)
    const stale = this.now() - space.readAt >= READING_MAX_AGE_MS
    // A reading taken while pulls are under way counts their partial files twice: taken again only
    // when none is, or when the old one would hold this file back.
    if (stale && (!space.disk || space.inFlight.size === 0)) this.readDisk(folder, space)
    if (!space.disk) return { fit: true }
    let fit = fits(space.disk, space.used, size)
    if (!fit.fit && stale && space.inFlight.size > 0) {
      this.readDisk(folder, space)
      if (!space.disk) return { fit: true }
      fit = fits(space.disk, space.used, size)
    }
    if (fit.fit) {
      const need = bytesOnDisk(size, space.disk.bsize)
      space.used += need
      space.inFlight.set(rel, (space.inFlight.get(rel) ?? 0) + need)
    }
    return fit
  }

  /** The pull of `rel` ended; `written`: its bytes are on the disk now, else they never took room. */
  ended(folder: string, rel: string, written: boolean): void {
    const space = this.folders.get(folder)
    const need = space?.inFlight.get(rel)
    if (!space || need === undefined) return
    space.inFlight.delete(rel)
    if (!written) space.used = Math.max(0, space.used - need)
  }

  /** The mirror is not pulled into now (its peer left): read afresh next time. */
  forget(folder: string): void {
    this.folders.delete(folder)
  }

  private spaceOf(folder: string): FolderSpace {
    let space = this.folders.get(folder)
    if (!space) this.folders.set(folder, (space = { disk: null, readAt: -Infinity, used: 0, inFlight: new Map() }))
    return space
  }

  private readDisk(folder: string, space: FolderSpace): void {
    space.readAt = this.now()
    try {
      const { bavail, bsize, blocks } = this.read(folder)
      space.disk = { bavail, bsize, blocks }
    } catch {
      space.disk = null
    }
    // What is under way now is in the reading only in part: counted whole, to be safe.
    space.used = [...space.inFlight.values()].reduce((sum, need) => sum + need, 0)
  }
}
