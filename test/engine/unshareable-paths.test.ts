// Paths that cannot be shared: each reported once, up to a bound said once, and again once gone.
import { describe, expect, it } from 'vitest'
import { MAX_UNSHAREABLE_REPORTED, SHOWN_PATH_CHARS, UnshareablePaths } from '../../src/main/engine/folder/unshareable-paths'
import type { EngineEvent } from '../../src/shared/events'

function reporter(): { paths: UnshareablePaths; codes: string[] } {
  const codes: string[] = []
  const paths = new UnshareablePaths('/shared', (event: EngineEvent) => {
    if (event.type === 'error') codes.push(event.code)
  })
  return { paths, codes }
}

describe('unshareable paths', () => {
  it.each<[string, (paths: UnshareablePaths) => void, string[]]>([
    ['one path, twice', (p) => (p.report('a', 'x'), p.report('a', 'x')), ['unshareable-path']],
    ['two paths', (p) => (p.report('a', 'x'), p.report('b', 'x')), ['unshareable-path', 'unshareable-path']],
    ['one gone and back', (p) => (p.report('a', 'x'), p.forget('a'), p.report('a', 'x')), ['unshareable-path', 'unshareable-path']],
    ['its folder gone and back', (p) => (p.report('d/a', 'x'), p.forget('d'), p.report('d/a', 'x')), ['unshareable-path', 'unshareable-path']],
    ['a folder of a similar name gone', (p) => (p.report('dd/a', 'x'), p.forget('d'), p.report('dd/a', 'x')), ['unshareable-path']],
  ])('%s', (_what, steps, codes) => {
    const { paths, codes: said } = reporter()
    steps(paths)
    expect(said).toEqual(codes)
  })

  it('past the bound, the rest are said once, not one by one', () => {
    const { paths, codes } = reporter()
    for (let i = 0; i < MAX_UNSHAREABLE_REPORTED + 5; i++) paths.report(`p${i}`, 'x')
    expect(codes.filter((c) => c === 'unshareable-path')).toHaveLength(MAX_UNSHAREABLE_REPORTED)
    expect(codes.filter((c) => c === 'unshareable-paths-not-reported')).toHaveLength(1)
  })

  it('names a path longer than a line by its start and its end', () => {
    const messages: string[] = []
    const paths = new UnshareablePaths('/shared', (event: EngineEvent) => {
      if (event.type === 'error') messages.push(event.message)
    })
    const deep = `top/${'d'.repeat(200)}/`.repeat(21) + 'x.txt'
    paths.report(deep, 'the path is longer than 4096 bytes')
    paths.report('short/é.txt', 'x')
    const [long, short] = messages
    expect(long).toMatch(/^not shared: "top\/d+…d+\/x\.txt": the path is longer than 4096 bytes$/)
    expect(long!.length).toBeLessThan(SHOWN_PATH_CHARS + 100)
    expect(short).toBe('not shared: "short/é.txt": x')
  })
})
