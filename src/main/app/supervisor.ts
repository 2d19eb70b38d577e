// The one owner of the engine: starts the registry server or the client node from the settings,
// stops it cleanly (a client logs off), and restarts it when the settings change. Operations run
// one after another, so a quick second Save never races the first. Why an engine is not running
// is kept in the status, in words the window shows.
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { ClientNode } from '../engine/client/client-node'
import { JoinError } from '../engine/client/saved-server'
import { loadOrCreateIdentity, type DeviceIdentity } from '../engine/identity/device-identity'
import { decodeInvite } from '../engine/identity/invite'
import { formatInviteAddress } from '../engine/identity/invite-address'
import { portProblem } from '../engine/net/listen'
import { RegistryServer } from '../engine/registry/registry-server'
import type { ControlReplyView, ControlRequestView, EngineStatus, StatusEvent, ToComeReply } from '../../shared/contract'
import { formatEndpoint } from '../../shared/endpoint'
import type { EngineEvent } from '../../shared/events'
import { FINAL_REFUSALS } from '../../shared/join-refusals'
import { capitalized } from '../../shared/capitalized'
import { checkSettings, DEFAULT_SETTINGS, type Settings } from '../../shared/settings'
import { folderProblems, mirrorFolderOf } from './folder-checks'
import { toDeviceName } from '../engine/protocol/codec'
import { reachableAddresses } from './network-addresses'

export interface Engine {
  start(): Promise<{ host: string; port: number }>
  stop(): Promise<void>
  /** A client's bandwidth limit, changed while it runs. */
  setLimitRate?(kib: number): void
}

export type SupervisorSink = (event: EngineEvent | StatusEvent) => void

export interface SupervisorOptions {
  onEvent: SupervisorSink
  /** Address to listen on when the settings name none; every interface unless set (tests use 127.0.0.1). */
  host?: string
  /** Server role: how often clients must ping (tests shorten it). */
  heartbeatMs?: number
  addresses?: () => string[]
  /** The bundled transfer worker's file (each bundler puts it elsewhere: the host says where). */
  workerScript: string | URL
  /** The app's config folder: this device's identity and membership live there, beside the settings. */
  configDir: string
}

export class Supervisor {
  private engine: Engine | null = null
  private settings: Settings | null = null
  private generation = 0
  private queue: Promise<unknown> = Promise.resolve()
  private current: EngineStatus
  /** What the running engine has said that the user should see, by topic. */
  private notes: { folder: string | null; link: string | null } = { folder: null, link: null }
  private identityLoad: Promise<DeviceIdentity> | null = null

  constructor(private readonly options: SupervisorOptions) {
    this.current = this.blankStatus('client', 'stopped', null)
  }

  get status(): EngineStatus {
    return this.current
  }

  /** This device's identity, made in the config folder at first use; a damaged one is an IdentityError. */
  identity(): Promise<DeviceIdentity> {
    this.identityLoad ??= loadOrCreateIdentity(this.options.configDir)
    return this.identityLoad
  }

  /** What is still to come from a peer the running client mirrors, the first `limit` files by path. */
  toCome(peer: string, limit: number): ToComeReply {
    if (!(this.engine instanceof ClientNode)) return { ok: false, message: 'Only a running client mirrors peers.' }
    const list = this.engine.toCome(peer, limit)
    if (!list) return { ok: false, message: `This client does not mirror ${peer}.` }
    return { ok: true, peer, ...list }
  }

  /** Runs the engine these settings describe; a no-op when it already does and is healthy. */
  apply(settings: Settings): Promise<EngineStatus> {
    return this.enqueue(async () => {
      if (this.engine && this.settings && sameSettings(this.settings, settings) && this.current.state === 'running') {
        // What the engine can take while it runs is handed to it: a client keeps its peers.
        this.engine.setLimitRate?.(settings.limitRateKiB)
        this.settings = settings
        return
      }
      await this.stopEngine()
      this.settings = settings
      await this.startEngine(settings)
    })
  }

  /** Starts again from the last settings (e.g. after the port was freed). */
  restart(): Promise<EngineStatus> {
    return this.enqueue(async () => {
      await this.stopEngine()
      if (this.settings) await this.startEngine(this.settings)
    })
  }

  /** Stops the engine (a client logs off first). */
  stop(): Promise<EngineStatus> {
    return this.enqueue(() => this.stopEngine())
  }

  /** Pause, resume, rescan or confirm, for the running client: what `ctl` asks over its socket, in-process. */
  async control(request: ControlRequestView): Promise<ControlReplyView> {
    const client = this.runningClient()
    if ('error' in client) return { ok: false, error: client.error }
    const reply = await client.engine.command(request)
    return reply.ok ? reply : { ok: false, error: capitalized(reply.error) }
  }

