// Runs the real `dropbox-sync` command as a child process with --json and reads its events.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { EngineEvent } from '../../src/shared/events'
import { EventLog } from './events'

export const BIN = fileURLToPath(new URL('../../bin/dropbox-sync.mjs', import.meta.url))

const running = new Set<ChildProcess>()

export class CliProcess extends EventLog {
  readonly stdoutLines: string[] = []
  /** stdout lines that were not JSON: --json promises there are none. */
  readonly notJson: string[] = []
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(readonly child: ChildProcess) {
    super()
    let pending = ''
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        this.stdoutLines.push(line)
        try {
          this.sink(JSON.parse(line) as EngineEvent)
        } catch {
          this.notJson.push(line)
        }
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text
    })
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    running.add(child)
    void this.exited.then(() => running.delete(child))
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal)
  }
}

/** Starts `dropbox-sync ...args --json`. */
export function runCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new CliProcess(child)
}

/** Starts `dropbox-sync ...args` without --json: its readable lines are in `stdoutLines`. */
export function runCliReadable(args: string[]): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new CliProcess(child)
}

/** Runs the command to completion without --json (for usage errors and help). */
export function runCliOnce(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Kills whatever a test left running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL')
}
