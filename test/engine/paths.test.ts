import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pathInMirror } from '../../src/main/engine/mirror/mirror-path'
import { mirrorFolderName, relativePathProblem } from '../../src/shared/paths'

describe('relativePathProblem', () => {
  it.each([
    ['a.txt'],
    ['dir/sub/file name, with [brackets] <and> (parens).txt'],
    ['ünïcödé/日本語/🎉'],
    ['...'],
    ['.hidden/..dots'],
    ['\uFEFFbom'],
  ])('accepts %j', (p) => {
    expect(relativePathProblem(p)).toBeNull()
  })

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['../x', '".." segment'],
    ['a/../../b', '".." segment'],
    ['a/./b', '"." segment'],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['nul\0byte', 'NUL'],
    ['back\\slash', 'backslash'],
    ['C:/windows', 'drive letter'],
    [`${'x'.repeat(256)}`, 'longer than 255'],
    [`${'a/'.repeat(2049)}b`, 'longer than 4096'],
  ])('refuses %j (%s)', (p, why) => {
    expect(relativePathProblem(p)).toContain(why)
  })

  it('never lets an accepted path resolve outside the mirror', () => {
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', '/', '\\', '\0'), fc.string({ maxLength: 6 }))
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (parts) => {
        const where = pathInMirror('/m/peer', parts.join('/'))
        if ('path' in where) expect(where.path.startsWith('/m/peer/')).toBe(true)
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 2000) },
    )
  })
})

describe('mirrorFolderName', () => {
  it('names IPv4 and IPv6 peers without colons', () => {
    expect(mirrorFolderName('127.0.0.1', 4000)).toBe('127.0.0.1_4000')
    expect(mirrorFolderName('2001:db8::1', 4000)).toBe('2001-db8--1_4000')
  })
})