  /** The shared folder (no peer), from the settings, or the mirror of the peer named, from the running client. */
  folderOf(peer: string | null): { path: string } | { error: string } {
    const settings = this.settings
    if (peer === null) {
      if (settings?.role !== 'client' || !settings.folder) return { error: 'This machine shares no folder: choose the Client role and a Folder in Settings.' }
      return { path: path.resolve(settings.folder) }
    }
    const client = this.runningClient()
    if ('error' in client) return client
    const found = client.engine.folderOf(peer)
    return 'error' in found ? { error: capitalized(found.error) } : found
  }

  /** The client engine when one runs, or why the request cannot be met. */
  private runningClient(): { engine: ClientNode } | { error: string } {
    const engine = this.engine
    if (this.current.role === 'server') return { error: 'This machine is the server: pausing, rescanning and mirrors are a client\'s.' }
    if (this.current.state === 'unconfigured') return { error: 'This machine is not set up yet: choose its role in Settings, fill in what it needs and Save.' }
    if (!(engine instanceof ClientNode) || this.current.state !== 'running') return { error: `The client is not running (${this.current.state}).` }
    return { engine }
  }

  private enqueue(work: () => Promise<void>): Promise<EngineStatus> {
    const run = this.queue.then(work)
    this.queue = run.catch(() => {})
    return run.then(() => this.current)
  }

  private async stopEngine(): Promise<void> {
    const engine = this.engine
    this.engine = null
    // Events the old engine emits while leaving belong to no one now.
    this.generation++
    if (engine) await engine.stop()
    if (engine) this.setStatus({ ...this.current, state: 'stopped', listening: null, self: null, connected: false })
  }

  private async startEngine(settings: Settings): Promise<void> {
    const role = settings.role
    this.notes = { folder: null, link: null }
    const check = checkSettings(settings)
    const problems = check.ok ? folderProblems(settings) : check.errors
    const first = Object.values(problems)[0]
    if (first) {
      // The device name is the host name from the start: a name alone is no setup.
      const untouched = sameSettings({ ...settings, name: DEFAULT_SETTINGS.name }, DEFAULT_SETTINGS)
      this.setStatus(this.blankStatus(role, 'unconfigured', untouched ? 'Open Settings, choose this machine\'s role (Server or Client), fill in what it needs and Save.' : `Settings need attention: ${first}`))
      return
    }
    this.setStatus(this.blankStatus(role, 'starting', null))
    const generation = this.generation
    const sink = (event: EngineEvent): void => {
      if (generation !== this.generation) return
      this.observe(event)
      this.options.onEvent(event)
    }
    let engine: Engine
    try {
      engine = role === 'server' ? this.serverEngine(settings, sink) : this.clientEngine(settings, sink)
    } catch (error) {
      this.setStatus(this.blankStatus(role, 'failed', startFailure(error, settings)))
      return
    }
    try {
      const listening = await engine.start()
      this.engine = engine
      if (role === 'client' && !this.current.connected) this.notes.link ??= `Contacting the server ${this.current.server}…`
      this.setStatus({ ...this.current, state: 'running', listening, message: this.noted() })
    } catch (error) {
      this.generation++
      await engine.stop().catch(() => {})
      this.setStatus(this.blankStatus(role, 'failed', startFailure(error, settings)))
    }
  }

  private serverEngine(settings: Settings, onEvent: (event: EngineEvent) => void): Engine {
    return new RegistryServer({ port: settings.port, host: this.listenHost(settings), heartbeatMs: this.options.heartbeatMs, onEvent, ...this.device(settings) })
  }

  private clientEngine(settings: Settings, onEvent: (event: EngineEvent) => void): Engine {
    const mirrorDir = mirrorFolderOf(settings)
    mkdirSync(mirrorDir, { recursive: true })
    return new ClientNode({
      dir: settings.folder,
      mirrorDir,
      port: settings.port,
      host: this.listenHost(settings),
      // Without a Server address, the invite's (or the saved membership's) addresses are used.
      ...(settings.serverAddress ? { serverHost: settings.serverAddress, serverPort: settings.serverPort } : {}),
      workers: settings.workers,
      bufferSlots: settings.bufferSlots,
      rescanEveryMs: settings.rescanSeconds * 1000,
      keepDays: settings.keepDays,
      limitRateKiB: settings.limitRateKiB,
      workerScript: this.options.workerScript,
      onEvent,
      ...this.device(settings),
      // Used until the server has taken this device in; after that its saved membership suffices.
      ...(settings.invite ? { join: settings.invite } : {}),
    })
  }

  private device(settings: Settings): { configDir: string; name: string } {
    return { configDir: this.options.configDir, name: settings.name || toDeviceName(hostname()) }
  }

