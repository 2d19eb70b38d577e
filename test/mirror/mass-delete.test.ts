// The mass-delete decision and hold, as tables: no disk, no network.
import { describe, expect, it } from 'vitest'
import { DEFAULT_MASS_DELETE, isMassDelete, MASS_DELETE_WINDOW_MS, MassDeleteHold } from '../../src/main/engine/mirror/mass-delete'

describe('isMassDelete', () => {
  it.each([
    // deleted, had, limits, held?
    [1000, 1999, DEFAULT_MASS_DELETE, true], // just over half, and 1,000
    [1000, 2000, DEFAULT_MASS_DELETE, false], // exactly half is not more than half
    [999, 1000, DEFAULT_MASS_DELETE, false], // nearly all, but fewer than 1,000
    [10_000, 10_000, DEFAULT_MASS_DELETE, true], // everything
    [5000, 100_000, DEFAULT_MASS_DELETE, false], // many, but a small share
    [15, 20, { percent: 50, minFiles: 10 }, true],
    [9, 10, { percent: 50, minFiles: 10 }, false],
    [10, 10, { percent: 100, minFiles: 1 }, false], // 100%: never held
    [1, 1, { percent: 0, minFiles: 1 }, true], // 0%: every deletion held
    [0, 10, { percent: 0, minFiles: 1 }, false],
  ])('%i of %i files with %o: %s', (deleted, had, limits, held) => {
    expect(isMassDelete(deleted, had, limits)).toBe(held)
  })
})

describe('MassDeleteHold', () => {
  const limits = { percent: 50, minFiles: 10 }
  const paths = (n: number, prefix = 'f'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

  it.each([
    // batches of deletions [count, files in the mirror then, ms since start] → held after the last?
    { name: 'one small batch', batches: [[5, 20, 0]], held: 0 },
    { name: 'one batch past the limit', batches: [[15, 20, 0]], held: 15 },
    { name: 'the same deletion in two batches within the window', batches: [[5, 20, 0], [10, 15, 100]], held: 10 },
    { name: 'two batches a window apart', batches: [[5, 20, 0], [8, 15, MASS_DELETE_WINDOW_MS + 1]], held: 0 },
    { name: 'once held, every later deletion joins the hold', batches: [[15, 20, 0], [1, 20, MASS_DELETE_WINDOW_MS * 5]], held: 16 },
  ])('$name', ({ batches, held }) => {
    const hold = new MassDeleteHold(limits)
    batches.forEach(([count, filesNow, at], i) => hold.admit(paths(count!, `b${i}-`), filesNow!, at!))
    expect(hold.held.size).toBe(held)
  })

  it('says when a hold starts and how many of how many; a repeated list adds nothing new', () => {
    const hold = new MassDeleteHold(limits)
    expect(hold.admit(paths(15), 20, 0)).toEqual({ hold: true, started: true, files: 15, held: 15, total: 20 })
    expect(hold.admit(paths(15), 20, 1)).toEqual({ hold: true, started: false, files: 15, held: 15, total: 20 })
  })

  it('a hold reached over several batches says all the peer deleted, and how many of those wait', () => {
    const hold = new MassDeleteHold(limits)
    expect(hold.admit(paths(6, 'a'), 20, 0)).toEqual({ hold: false, apply: paths(6, 'a') })
    expect(hold.admit(paths(6, 'b'), 14, 1)).toEqual({ hold: true, started: true, files: 12, held: 6, total: 20 })
    expect(hold.admit(paths(2, 'c'), 14, 2)).toEqual({ hold: true, started: true, files: 14, held: 8, total: 20 })
    // Brought back one by one: the last release ends the hold.
    expect([...paths(6, 'b'), 'c0'].map((rel) => hold.release(rel))).toEqual([false, false, false, false, false, false, false])
    expect(hold.release('c1')).toBe(true)
    expect(hold.release('c1')).toBe(false)
  })

  it('a path the peer has again leaves the hold; confirm hands over the rest and starts afresh', () => {
    const hold = new MassDeleteHold(limits)
    hold.admit(paths(15), 20, 0)
    hold.release('f0')
    expect(hold.confirm(true).sort()).toEqual(paths(15).slice(1).sort())
    expect(hold.held.size).toBe(0)
    expect(hold.admit(paths(3, 'x'), 5, 1)).toEqual({ hold: false, apply: paths(3, 'x') })
  })

  it('confirmed while the peer is away: its next deletions pass once, then the limits hold again', () => {
    const hold = new MassDeleteHold(limits)
    hold.admit(paths(15), 20, 0)
    hold.confirm(false)
    expect(hold.admit(paths(15), 20, 1)).toEqual({ hold: false, apply: paths(15) })
    expect(hold.admit(paths(15, 'y'), 20, MASS_DELETE_WINDOW_MS * 3).hold).toBe(true)
  })
})
