// Runs the real `dropbox-sync` command as a child process with --json and reads its events.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { toDeviceName } from '../../src/main/engine/protocol/codec'
import type { EngineEvent } from '../../src/shared/events'
import { rememberDevice } from './devices-by-port'
import { EventLog } from './events'
import { fileTempDir, tempDir } from './temp'
import { knowServer, storeOf } from './test-identity'

export const BIN = fileURLToPath(new URL('../../bin/dropbox-sync.mjs', import.meta.url))

const running = new Set<ChildProcess>()

export class CliProcess extends EventLog {
  readonly stdoutLines: string[] = []
  /** stdout lines that were not JSON: --json promises there are none. */
  readonly notJson: string[] = []
  stderr = ''
  /** Told the port a `ready` event names, before the event is seen by waiters. */
  onReady: ((port: number) => void) | null = null
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
        let event: EngineEvent
        try {
          event = JSON.parse(line) as EngineEvent
        } catch {
          this.notJson.push(line)
          continue
        }
        if (event.type === 'ready') {
          this.onReady?.(event.port)
          if (event.role === 'client') rememberDevice(event.port, event.id, event.name)
        }
        this.sink(event)
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

let sharedServerConfig: string | null = null

/**
 * The config folder of every server a test starts without `--config`: one identity and one member
 * store for the whole test file, so a client made a member once is a member of each of them.
 */
export function cliServerConfig(): string {
  if (!sharedServerConfig || !existsSync(sharedServerConfig)) {
    // Not one of tempDir's, which go after every test: made once (a new identity costs a second
    // or more under load, enough to miss a test's wait for `ready`), removed when the file is done.
    const dir = fileTempDir('dbs-cli-server-')
    execFileSync(process.execPath, [BIN, 'id', '--config', dir], { stdio: 'ignore' })
    sharedServerConfig = dir
  }
  return sharedServerConfig
}

/** Client config folders by shared folder: a client started again on its folder is the same device. */
const clientConfigs = new Map<string, string>()

/** The config folder asDevice gave the client sharing `dir` (its device, where its control socket is). */
/** The name a CLI device started without --name goes by: this machine's host name, made shareable. */
export function defaultDeviceName(): string {
  return toDeviceName(hostname())
}

export function configOf(dir: string): string {
  const config = clientConfigs.get(path.resolve(dir))
  if (!config) throw new Error(`no client was started on ${dir}`)
  return config
}

function valueOf(args: string[], ...flags: string[]): string | undefined {
  for (const flag of flags) {
    const at = args.indexOf(flag)
    if (at >= 0) return args[at + 1]
  }
  return undefined
}

/** An invite to the server at that port (made with its member store), as `dropbox-sync invite` makes it. */
export function inviteFor(host: string, port: string | number, configDir = storeOf(Number(port)) ?? cliServerConfig()): string {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  return execFileSync(process.execPath, [BIN, 'invite', '--config', configDir, '--address', address], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
}

function tryInviteFor(host: string, port: string): string | null {
  try {
    return inviteFor(host, port)
  } catch {
    return null
  }
}

/**
 * What a test's command needs to run as a device, unless it says itself: a server gets the
 * shared server config folder; a client a config folder of its own (the same one for the same
 * shared folder) and, until it has joined, an invite to the server named by -sp/-sip.
 */
export function asDevice(args: string[]): string[] {
  if (args.includes('--config') || args.includes('--help') || args.includes('-h')) return args
  if (args[0] === 'server') return [...args, '--config', cliServerConfig()]
  if (args[0] !== 'client') return args
  const dir = valueOf(args, '-d', '--dir')
  const key = dir ? path.resolve(dir) : ''
  let config = key ? clientConfigs.get(key) : undefined
  if (!config) {
    config = tempDir('dbs-cli-client-')
    if (key) clientConfigs.set(key, config)
  }
  const extra = ['--config', config]
  const host = valueOf(args, '-sip', '--server-ip')
  const port = valueOf(args, '-sp', '--server-port')
  const joined = existsSync(path.join(config, 'server.json'))
  if (!joined && host !== undefined && port !== undefined && !args.includes('--join') && !args.includes('--server-id')) {
    // A server address no invite can hold (a test of a bad -sp / -sip) is left to the parser.
    const invite = tryInviteFor(host, port)
    if (invite) extra.push('--join', invite)
  }
  return [...args, ...extra]
}

/** Starts `dropbox-sync ...args --json`; a server's port is then known to use its config folder's member store. */
export function runCli(args: string[]): CliProcess {
  const full = asDevice(args)
  const child = spawn(process.execPath, [BIN, ...full, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const cli = new CliProcess(child)
  const config = valueOf(full, '--config')
  if (full[0] === 'server' && config) cli.onReady = (port) => knowServer(port, config)
  return cli
}

/** Starts `dropbox-sync ...args` without --json: its readable lines are in `stdoutLines`. */
export function runCliReadable(args: string[]): CliProcess {
  const child = spawn(process.execPath, [BIN, ...asDevice(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new CliProcess(child)
}

/** Runs the command to completion without --json (for usage errors and help). */
export function runCliOnce(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...asDevice(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
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
