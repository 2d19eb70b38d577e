// Whether a pull fits on its mirror's disk (mirror/free-space.ts): the pure decision as a table,
// then how often the disk is read and how pulls under way count.
import { describe, expect, it } from 'vitest'
import { bytesOnDisk, fits, FreeSpace, marginOf, MARGIN_MAX_BYTES, READING_MAX_AGE_MS, type DiskReading } from '../../src/main/engine/mirror/free-space'

const KiB = 1024
const MiB = 1024 * KiB
/** A disk of `total` bytes in 4 KiB blocks, `free` of them free. */
const disk = (total: number, free: number): DiskReading => ({ blocks: total / (4 * KiB), bsize: 4 * KiB, bavail: free / (4 * KiB) })

describe('bytesOnDisk and marginOf', () => {
  it.each([
    [0, 0],
    [1, 4 * KiB],
    [4 * KiB, 4 * KiB],
    [4 * KiB + 1, 8 * KiB],
    [700 * KiB, 700 * KiB],
  ])('a file of %i bytes takes %i', (size, taken) => {
    expect(bytesOnDisk(size, 4 * KiB)).toBe(taken)
  })

  it.each([
    [2 * MiB, Math.floor((2 * MiB) / 100)],
    [100 * MiB, MiB],
    [1024 * 1024 * MiB, MARGIN_MAX_BYTES],
  ])('a disk of %i bytes keeps %i free', (total, margin) => {
    expect(marginOf(disk(total, 0))).toBe(margin)
  })
})

describe('fits', () => {
  // 2 MiB disk: margin 20,971 bytes.
  it.each([
    ['an empty file on a full disk', disk(2 * MiB, 0), 0, 0, true],
    ['a small file on an empty disk', disk(2 * MiB, 2 * MiB), 0, 8 * KiB, true],
    ['a file as big as the disk', disk(2 * MiB, 2 * MiB), 0, 2 * MiB, false],
    ['a file that leaves the margin', disk(2 * MiB, 1 * MiB), 0, 1 * MiB - 24 * KiB, true],
    ['a file that eats into the margin', disk(2 * MiB, 1 * MiB), 0, 1 * MiB - 16 * KiB, false],
    ['a file that fits alone, not beside what is under way', disk(2 * MiB, 1 * MiB), 600 * KiB, 600 * KiB, false],
    ['a file that fits beside what is under way', disk(2 * MiB, 1 * MiB), 300 * KiB, 600 * KiB, true],
    ['anything on a disk with less free than its margin', disk(100 * MiB, 512 * KiB), 0, 1, false],
  ])('%s', (_what, reading, used, size, fit) => {
    const answer = fits(reading, used, size)
    expect(answer.fit).toBe(fit)
    if (!answer.fit) expect(answer).toEqual({ fit: false, need: bytesOnDisk(size, reading.bsize), free: reading.bavail * reading.bsize })
  })
})

describe('FreeSpace', () => {
  function setup(free: number): { space: FreeSpace; reads: () => number; setFree: (n: number) => void; tick: (ms: number) => void } {
    let now = 0
    let reads = 0
    let bytes = free
    const space = new FreeSpace(
      () => {
        reads++
        return disk(16 * MiB, bytes)
      },
      () => now,
    )
    return { space, reads: () => reads, setFree: (n) => (bytes = n), tick: (ms) => (now += ms) }
  }

  it('reads the disk once for many small files, and counts what it admitted', () => {
    const { space, reads } = setup(1 * MiB)
    const admitted = Array.from({ length: 300 }, (_, i) => space.admit('/m', `f${i}`, 4 * KiB).fit).filter(Boolean).length
    expect(reads()).toBe(1)
    // 1 MiB free less the 160 KiB margin: 216 files of 4 KiB.
    expect(admitted).toBe(Math.floor((1 * MiB - marginOf(disk(16 * MiB, 0))) / (4 * KiB)))
  })

  it('gives back what a failed pull was counted, not what a written one was', () => {
    const { space } = setup(1 * MiB)
    expect(space.admit('/m', 'a', 500 * KiB).fit).toBe(true)
    expect(space.admit('/m', 'b', 500 * KiB).fit).toBe(false)
    space.ended('/m', 'a', false)
    expect(space.admit('/m', 'b', 500 * KiB).fit).toBe(true)
    space.ended('/m', 'b', true)
    expect(space.admit('/m', 'c', 500 * KiB).fit).toBe(false)
  })

  it('reads the disk again once the reading is old and nothing is under way: room made meanwhile is seen', () => {
    const { space, reads, setFree, tick } = setup(100 * KiB)
    expect(space.admit('/m', 'big', 8 * MiB).fit).toBe(false)
    setFree(12 * MiB)
    // Too soon: the same reading.
    expect(space.admit('/m', 'big', 8 * MiB).fit).toBe(false)
    tick(READING_MAX_AGE_MS)
    expect(space.admit('/m', 'big', 8 * MiB).fit).toBe(true)
    expect(reads()).toBe(2)
  })

  it('while pulls are under way keeps its reading, unless it would hold a file back', () => {
    const { space, reads, setFree, tick } = setup(4 * MiB)
    expect(space.admit('/m', 'a', 2 * MiB).fit).toBe(true)
    tick(READING_MAX_AGE_MS)
    expect(space.admit('/m', 'b', 1 * MiB).fit).toBe(true)
    expect(reads()).toBe(1)
    // Someone freed room: the old reading says no, a new one (counting a and b whole) says yes.
    setFree(8 * MiB)
    expect(space.admit('/m', 'c', 3 * MiB).fit).toBe(true)
    expect(reads()).toBe(2)
  })

  it('admits everything in a folder whose disk cannot be read (the write says why), without asking each time', () => {
    let reads = 0
    const space = new FreeSpace(() => {
      reads++
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' })
    })
    for (let i = 0; i < 50; i++) expect(space.admit('/gone', `f${i}`, MiB).fit).toBe(true)
    expect(reads).toBe(1)
  })

  it('keeps each folder apart, and forgets one whose peer left', () => {
    const { space, reads } = setup(1 * MiB)
    expect(space.admit('/a', 'x', 800 * KiB).fit).toBe(true)
    expect(space.admit('/b', 'x', 800 * KiB).fit).toBe(true)
    expect(space.admit('/a', 'y', 800 * KiB).fit).toBe(false)
    space.forget('/a')
    expect(space.admit('/a', 'y', 800 * KiB).fit).toBe(true)
    expect(reads()).toBe(3)
  })

  it('reads the real disk by default', () => {
    expect(new FreeSpace().admit(process.cwd(), 'x', 1).fit).toBe(true)
  })
})
