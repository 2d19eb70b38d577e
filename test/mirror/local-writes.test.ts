// The mirror's disk as pulls meet it (mirror/local-writes.ts): what is said, how often, and which
// files are handed back to be tried again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DiskReading } from '../../src/main/engine/mirror/free-space'
import { LocalWrites, type WritingMirror } from '../../src/main/engine/mirror/local-writes'

const MiB = 1024 * 1024
const mirror = (n: number): WritingMirror => ({ ref: { ip: '127.0.0.1', port: 4000 + n, id: `id${n}`, key: `127.0.0.1:${4000 + n}`, folder: `/mirrors/peer${n}` }, name: `laptop${n}` })

let said: Array<{ message: string; peer: string }>
let retried: Array<{ mirror: WritingMirror; paths: string[] }>
let free: number
let writes: LocalWrites<WritingMirror>

beforeEach(() => {
  vi.useFakeTimers()
  said = []
  retried = []
  free = 2 * MiB
  const readDisk = (): DiskReading => ({ blocks: (64 * MiB) / 4096, bsize: 4096, bavail: free / 4096 })
  writes = new LocalWrites({
    report: (message, peer) => said.push({ message, peer }),
    retry: (m, paths) => retried.push({ mirror: m, paths }),
    toCome: () => 5 * MiB,
    readDisk,
  })
})

afterEach(() => {
  writes.dispose()
  vi.useRealTimers()
})

describe('LocalWrites', () => {
  it('holds what does not fit, says so once per mirror naming the folder and the figures, and tries again when room may be made', () => {
    const one = mirror(1)
    expect(writes.admit(one, 'small', 100_000)).toBe(true)
    expect(writes.admit(one, 'big', 3 * MiB)).toBe(false)
    expect(writes.admit(one, 'big2', 3 * MiB)).toBe(false)
    expect(said).toEqual([
      { message: 'not enough free space in /mirrors/peer1: 5.2 MB needed, 2.1 MB free. The files from laptop1 (127.0.0.1:4001) wait, and come by themselves once there is room (free some space on its disk)', peer: '127.0.0.1:4001' },
    ])
    expect(writes.waiting(one)).toBe(2)
    vi.advanceTimersByTime(1000)
    expect(retried).toEqual([{ mirror: one, paths: ['big', 'big2'] }])
    // Another mirror on the same disk has its own say.
    expect(writes.admit(mirror(2), 'big', 3 * MiB)).toBe(false)
    expect(said).toHaveLength(2)
    expect(said[1]!.message).toContain('/mirrors/peer2')
  })

  it('a refused write is said once per cause and mirror, with what to do; the path is worth a line once', () => {
    const one = mirror(1)
    const rofs = (rel: string): string => `could not write ${rel} from 127.0.0.1:4001: EROFS: read-only file system, open '/mirrors/peer1/.dbs-tmp-1'`
    expect(writes.refused(one, 'a', rofs('a'))).toBe(true)
    expect(writes.refused(one, 'b', rofs('b'))).toBe(true)
    expect(writes.refused(one, 'a', rofs('a'))).toBe(false)
    expect(writes.refused(one, 'c', 'could not write c from 127.0.0.1:4001: ENOSPC: no space left on device, write')).toBe(true)
    expect(said.map((s) => s.message)).toEqual([
      `cannot write into /mirrors/peer1: its disk is read-only. The files from laptop1 (127.0.0.1:4001) wait, and come by themselves once it is writable again (${rofs('a')})`,
      'cannot write into /mirrors/peer1: its disk is full. The files from laptop1 (127.0.0.1:4001) wait, and come by themselves once there is room (free some space on it) (could not write c from 127.0.0.1:4001: ENOSPC: no space left on device, write)',
    ])
  })

  it('once every file that waited for a cause is written, that cause is news again', () => {
    const one = mirror(1)
    const eacces = 'EACCES: permission denied, open x'
    writes.refused(one, 'a', eacces)
    writes.ended(one.ref, 'a', true)
    expect(writes.waiting(one)).toBe(0)
    writes.refused(one, 'a', eacces)
    expect(said).toHaveLength(2)
    expect(said[1]!.message).toContain('this user may not write there')
  })

  it('a file no longer wanted waits no longer; a peer that left takes its waiting files and its timer along', () => {
    const one = mirror(1)
    writes.refused(one, 'a', 'EROFS: read-only file system')
    writes.refused(one, 'b', 'EROFS: read-only file system')
    writes.unwanted(one, 'a')
    expect(writes.waiting(one)).toBe(1)
    writes.forget(one)
    expect(writes.waiting(one)).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(120_000)
    expect(retried).toEqual([])
  })

  it('a failed pull gives its room back; a written one keeps it', () => {
    const one = mirror(1)
    expect(writes.admit(one, 'a', 1 * MiB)).toBe(true)
    expect(writes.admit(one, 'b', 1 * MiB)).toBe(false)
    writes.ended(one.ref, 'a', false)
    expect(writes.admit(one, 'c', 1 * MiB)).toBe(true)
    writes.ended(one.ref, 'c', true)
    expect(writes.admit(one, 'd', 1 * MiB)).toBe(false)
  })
})
