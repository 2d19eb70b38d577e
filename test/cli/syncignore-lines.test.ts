// A real `dropbox-sync client` on the terminal: a skipped line in its folder's `.syncignore` is one
// stderr line naming the file and the line, and a 2 MiB `.syncignore` piped in slowly by a shell
// while it runs is one line too, about the file as it ends; the file fixed (or removed) is one
// stdout line, and folder-state carries the problem until then.
import { execFile } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, runCli, runCliReadable } from '../helpers/cli'
import { startServer } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'

const run = promisify(execFile)

afterEach(() => {
  killAll()
  removeTempDirs()
})

describe('.syncignore on the terminal', () => {
  it('a skipped line, then a file too large written slowly: one line each on stderr', async () => {
    const serverPort = await startServer()
    const dir = tempDir('shared-')
    const file = path.join(dir, '.syncignore')
    writeFileSync(file, '*.log\n!\n')
    const cli = runCliReadable(['client', '-d', dir, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    await cli.until(() => cli.stdoutLines.some((l) => l.startsWith('registered with the server')), 30_000, 'registration')
    const about = (code: string): string[] => cli.stderr.split('\n').filter((l) => l.startsWith(`error ${code}: `))
    expect(about('ignore-lines-skipped')).toEqual([
      `error ignore-lines-skipped: ${file}: line 2 ("!") is a "!" with no pattern after it: the ignore rules skip such a line, so it ignores nothing; the file's other lines are in force. Fix it or take it out.`,
    ])

    // 32 pieces of 64 KiB, a pause after each, through a shell's redirect.
    const piece = path.join(tempDir('piece-'), 'piece')
    writeFileSync(piece, Buffer.alloc(64 * 1024, '#'))
    await run('sh', ['-c', `for i in $(seq 32); do cat "${piece}"; sleep 0.02; done > "${file}"`])
    const final = `error ignore-file-invalid: ${file} is not used: it is larger than 1 MiB (${2 * 1024 * 1024} bytes); the previous rules stay in force`
    await cli.until(() => about('ignore-file-invalid').length > 0, 30_000, 'the line about the file')
    // The first line is about the file as it ends: none came for it half-written.
    expect(about('ignore-file-invalid')).toEqual([final])
    expect(about('ignore-lines-skipped')).toHaveLength(1)
  })

  it('fixed, then broken and removed: each fix is one stdout line, and --json carries the problem in folder-state until then', { timeout: 90_000 }, async () => {
    const serverPort = await startServer()
    const dir = tempDir('shared-')
    const file = path.join(dir, '.syncignore')
    writeFileSync(file, '*.log\n!\n')
    const cli = runCliReadable(['client', '-d', dir, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    await cli.until(() => cli.stderr.includes('error ignore-lines-skipped: '), 30_000, 'the skipped line')
    const fixed = (): string[] => cli.stdoutLines.filter((l) => l === `${file}: every line applies again`)
    writeFileSync(file, '*.log\n')
    await cli.until(() => fixed().length === 1, 30_000, 'the line saying it is fixed')

    writeFileSync(file, Buffer.from([0xff, 0x0a]))
    await cli.until(() => cli.stderr.includes('error ignore-file-invalid: '), 30_000, 'the file not used')
    rmSync(file)
    await cli.until(() => fixed().length === 2, 30_000, 'the second line saying it is fixed')

    cli.kill('SIGINT')
    await cli.exited
    // Said once each: no later report of the folder says it again.
    expect(fixed()).toHaveLength(2)
    const json = runCli(['client', '-d', dir, '-sp', String(serverPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
    const problems = (): Array<string | null> => json.events.flatMap((e) => (e.type === 'folder-state' ? [e.ignoreProblem] : []))
    await json.until(() => problems().length > 0, 30_000, 'a folder-state')
    expect(problems()).toEqual([null])
    writeFileSync(file, 'build/\n!\n')
    const skipped = await json.waitFor('error', { code: 'ignore-lines-skipped' }, 30_000)
    await json.until(() => problems().at(-1) !== null, 30_000, 'the problem in folder-state')
    expect(problems().at(-1)).toBe(skipped.message)
    writeFileSync(file, 'build/\n')
    await json.until(() => problems().at(-1) === null, 30_000, 'the problem gone from folder-state')
  })
})
