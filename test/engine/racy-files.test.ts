// When a file's stats stop vouching for its content: within the clock tick of its last write.
import { describe, expect, it } from 'vitest'
import { isRacy, RacyFiles } from '../../src/main/engine/folder/racy-files'

describe('racy files', () => {
  it('a file hashed within its write’s tick is racy; one hashed after it, or stamped far ahead, is not', () => {
    const fine = 1_700_000_000_123.456
    expect(isRacy(fine, fine + 5)).toBe(true)
    expect(isRacy(fine, fine + 500)).toBe(false)
    // An mtime a little ahead of the clock (another machine's clock, a coarse stamp): racy.
    expect(isRacy(fine, fine - 5)).toBe(true)
    expect(isRacy(fine, fine - 60_000)).toBe(false)
    // Whole seconds: a file system whose clock ticks in seconds; a write 1.5 s later may keep it.
    const coarse = 1_700_000_000_000
    expect(isRacy(coarse, coarse + 1500)).toBe(true)
    expect(isRacy(coarse, coarse + 2500)).toBe(false)
  })

  it('says when the tick is over, once, and a path hashed again outside it is racy no more', async () => {
    const over: string[] = []
    const racy = new RacyFiles((path) => over.push(path))
    const now = Date.now()
    racy.note('a', now + 0.5, now)
    racy.note('b', now - 60_000.5, now)
    expect(racy.has('a')).toBe(true)
    expect(racy.has('b')).toBe(false)
    const deadline = Date.now() + 5000
    while (over.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(over).toEqual(['a'])
    // Still racy until it is hashed again.
    expect(racy.has('a')).toBe(true)
    racy.note('a', now + 0.5, Date.now() + 1000)
    expect(racy.has('a')).toBe(false)
    racy.close()
  })

  it('puts off the hash of a file written within its tick until the tick is over, looks meanwhile included, and only once in a row', async () => {
    const over: string[] = []
    const racy = new RacyFiles((path) => over.push(path))
    const now = Date.now()
    const fresh = now - 0.5
    // Written just now: put off; another look before the tick is over is put off too.
    expect(racy.postpone('a', fresh, now)).toBe(true)
    expect(racy.postpone('a', fresh, now + 1)).toBe(true)
    // Written long ago, or stamped in whole seconds (a tick of seconds): hashed at once.
    expect(racy.postpone('b', now - 60_000.5, now)).toBe(false)
    expect(racy.postpone('c', Math.floor(now / 1000) * 1000, now)).toBe(false)
    const deadline = Date.now() + 5000
    while (over.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(over).toEqual(['a'])
    // The look once the tick is over hashes, even if the file was written again meanwhile.
    expect(racy.postpone('a', Date.now() - 0.5)).toBe(false)
    // A path forgotten (gone) starts afresh.
    expect(racy.postpone('d', Date.now() - 0.5)).toBe(true)
    racy.forget('d')
    expect(racy.has('d')).toBe(false)
    expect(racy.postpone('d', Date.now() - 60_000.5)).toBe(false)
    racy.close()
  })

  it('a file put off and then hashed by another look (a scan) within its tick is not put off for ever', async () => {
    const over: string[] = []
    const racy = new RacyFiles((path) => over.push(path))
    const now = Date.now()
    expect(racy.postpone('a', now - 0.5, now)).toBe(true)
    // A look at the whole folder hashes it meanwhile, still within its tick: hashed again after it.
    racy.note('a', now - 0.5, now)
    const deadline = Date.now() + 5000
    while (over.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(over).toEqual(['a'])
    // The look that follows hashes it: its last write is long over.
    expect(racy.postpone('a', now - 60_000.5)).toBe(false)
    racy.close()
  })
})