  /** The settings' Listen address, else the host's default (every interface in the app). */
  private listenHost(settings: Settings): string | undefined {
    return settings.listenAddress || this.options.host
  }

  /** Keeps the status in step with what the engine reports. */
  private observe(event: EngineEvent): void {
    switch (event.type) {
      case 'registered':
        this.notes.link = null
        // The address that answered, of those the settings and the invite name.
        this.setStatus({ ...this.current, connected: true, turnedAway: false, server: event.server, self: formatEndpoint(event.ip, event.port), message: this.noted() })
        return
      case 'server-lost':
        this.notes.link = `Lost the server ${event.server}; reconnecting…`
        this.setStatus({ ...this.current, connected: false, message: this.noted() })
        return
      case 'error':
        if (event.code === 'folder-missing') {
          this.notes.folder = capitalized(event.message)
          this.setStatus({ ...this.current, message: this.noted() })
        } else if (event.server !== undefined && (event.code === 'server-unreachable' || !this.current.connected)) {
          // Only the server link's own errors say why a client is not connected (not a bad .syncignore line).
          this.notes.link = capitalized(event.message)
          this.setStatus({ ...this.current, connected: false, turnedAway: FINAL_REFUSALS.has(event.code), message: this.noted() })
        }
        return
      case 'folder-restored':
        this.notes.folder = null
        this.setStatus({ ...this.current, message: this.noted() })
        return
      case 'removed':
        this.notes.link = capitalized(event.message)
        this.setStatus({ ...this.current, connected: false, turnedAway: true, message: this.noted() })
        return
      default:
        return
    }
  }

  /** The running engine's message: what is wrong with the shared folder, then with the server link. */
  private noted(): string | null {
    return [this.notes.folder, this.notes.link].filter(Boolean).join(' ') || null
  }

  private blankStatus(role: Settings['role'], state: EngineStatus['state'], message: string | null): EngineStatus {
    const settings = this.settings
    const server = role === 'client' && settings ? serverOf(settings) : null
    // Listening on one address, that is the one other machines can use.
    const only = settings?.listenAddress && !['0.0.0.0', '::'].includes(settings.listenAddress) ? settings.listenAddress : null
    const addresses = only ? [only] : (this.options.addresses ?? reachableAddresses)()
    return { state, role, message, listening: null, self: null, server, connected: false, addresses }
  }

  private setStatus(status: EngineStatus): void {
    this.current = status
    this.options.onEvent({ type: 'status', status })
  }
}

/** The server a client asks first: its Server address, else the first address its invite holds. */
function serverOf(settings: Settings): string | null {
  if (settings.serverAddress) return formatEndpoint(settings.serverAddress, settings.serverPort)
  const invite = settings.invite ? decodeInvite(settings.invite, 0) : null
  const first = invite?.ok ? invite.invite.addresses[0] : undefined
  return first ? formatInviteAddress(first) : null
}

/**
 * Settings whose change must not restart the engine (a client would log off and on): those it
 * never reads, and those it takes while running (apply hands them over).
 */
const NO_RESTART: ReadonlySet<keyof Settings> = new Set(['notify', 'limitRateKiB'])

function sameSettings(a: Settings, b: Settings): boolean {
  return (Object.keys(a) as Array<keyof Settings>).every((key) => NO_RESTART.has(key) || a[key] === b[key])
}

function startFailure(error: unknown, settings: Settings): string {
  // The engine's words name the CLI's flags; the window has a field for it.
  if (error instanceof JoinError && !settings.invite) {
    return 'This device is not a member of the server yet. Paste an invite from the server (its Members screen makes one) in Join with invite, and Save.'
  }
  const err = error as NodeJS.ErrnoException
  const what = settings.role === 'server' ? 'the server' : 'the client'
  const problem = portProblem(err)
  if (problem === 'in-use') return `Cannot start ${what}: port ${settings.port} is already in use. Choose another port in Settings (0 picks a free one).`
  if (problem === 'denied') return `Cannot start ${what}: no permission to use port ${settings.port}. Ports below 1024 need administrator rights.`
  if (err.code === 'EADDRNOTAVAIL' && settings.listenAddress) {
    return `Cannot start ${what}: ${settings.listenAddress} is not an address of this machine. Change the Listen address in Settings, or leave it empty for every interface.`
  }
  if (err.code === 'EACCES' || err.code === 'EPERM') return `Cannot start ${what}: no permission to write ${err.path ?? 'a folder it needs'}.`
  if (err.code === 'ENOENT') return `Cannot start ${what}: ${err.path ?? 'a folder'} does not exist.`
  return `Cannot start ${what}: ${err.message ?? String(error)}`
}
