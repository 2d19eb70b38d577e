// Starts the real `dropbox-sync` (bin/dropbox-sync.mjs, --json) for the interop tests. Kept apart
// from test/helpers/cli.ts on purpose: that helper imports engine code, and these tests must not.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/dropbox-sync.mjs', import.meta.url))

export type CliEvent = Record<string, unknown> & { type: string }

const running = new Set<ChildProcess>()

export class Cli {
  readonly events: CliEvent[] = []
  stderr = ''
  private waiters: Array<() => void> = []
  readonly exited: Promise<number | null>

  constructor(readonly child: ChildProcess) {
    let pending = ''
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        try {
          this.events.push(JSON.parse(line) as CliEvent)
        } catch {
          this.events.push({ type: 'not-json', line })
        }
      }
      for (const w of this.waiters.splice(0)) w()
    })
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text))
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    running.add(child)
    void this.exited.then(() => running.delete(child))
  }

  find(type: string, match: Record<string, unknown> = {}): CliEvent | undefined {
    return this.events.find((e) => e.type === type && Object.entries(match).every(([k, v]) => e[k] === v))
  }

  /** The first event of that type whose fields equal `match`; rejects after a generous deadline. */
  async waitFor(type: string, match: Record<string, unknown> = {}, deadlineMs = 60_000): Promise<CliEvent> {
    const end = Date.now() + deadlineMs
    for (;;) {
      const hit = this.find(type, match)
      if (hit) return hit
      const left = end - Date.now()
      if (left <= 0) throw new Error(`no ${type} ${JSON.stringify(match)} within ${deadlineMs} ms; stderr: ${this.stderr.slice(-2000)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

export function startCli(args: string[]): Cli {
  return new Cli(spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] }))
}

export function inviteFrom(serverConfig: string, port: number): string {
  return execFileSync(process.execPath, [BIN, 'invite', '--config', serverConfig, '--address', `127.0.0.1:${port}`], { encoding: 'utf8' }).trim()
}

export function killAllClis(): void {
  for (const child of running) child.kill('SIGKILL')
}

/** `dropbox-sync members ACTION [ID] --config DIR`: what the operator runs while the server runs. */
export function members(serverConfig: string, ...args: string[]): string {
  return execFileSync(process.execPath, [BIN, 'members', ...args, '--config', serverConfig], { encoding: 'utf8' }).trim()
}
