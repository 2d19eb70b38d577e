// The rules in force from a real `.syncignore`: a bad file keeps the rules, skipped lines are named
// while the rest apply, and a file still being written is taken (and judged) once it holds still.
import { appendFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { IgnoreFile, ignoreFileVerdict, type IgnoreWait } from '../../src/main/engine/folder/ignore-file'
import { IGNORE_FILE, MAX_IGNORE_FILE_BYTES } from '../../src/main/engine/folder/ignore-rules'
import { EventLog } from '../helpers/events'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { until } from '../helpers/until'

afterEach(() => removeTempDirs())

const waiting = (stamp: string | null, at: number, changes: number, since = at): IgnoreWait => ({ stamp, at, changes, since })

/** [what, the wait so far, the look's stamp, now, what the verdict is] */
const VERDICTS: Array<[string, IgnoreWait | null, string | null, number, ReturnType<typeof ignoreFileVerdict>]> = [
  ['a first look waits the base settle', null, 's', 1000, { take: false, wait: waiting('s', 1000, 1), inMs: 100 }],
  ['unchanged a settle later: taken', waiting('s', 1000, 1), 's', 1100, { take: true }],
  ['unchanged, but too soon: the rest of the settle', waiting('s', 1000, 1), 's', 1040, { take: false, wait: waiting('s', 1000, 1), inMs: 60 }],
  ['changed: each change in a row doubles the wait', waiting('s', 1000, 1), 't', 1100, { take: false, wait: waiting('t', 1100, 2, 1000), inMs: 200 }],
  ['after three changes, 400 ms still', waiting('t', 1000, 3, 0), 't', 1399, { take: false, wait: waiting('t', 1000, 3, 0), inMs: 1 }],
  ['after three changes, held still 400 ms', waiting('t', 1000, 3, 0), 't', 1400, { take: true }],
  ['the wait stops doubling at 2 s', waiting('t', 1000, 9, 0), 'u', 1100, { take: false, wait: waiting('u', 1100, 10, 0), inMs: 2000 }],
  ['changed while read: never the same as another look', waiting(null, 1000, 1), null, 5000, { take: false, wait: waiting(null, 5000, 2, 1000), inMs: 200 }],
  ['still changing after 30 s: taken as it is', waiting('s', 29_990, 12, 0), 't', 30_000, { take: true }],
  ['a clock set back: a new look, the first one kept', waiting('s', 5000, 1), 's', 4000, { take: false, wait: waiting('s', 4000, 2, 4000), inMs: 200 }],
]

describe('when a changed .syncignore is taken', () => {
  it.each(VERDICTS)('%s', (_what, wait, stamp, now, want) => {
    expect(ignoreFileVerdict(wait, stamp, now)).toEqual(want)
  })

  it('a shorter limit takes a file that never holds still sooner', () => {
    expect(ignoreFileVerdict(waiting('s', 100, 2, 0), 't', 150, 100)).toEqual({ take: true })
  })
})

/** An IgnoreFile over `root`, and a wait for each look it asks for. */
function watched(root: string, limitMs?: number) {
  const log = new EventLog()
  let asked = 0
  let answered = 0
  const rules = new IgnoreFile(root, log.sink, () => asked++, limitMs)
  return {
    log,
    rules,
    /** Waits for the look the file asked for, and makes it. */
    async lookAgain(): Promise<boolean> {
      await until(() => asked > answered, 'the next look at .syncignore')
      answered = asked
      return rules.changed()
    },
  }
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
    expect(log.events[1]).toMatchObject({ message: expect.stringMatching(/line 2 \("!"\) .*; line 4 \("foo\\"\) ends in a backslash that escapes nothing: the ignore rules skip such lines, so they ignore nothing/) })

    // Fixed: nothing to say, and forgotten: the same line back is said again.
    writeFileSync(file, 'build/\n*.log\n')
    await rules.load()
    expect(log.count('error')).toBe(2)
    writeFileSync(file, 'build/\n!\n*.log\n*.tmp\n')
    await rules.load()
    expect(log.count('error')).toBe(3)
    expect(log.events[2]).toEqual(log.events[0])
  })

  it('the problem standing is the one last said, null once the file is fixed or removed; each change told once', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { log, rules } = watched(root)
    let told = 0
    rules.onProblem = () => told++
    const said = (): string => {
      const last = log.events.at(-1)
      return last?.type === 'error' ? last.message : ''
    }
    /** [what, the file (null: removed), load or changed, the problem after, changes told so far] */
    const steps: Array<[string, string | Buffer | null, 'load' | 'changed', () => string | null, number]> = [
      ['a good file', '*.log\n', 'load', () => null, 0],
      ['a skipped line', '*.log\n!\n', 'load', said, 1],
      ['the same again', '*.log\n!\n', 'load', said, 1],
      ['fixed', '*.log\n', 'load', () => null, 2],
      ['not UTF-8', Buffer.from([0xff, 0x0a]), 'load', said, 3],
      ['readable again, as in force (no new rules)', '*.log\n', 'changed', () => null, 4],
      ['a skipped line again', '*.log\n!\n', 'load', said, 5],
      ['removed', null, 'load', () => null, 6],
    ]
    for (const [what, content, how, problem, count] of steps) {
      if (content === null) rmSync(file)
      else writeFileSync(file, content)
      await (how === 'load' ? rules.load() : rules.changed())
      expect({ what, problem: rules.problem, told }).toEqual({ what, problem: problem(), told: count })
    }
    expect(rules.problem).toBeNull()
    expect(log.events.map((e) => e.type === 'error' && e.code)).toEqual(['ignore-lines-skipped', 'ignore-file-invalid', 'ignore-lines-skipped'])
  })

  it('a file still being written is taken once it holds still: a valid one with no word said', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { log, rules, lookAgain } = watched(root)
    writeFileSync(file, '*.log\n')
    await rules.load()
    const full = Buffer.from('*.tmp\n!keep-é.tmp\nspace\\ name\n')
    // Cut after the "!", inside the "é", after the backslash: each a problem, were it the whole file.
    const cuts = [full.indexOf('!') + 1, full.indexOf('é') + 1, full.indexOf('\\') + 1, full.length]
    writeFileSync(file, full.subarray(0, cuts[0]))
    expect(await rules.changed()).toBe(false)
    for (let i = 1; i < cuts.length; i++) {
      appendFileSync(file, full.subarray(cuts[i - 1], cuts[i]))
      // The look asked for finds the file changed again: it waits on.
      expect(await lookAgain()).toBe(false)
      expect(rules.ignores('x.log', false)).toBe(true)
      expect(rules.ignores('x.tmp', false)).toBe(false)
    }
    // Held still since: taken.
    expect(await lookAgain()).toBe(true)
    expect(rules.ignores('x.log', false)).toBe(false)
    expect(rules.ignores('x.tmp', false)).toBe(true)
    expect(rules.ignores('keep-é.tmp', false)).toBe(false)
    expect(rules.ignores('space name', false)).toBe(true)
    expect(log.events).toEqual([])
    expect(await rules.changed()).toBe(false)
  })

  it('a file too large, written in two goes, is reported once, as it ends', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { log, rules, lookAgain } = watched(root)
    writeFileSync(file, '*.log\n')
    await rules.load()
    writeFileSync(file, `*.log\n${'#'.repeat(1536 * 1024)}`)
    expect(await rules.changed()).toBe(false)
    appendFileSync(file, '#'.repeat(512 * 1024))
    expect(await lookAgain()).toBe(false)
    expect(log.events).toEqual([])
    // Bounded: each look finds it unchanged now, and the first one a settle later reports it.
    for (let i = 0; i < 3 && log.events.length === 0; i++) expect(await lookAgain()).toBe(false)
    expect(log.events).toEqual([
      { type: 'error', code: 'ignore-file-invalid', message: `${file} is not used: it is larger than 1 MiB (${2 * 1024 * 1024 + 6} bytes); the previous rules stay in force` },
    ])
    expect(rules.ignores('x.log', false)).toBe(true)
    expect(await rules.changed()).toBe(false)
    expect(log.events).toHaveLength(1)
  })

  it('a file that never holds still is taken as it is after the limit', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { log, rules } = watched(root, 0)
    writeFileSync(file, '*.log\n')
    await rules.load()
    writeFileSync(file, '*.tmp\n')
    expect(await rules.changed()).toBe(false)
    writeFileSync(file, '*.tmp\n!\n')
    expect(await rules.changed()).toBe(true)
    expect(rules.ignores('x.tmp', false)).toBe(true)
    expect(log.events).toEqual([{ type: 'error', code: 'ignore-lines-skipped', message: expect.stringContaining(`${file}: line 2 ("!")`) }])
  })

  it('dispose stops the wait for the file to hold still, and no later look starts one', async () => {
    const root = tempDir('ignore-')
    const file = path.join(root, IGNORE_FILE)
    const { rules } = watched(root)
    const timer = (): unknown => (rules as unknown as { timer: unknown }).timer
    writeFileSync(file, '*.log\n')
    await rules.load()
    writeFileSync(file, '*.tmp\n')
    await rules.changed()
    expect(timer()).not.toBeNull()
    rules.dispose()
    expect(timer()).toBeNull()
    writeFileSync(file, '*.txt\n')
    await rules.changed()
    expect(timer()).toBeNull()
  })
})
