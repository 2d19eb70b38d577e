// dropbox-sync's command line: the same engine as the desktop app, without a window.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { ClientNode, defaultMirrorDir } from '../main/engine/client/client-node'
import { configFolderProblem, folderPairProblem, sharedFolderProblem } from '../main/engine/client/folder-pair'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HELLO_TIMEOUT_MS, defaultWorkers } from '../main/engine/defaults'
import { DEFAULT_RESCAN_SECONDS, MAX_RESCAN_SECONDS } from '../shared/rescan'
import { portProblem } from '../main/engine/net/listen'
import { JoinError, SERVER_FILE } from '../main/engine/client/saved-server'
import { decodeInvite } from '../main/engine/identity/invite'
import { readSavedName, saveName } from '../main/engine/identity/device-name-file'
import { deviceNameProblem, toDeviceName } from '../main/engine/protocol/codec'
import { defaultConfigDir, parseUiAddress } from '../main/app/headless/ui-address'
import type { HeadlessApp } from '../main/app/headless/run-headless'
import { createPrinter, flushPrinters } from './printer'
import { registerIdentityCommands } from './identity-commands'
import { registerHistoryCommands } from './history-commands'
import { missingGroupCommand } from './command-groups'
import { registerCtlCommand } from './ctl-command'
import { DEFAULT_KEEP_DAYS, MAX_KEEP_DAYS } from '../shared/keep-days'
import { DEFAULT_MASS_DELETE } from '../main/engine/mirror/mass-delete'
import { checkRequiredOptions, requiredOption } from './required-options'
import { packageVersion } from './version'
import {
  bindAddress,
  configFolder,
  existingDirectory,
  folderPath,
  expandLegacyFlags,
  withLegacyFlagNames,
  legacyFlagTerm,
  hostName,
  integerIn,
  limitRate,
  listenPort,
  reachableAddress,
  remotePort,
} from './options'

/** The worker threads' code, bundled beside this file (shared code lives in chunks/, so the engine cannot find it itself). */
const TRANSFER_WORKER = new URL('./transfer-worker.mjs', import.meta.url)

/** Leaving (LOG_OFF and close) must finish inside this, whatever the network does. */
const SHUTDOWN_LIMIT_MS = 1800

interface Stoppable {
  stop(): Promise<void>
}

/** How a stopped command says goodbye: the line, and where it goes. */
interface Farewell {
  line: () => string
  json: boolean
}

/** Output is buffered per turn of the event loop: everything printed goes out before the exit. */
function exitWhenFlushed(code: number, farewell?: { line: string; json: boolean }): void {
  flushPrinters()
  // With --json, stdout holds events only: the farewell is a diagnostic there.
  const stream = farewell?.json ? process.stderr : process.stdout
  stream.write(farewell ? `${farewell.line}\n` : '', () => process.exit(code))
}

/** Stops the command cleanly and exits with `code`, with the farewell line when one is given. */
type Quit = (code: number, farewell: Farewell | null) => boolean

/** The one way out after a start: a clean stop within the time limit, whatever asked for it. */
function quitter(node: Stoppable, starting: () => Promise<unknown>): Quit {
  let stopping = false
  return (code, farewell) => {
    if (stopping) return false
    stopping = true
    const late = farewell && { line: 'stopped before the shutdown could finish; bye', json: farewell.json }
    setTimeout(() => exitWhenFlushed(code, late ?? undefined), SHUTDOWN_LIMIT_MS).unref()
    const done = (): void => exitWhenFlushed(code, farewell ? { line: farewell.line(), json: farewell.json } : undefined)
    void starting().then(() => node.stop().finally(done))
    return true
  }
}

/**
 * SIGINT / SIGTERM: stop cleanly (LOG_OFF for a client), say so in one line, and exit 0; a second
 * signal exits at once. Set before the start begins (Node's own handler would kill the process
 * during its first, synchronous part): a signal meanwhile waits for `starting()` to end (one that
 * fails exits itself).
 */
function stopOnSignals(node: Stoppable, farewell: Farewell, starting: () => Promise<unknown> = () => Promise.resolve()): Quit {
  const quit = quitter(node, starting)
  const onSignal = (): void => {
    if (!quit(0, farewell)) process.exit(0)
  }
  // The app's settings package (conf, through atomically's when-exit) hooks these signals and raises
  // them again after its cleanup, which read as a second Ctrl-C: exit at once, no log-off. Its cleanup also runs on exit.
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return quit
}

/** Starts `node` with its signal handlers already set: Ctrl-C during the start stops it cleanly. */
function startStoppable(node: Stoppable & { start(): Promise<unknown> }, what: string, farewell: Farewell): { quit: Quit; started: Promise<unknown> } {
  let starting: Promise<unknown> = Promise.resolve()
  const quit = stopOnSignals(node, farewell, () => starting)
  starting = node.start().catch((error) => failToStart(error, what))
  return { quit, started: starting }
}

