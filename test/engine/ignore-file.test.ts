// The rules in force from a real `.syncignore`: a bad file keeps the rules, skipped lines are named
// while the rest apply.
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { IgnoreFile } from '../../src/main/engine/folder/ignore-file'
import { IGNORE_FILE, MAX_IGNORE_FILE_BYTES } from '../../src/main/engine/folder/ignore-rules'
import { EventLog } from '../helpers/events'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

/** An IgnoreFile over `root`, and what it said. */
function watched(root: string) {
  const log = new EventLog()
  return { log, rules: new IgnoreFile(root, log.sink) }
}

describe('IgnoreFile', () => {
  it('a bad file keeps the rules in force, said once per problem; fixed, the new rules apply', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { log, rules } = watched(root)
    // Bad from the start: the defaults are in force.
    writeFileSync(file, Buffer.from([0xff, 0x0a]))
    expect(await rules.load()).toBe(true)
    expect(rules.ignores('x.log', false)).toBe(false)
    expect(rules.ignores('x.swp', false)).toBe(true)
    expect(log.events).toEqual([{ type: 'error', code: 'ignore-file-invalid', message: expect.stringContaining(file) }])
    expect(await rules.load()).toBe(false)
    expect(log.count('error')).toBe(1)

    writeFileSync(file, '*.log\n')
    expect(await rules.load()).toBe(true)
    expect(rules.ignores('x.log', false)).toBe(true)
    expect(await rules.load()).toBe(false)

    // Bad again: the file's last good rules stay, never "everything" or "nothing".
    writeFileSync(file, Buffer.alloc(MAX_IGNORE_FILE_BYTES + 10, '*'))
    expect(await rules.load()).toBe(false)
    expect(rules.ignores('x.log', false)).toBe(true)
    expect(rules.ignores('x.txt', false)).toBe(false)
    expect(log.count('error')).toBe(2)
    expect(log.events[1]).toMatchObject({ code: 'ignore-file-invalid', message: expect.stringMatching(/larger than 1 MiB.*previous rules/) })
    expect(await rules.load()).toBe(false)
    expect(log.count('error')).toBe(2)

    // Deleted: the defaults alone.
    rmSync(file)
    expect(await rules.load()).toBe(true)
    expect(rules.ignores('x.log', false)).toBe(false)
    expect(rules.ignores('x.swp', false)).toBe(true)
  })

  it('lines the rules skip are named once, with the file and their numbers; the other lines apply', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { log, rules } = watched(root)
    writeFileSync(file, 'build/\n!\n*.log\n')
    expect(await rules.load()).toBe(true)
    expect(rules.ignores('x.log', false)).toBe(true)
    expect(rules.ignores('build', true)).toBe(true)
    expect(log.events).toEqual([
      {
        type: 'error',
        code: 'ignore-lines-skipped',
        message: `${file}: line 2 ("!") is a "!" with no pattern after it: the ignore rules skip such a line, so it ignores nothing; the file's other lines are in force. Fix it or take it out.`,
      },
    ])
    // Read again unchanged, or changed elsewhere with the same line skipped: not said again.
    expect(await rules.load()).toBe(false)
    writeFileSync(file, 'build/\n!\n*.log\n*.tmp\n')
    expect(await rules.load()).toBe(true)
    expect(rules.ignores('x.tmp', false)).toBe(true)
    expect(log.count('error')).toBe(1)

    // Another problem: said.
    writeFileSync(file, 'build/\n!\n*.log\nfoo\\\n')
    await rules.load()
    expect(log.count('error')).toBe(2)
    expect(log.events[1]).toMatchObject({ message: expect.stringMatching(/line 2 \("!"\) .*; line 4 \("foo\\\\"\) ends in a backslash that escapes nothing: the ignore rules skip such lines, so they ignore nothing/) })

    // Fixed: nothing to say, and forgotten: the same line back is said again.
    writeFileSync(file, 'build/\n*.log\n')
    await rules.load()
    expect(log.count('error')).toBe(2)
    writeFileSync(file, 'build/\n!\n*.log\n*.tmp\n')
    await rules.load()
    expect(log.count('error')).toBe(3)
    expect(log.events[2]).toEqual(log.events[0])
  })
})
