import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pathInMirror } from '../../src/main/engine/mirror/mirror-path'
import { mirrorFolderName, pathProblem, relativePathProblem } from '../../src/shared/paths'

describe('relativePathProblem', () => {
  it('measures names and paths in UTF-8 bytes exactly as an encoder does', () => {
    const encoder = new TextEncoder()
    // Names around the limit, from every plane, lone surrogates included (encoded as U+FFFD).
    const unit = fc.oneof(fc.constantFrom('a', 'é', '日', '🎉', '\ud800', '\udc00'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
    const name = fc.array(unit, { minLength: 60, maxLength: 200 }).map((units) => units.join('').replace(/[\0/\\]/g, 'x'))
    fc.assert(
      fc.property(name, (n) => {
        fc.pre(n !== '.' && n !== '..' && !/^[A-Za-z]:/.test(n))
        const tooLong = encoder.encode(n).length > 255
        expect(relativePathProblem(n)?.includes('longer than 255') ?? false).toBe(tooLong)
        expect(relativePathProblem(`dir/${n}`)?.includes('longer than 255') ?? false).toBe(tooLong)
      }),
      { numRuns: 2000 },
    )
  })

  it('takes a path or refuses it exactly as the rule says, whichever way it is checked', () => {
    // The rule spelled out plainly, to hold the one-pass check for usual paths to it.
    const encoder = new TextEncoder()
    const allowed = (p: string): boolean =>
      p !== '' && !p.includes('\0') && !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.includes('\\') && encoder.encode(p).length <= 4096 &&
      p.split('/').every((name) => name !== '' && name !== '.' && name !== '..' && encoder.encode(name).length <= 255)
    const unit = fc.constantFrom('a', 'Z', '.', '/', '\\', ':', '\0', '\n', ' ', '~', '\x7f', 'é', '🎉', 'C')
    const paths = fc.oneof(
      fc.array(unit, { maxLength: 12 }).map((units) => units.join('')),
      fc.tuple(fc.integer({ min: 250, max: 260 }), fc.integer({ min: 0, max: 3 })).map(([n, dirs]) => `${'d/'.repeat(dirs)}${'x'.repeat(n)}`),
      fc.integer({ min: 2040, max: 2050 }).map((n) => `${'a/'.repeat(n)}b`),
    )
    fc.assert(
      fc.property(paths, (p) => {
        expect(relativePathProblem(p) === null, JSON.stringify(p)).toBe(allowed(p))
      }),
      { numRuns: 5000 },
    )
  })

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

  it('answers as the full rules do, whatever the path (its one-pass check vouches only for what they accept)', () => {
    const name = fc.oneof(
      fc.constantFrom('', '.', '..', '...', 'C:', 'c:x', ':', 'a:b', '\\', '\0', 'é', '日本', '🎉', 'x'.repeat(85), 'x'.repeat(86), 'é'.repeat(128), 'x'.repeat(256)),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    )
    const paths = fc.oneof(fc.array(name, { maxLength: 6 }).map((parts) => parts.join('/')), fc.constantFrom(`${'ab/'.repeat(1365)}x`, `${'ab/'.repeat(1366)}x`, `${'a/'.repeat(2049)}b`))
    fc.assert(
      fc.property(paths, (p) => {
        expect(relativePathProblem(p)).toBe(pathProblem(p))
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 5000) },
    )
  })

  it('lands where path.join lands, whatever the folder (its join as it is vouches only for normalized ones)', () => {
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', '/', '\\', 'é'), fc.string({ maxLength: 6 }))
    const folder = fc.constantFrom('/m/peer', '/m/peer/', '/m/./peer', '/m/x/../peer', '/', '', '.', '..', 'rel/m', './rel', '/m//peer', '/m/peer.d')
    fc.assert(
      fc.property(folder, fc.array(segment, { minLength: 1, maxLength: 5 }), (root, parts) => {
        const rel = parts.join('/')
        const joined = path.join(root, ...rel.split('/'))
        const where = pathInMirror(root, rel)
        if (relativePathProblem(rel) !== null) expect(where).toEqual({ problem: relativePathProblem(rel) })
        else if (joined.startsWith(root + path.sep)) expect(where).toEqual({ path: joined })
        else expect(where).toEqual({ problem: 'it leads outside the mirror' })
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 2000) },
    )
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