function failToStart(error: unknown, what: string): never {
  // Bad input found at the start (how to join the server): a usage error.
  if (error instanceof JoinError) usageError(error.message)
  const err = error as NodeJS.ErrnoException & { port?: number }
  const problem = portProblem(err)
  const reason =
    problem === 'in-use' ? `port ${err.port} is already in use` : problem === 'denied' ? `permission denied to listen on port ${err.port}` : err.message
  process.stderr.write(`dropbox-sync: cannot start the ${what}: ${reason}\n`)
  process.exit(1)
}

/** A usage problem found after parsing: one line, exit code 2, like the parser's own. */
function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`)
  process.exit(2)
}

// Output piped into a reader that goes away (`… --json | head`) is not a crash: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
}

/**
 * Test knobs (DEVELOPERS.md), read here and nowhere else: DBS_SNAPSHOT_AFTER_MS shortens how long
 * a file still growing is waited for before peers get it as a snapshot (SNAPSHOT_AFTER_MS);
 * DBS_PEER_STALL_MS, how long a peer may leave requests unanswered (DEFAULT_PEER_STALL_MS).
 */
function testKnobMs(name: 'DBS_SNAPSHOT_AFTER_MS' | 'DBS_PEER_STALL_MS'): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const ms = Number(raw)
  if (!Number.isSafeInteger(ms) || ms < 0) usageError(`${name}: expected a whole number of milliseconds, got '${raw}'`)
  return ms
}

const CONFIG_HELP = "the folder of this device's identity and membership (default: the desktop app's settings folder)"

function configDirOf(opts: { config?: string }): string {
  return path.resolve(opts.config ?? defaultConfigDir())
}

/** `--name`: 1 to 64 bytes of UTF-8 without control characters. */
function deviceName(value: string): string {
  const problem = deviceNameProblem(value)
  if (problem) throw new InvalidArgumentError(`${problem}.`)
  return value
}

/** `--name`, kept for the next start; else the name the last start kept; else this machine's host name. */
async function nameOf(opts: { name?: string; config?: string }): Promise<string> {
  const configDir = configDirOf(opts)
  if (opts.name === undefined) return readSavedName(configDir) ?? toDeviceName(hostname())
  await saveName(configDir, opts.name)
  return opts.name
}

const program = new Command()
  .name('dropbox-sync')
  .description('Folder sync for machines on one network: a registry server and clients that mirror one another.')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(withLegacyFlagNames(text)) })
  .hook('preAction', (_program, command) => checkRequiredOptions(command))

/** Every command answers --version / -V, before any check of its other flags. */
const VERSION = packageVersion()
const VERSION_FLAGS = '-V, --version'
const VERSION_HELP = 'print the version of dropbox-sync'
program.version(VERSION, VERSION_FLAGS, VERSION_HELP)

program
  .command('server')
  .description('run the registry: tracks online clients and tells each when another arrives or leaves')
  .version(VERSION, VERSION_FLAGS, VERSION_HELP)
  .addOption(requiredOption('-p, --port <port>', 'port to listen on (0 picks a free one)').argParser(listenPort))
  .option('--host <addr>', 'address to listen on (default: every interface, IPv6 and IPv4)', bindAddress)
  .option('--json', 'print events as one JSON object per line')
  .option('--config <dir>', CONFIG_HELP, configFolder)
  .option('--name <name>', "this device's name, shown to the clients (default: the host name)", deviceName)
  .addOption(
    new Option('--heartbeat <ms>', 'how often clients must ping; 3 missed pings drop a client')
      .argParser(integerIn(100, 60000, 'the heartbeat'))
      .default(DEFAULT_HEARTBEAT_MS),
  )
  .addOption(
    new Option('--hello-timeout <ms>', 'time a new connection has to say HELLO')
      .argParser(integerIn(100, 60000, 'the hello timeout'))
      .default(DEFAULT_HELLO_TIMEOUT_MS),
  )
  .action(async (opts: { port: number; host?: string; json?: boolean; heartbeat: number; helloTimeout: number; config?: string; name?: string }) => {
    // Loaded only for this command: its member store needs zod, which a client does without.
    const { RegistryServer } = await import('../main/engine/registry/registry-server')
    const server = new RegistryServer({
      port: opts.port,
      host: opts.host,
      configDir: configDirOf(opts),
      name: await nameOf(opts),
      heartbeatMs: opts.heartbeat,
      helloTimeoutMs: opts.helloTimeout,
      onEvent: createPrinter(Boolean(opts.json)),
    })
    await startStoppable(server, 'server', { line: () => 'server stopped; bye', json: Boolean(opts.json) }).started
  })

program
  .command('client')
  .configureHelp({ optionTerm: (option) => legacyFlagTerm(option.flags) })
  .description('share a folder and mirror every other client')
  .version(VERSION, VERSION_FLAGS, VERSION_HELP)
  .addOption(requiredOption('-d, --dir <dir>', 'the folder to share').argParser(existingDirectory))
  .option('-p, --port <port>', 'port to serve the folder on (0: the last run\'s port if it is free, else any free one)', listenPort, 0)
  .option('-w, --workers <n>', 'worker threads that pull files (by default one per core, at most 4)', integerIn(1, 256, 'the number of workers'), defaultWorkers())
  .option('-b, --buffer <n>', 'slots in the circular job buffer', integerIn(1, 65536, 'the number of buffer slots'), 64)
  .addOption(requiredOption('--server-port <port>', 'the registry server port (optional with --join or once joined)', knowsServer).argParser(remotePort))
  .addOption(requiredOption('--server-ip <host>', 'the registry server address (optional with --join or once joined)', knowsServer).argParser(hostName))
  .option('--config <dir>', CONFIG_HELP, configFolder)
  .option('--name <name>', "this device's name, shown to the others (default: the host name)", deviceName)
  .option('--join <invite>', 'join the server with this invite (made by dropbox-sync invite on the server); once is enough')
  .option('--server-id <id>', "the server's device ID: ask its operator to accept this device (without an invite)")
  .option('--host <addr>', 'address to listen on (default: every interface)', bindAddress)
  .option('--advertise <addr>', 'address to announce to other clients (default: the one the server was reached from)', reachableAddress)
  .option('--mirror <dir>', "where the other clients' folders are mirrored (default: DIR-mirrors beside the shared folder)", folderPath)
  .option(
    '--rescan <seconds>',
    'how often the shared folder and the mirrors are looked at whole, for changes no watch reports',
    integerIn(1, MAX_RESCAN_SECONDS, 'the rescan interval'),
    DEFAULT_RESCAN_SECONDS,
  )
  .option('--keep-days <n>', 'days the mirror history keeps what peers delete or overwrite (0: keep nothing)', integerIn(0, MAX_KEEP_DAYS, 'the days to keep'), DEFAULT_KEEP_DAYS)
  .option('--max-delete-percent <p>', "hold a peer's deletions when more than this share of its files go at once (100: never hold)", integerIn(0, 100, 'the percentage'), DEFAULT_MASS_DELETE.percent)
  .option('--max-delete-files <n>', '…and at least this many', integerIn(1, 1_000_000_000, 'the number of files'), DEFAULT_MASS_DELETE.minFiles)
  .option('--limit-rate <KiB/s>', 'most this client sends, and on its own receives, per second, over all peers (0: no limit)', limitRate, 0)
  .option('--json', 'print events as one JSON object per line')
  .action(
    async (opts: {
      dir: string
      mirror?: string
      port: number
      workers: number
      buffer: number
      serverPort: number
      serverIp: string
      host?: string
      advertise?: string
      rescan: number
      keepDays: number
      maxDeletePercent: number
      maxDeleteFiles: number
      limitRate: number
      json?: boolean
      config?: string
      name?: string
      join?: string
      serverId?: string
    }) => {
      // A mistyped, forged or expired invite: one line, exit 2, before anything is made or saved.
      if (opts.join !== undefined) {
        const invite = decodeInvite(opts.join, Math.floor(Date.now() / 1000))
        if (!invite.ok) usageError(`--join: ${invite.message}`)
      }
      const unshareable = sharedFolderProblem(opts.dir)
      if (unshareable) usageError(`option '-d, --dir <dir>' argument '${opts.dir}' is invalid. ${unshareable}.`)
      const mirrorDir = path.resolve(opts.mirror ?? defaultMirrorDir(opts.dir))
      const problem = folderPairProblem(opts.dir, mirrorDir)
      if (problem) {
        usageError(opts.mirror ? `option '--mirror <dir>' argument '${opts.mirror}' is invalid. ${problem}.` : `${problem}; choose another with --mirror <dir>.`)
      }
      const configProblem = configFolderProblem(configDirOf(opts), opts.dir, mirrorDir)
      if (configProblem) {
        usageError(opts.config ? `option '--config <dir>' argument '${opts.config}' is invalid. ${configProblem}.` : `${configProblem}; choose another with --config <dir>.`)
      }
      const print = createPrinter(Boolean(opts.json))
      // Whom it is registered with when it stops: the farewell says whether it logged off.
      let registeredWith: string | null = null
      let quit: Quit = () => false
      const client = new ClientNode({
        dir: opts.dir,
        mirrorDir,
        port: opts.port,
        host: opts.host,
        serverHost: opts.serverIp,
        serverPort: opts.serverPort,
        configDir: configDirOf(opts),
        name: await nameOf(opts),
        ...(opts.join !== undefined ? { join: opts.join } : {}),
        ...(opts.serverId !== undefined ? { serverId: opts.serverId } : {}),
        advertiseHost: opts.advertise,
        workers: opts.workers,
        bufferSlots: opts.buffer,
        rescanEveryMs: opts.rescan * 1000,
        snapshotAfterMs: testKnobMs('DBS_SNAPSHOT_AFTER_MS'),
        peerStallMs: testKnobMs('DBS_PEER_STALL_MS'),
        keepDays: opts.keepDays,
        massDelete: { percent: opts.maxDeletePercent, minFiles: opts.maxDeleteFiles },
        limitRateKiB: opts.limitRate,
        workerScript: TRANSFER_WORKER,
        onEvent: (event) => {
          if (event.type === 'registered') registeredWith = event.server
          else if (event.type === 'server-lost') registeredWith = null
          print(event)
          // A web server at that address is a typo in -sip / -sp, another device is not the
          // server this one joined: waiting will not fix either. Nor does it a refusal.
          if (event.type === 'error' && QUIT_ON.has(event.code)) quit(QUIT_ON.get(event.code)!, null)
          if (event.type === 'removed') quit(1, null)
        },
      })
      const running = startStoppable(client, 'client', {
        line: () => (registeredWith ? `logged off from the server ${registeredWith}; bye` : 'client stopped (it was not registered with the server); bye'),
        json: Boolean(opts.json),
      })
      quit = running.quit
      await running.started
    },
  )

/** Errors after which a client stops, and its exit code: 2 for a bad invite, as for any bad input. */
const QUIT_ON = new Map<string, number>([
  ['server-speaks-http', 1],
  ['peer-id-mismatch', 1],
  ['refused', 1],
  ['invite-used', 2],
  ['invite-expired', 2],
  ['invite-unknown', 2],
])

/** -sp and -sip may be left out when an invite or the saved membership says where the server is. */
function knowsServer(command: Command): boolean {
  const opts = command.opts<{ join?: string; config?: string }>()
  return opts.join !== undefined || existsSync(path.join(configDirOf(opts), SERVER_FILE))
}

program
  .command('app')
  .description('run the desktop app without Electron: the engine in this process, the window in a browser')
  .version(VERSION, VERSION_FLAGS, VERSION_HELP)
  .addOption(
    requiredOption('--ui <[host:]port>', 'where to serve the window (loopback unless a host is given; 0 picks a free port)').argParser((value: string) => {
      const address = parseUiAddress(value)
      if (typeof address === 'string') throw new CommanderError(2, 'commander.invalidArgument', address)
      return address
    }),
  )
  .option('--config <dir>', "the settings folder (default: the desktop app's)", configFolder)
  .option('--new-token', 'make a new token for the address (kept in the settings folder); the old one stops working')
  .option('--json', 'print the URL and the events as one JSON object per line')
  .action(async (opts: { ui: { host: string; port: number }; config?: string; newToken?: boolean; json?: boolean }) => {
    const json = Boolean(opts.json)
    // Loaded only for this command: the server and client start without the app's packages.
    const { runHeadlessApp } = await import('../main/app/headless/run-headless')
    // Set before the start (after the import, whose packages hook signals too): Ctrl-C while the engine starts stops it cleanly.
    let app: HeadlessApp | null = null
    let starting: Promise<unknown> = Promise.resolve()
    stopOnSignals({ stop: async () => app?.stop() }, { line: () => app?.farewell() ?? 'app stopped; bye', json }, () => starting)
    starting = runHeadlessApp({
      ...opts.ui,
      configDir: path.resolve(opts.config ?? defaultConfigDir()),
      newToken: Boolean(opts.newToken),
      json,
      printEvent: createPrinter(json),
      writeLine: (line) => process.stdout.write(`${line}\n`),
      log: (text) => process.stderr.write(text),
      workerScript: TRANSFER_WORKER,
    }).then(
      (started) => {
        app = started
      },
      (error: unknown) => failToStart(error, 'app'),
    )
  })

registerIdentityCommands(program)
registerHistoryCommands(program)
registerCtlCommand(program)

const noGroupCommand = missingGroupCommand(process.argv.slice(2))
if (noGroupCommand !== null) {
  process.stderr.write(`error: ${noGroupCommand}\n`)
  process.exit(2)
}

try {
  await program.parseAsync(expandLegacyFlags(process.argv.slice(2)), { from: 'user' })
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  // Help and version exit 0; every usage error has already been printed as one line: exit 2.
  process.exit(error.exitCode === 0 ? 0 : 2)
}
