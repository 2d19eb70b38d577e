// A client: indexes and watches its shared folder, serves it to announced peers, registers with
// the registry server, and mirrors every other client's folder through the worker pool.
// Order at start: identity and membership (what to pin, where the server is), index (so the
// first list is complete), listener (so the announced port is open), then registration.
// `stop()` logs off first, then closes everything.
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { EventSink } from '../../../shared/events'
import { FolderIndex } from '../folder/folder-index'
import { FolderStats } from '../folder/folder-stats'
import { PreparingFiles } from '../folder/preparing-files'
import { loadOrCreateIdentity, type DeviceIdentity } from '../identity/device-identity'
import { inviteTokenHash } from '../identity/invite'
import { portProblem } from '../net/listen'
import { TokenBucket } from '../net/token-bucket'
import { isLimitRate, LIMIT_RATE_RULE, limitRateBytes } from '../../../shared/limit-rate'
import { MirrorCoordinator, STATE_FOLDER } from '../mirror/mirror-coordinator'
import type { MassDeleteLimits } from '../mirror/mass-delete'
import { controlSocketPath, type ControlReply, type ControlRequest } from '../control/control-protocol'
import { ControlServer } from '../control/control-server'
import { describePeer, matchPeer, type KnownPeer } from '../control/peer-match'
import { FolderServer, type PeerDirectory } from './folder-server'
import { configFolderProblem, folderPairProblem, realish } from './folder-pair'
import { MirrorLock } from './mirror-lock'
import { planJoin, saveServer, type JoinPlan } from './saved-server'
import { ServerLink, type PeerEntry } from './server-link'

export interface ClientNodeOptions {
  /** The shared folder. */
  dir: string
  /** Where every peer's mirror goes (default: see defaultMirrorDir). Must lie outside `dir`. */
  mirrorDir?: string
  port: number
  host?: string
  /** This device's identity and its saved membership (`server.json`) live here. */
  configDir: string
  /** This device's name, shown to others (a display name, never an identity). */
  name: string
  /** An invite (`dbs1-…`): join the server it names, once. */
  join?: string
  /** The server's device ID, to ask its operator to accept this device (no invite). */
  serverId?: string
  /** Where the server is; optional with an invite or a saved membership, which hold addresses. */
  serverHost?: string
  serverPort?: number
  advertiseHost?: string
  workers: number
  bufferSlots: number
  /**
   * How often the shared folder and each mirror are looked at whole, for changes no watch
   * reports (a write through a memory mapping, a dropped event). Default DEFAULT_RESCAN_EVERY_MS.
   */
  rescanEveryMs?: number
  /** How long a file still growing is waited for before peers get it as a snapshot (SNAPSHOT_AFTER_MS; tests shorten it). */
  snapshotAfterMs?: number
  /** How long a peer may leave requests unanswered before its connection is given up on (DEFAULT_PEER_STALL_MS; tests shorten it). */
  peerStallMs?: number
  /** The bundled transfer worker's file: each bundler puts it somewhere else, so the host says where. */
  workerScript: string | URL
  onEvent?: EventSink
  /** Days the mirror history keeps what peers deleted or overwrote (default 30; 0: off). */
  keepDays?: number
  /** When a peer's deletions are held until confirmed (default: over 50% and at least 1,000). */
  massDelete?: MassDeleteLimits
  /** Listen on the control socket (`dropbox-sync ctl`); default true. */
  control?: boolean
  /** KiB/s this client may send, and on its own receive, summed over every peer (0 or absent: no limit). */
  limitRateKiB?: number
}

/** Beside the index in the mirror folder's state folder: the port the last run listened on. */
const LAST_PORT_FILE = 'listen-port'

function rememberedPort(file: string): number | null {
  try {
    const port = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null
  } catch {
    return null
  }
}

/** `~/Shared` mirrors into `~/Shared-mirrors`: beside the shared folder, never inside it. */
export function defaultMirrorDir(dir: string): string {
  const resolved = path.resolve(dir)
  return path.join(path.dirname(resolved), `${path.basename(resolved)}-mirrors`)
}

export class ClientNode {
  readonly mirrorDir: string
  private identity: DeviceIdentity | null = null
  private index: FolderIndex | null = null
  /** What the app shows of the shared folder: its counts, and large files being hashed. */
  private folderStats: FolderStats | null = null
  private preparing: PreparingFiles | null = null
  private folderServer: FolderServer | null = null
  private mirror: MirrorCoordinator | null = null
  private link: ServerLink | null = null
  private control: ControlServer | null = null
  private readonly emit: EventSink
  private readonly lock: MirrorLock
  private readonly peerWaiters = new Map<string, Array<() => void>>()
  /** One limit per direction for the whole process: every connection and worker thread takes from it. */
  private readonly upload: TokenBucket
  private readonly download: TokenBucket

  constructor(private readonly options: ClientNodeOptions) {
    this.emit = options.onEvent ?? (() => {})
    this.mirrorDir = path.resolve(options.mirrorDir ?? defaultMirrorDir(options.dir))
    this.lock = new MirrorLock(path.join(this.mirrorDir, STATE_FOLDER, 'lock'))
    const problem = folderPairProblem(options.dir, this.mirrorDir) ?? configFolderProblem(options.configDir, options.dir, this.mirrorDir)
    if (problem) throw new Error(problem)
    const rate = limitRateBytes(checkedLimit(options.limitRateKiB ?? 0))
    this.upload = TokenBucket.create(rate)
    this.download = TokenBucket.create(rate)
  }

  /** Changes the bandwidth limit (KiB/s, 0: none) while running: no connection is touched. */
  setLimitRate(kib: number): void {
    checkedLimit(kib)
    this.upload.setRate(limitRateBytes(kib))
    this.download.setRate(limitRateBytes(kib))
  }

  async start(): Promise<{ host: string; port: number }> {
    // Which server, pinned how: a bad invite or no membership at all fails before anything is made.
    const { serverHost, serverPort } = this.options
    const plan = planJoin({
      configDir: this.options.configDir,
      join: this.options.join,
      serverId: this.options.serverId,
      address: serverHost !== undefined && serverPort !== undefined ? { host: serverHost, port: serverPort } : undefined,
    })
    this.identity = await loadOrCreateIdentity(this.options.configDir)
    // Taken first and given back on any failure below; nothing is made before it is held.
    this.lock.acquire()
    try {
      return await this.startHoldingLock(this.identity, plan)
    } catch (error) {
      this.lock.release()
      throw error
    }
  }

  /** This device's ID as people read it, once started. */
  get id(): string | null {
    return this.identity?.idText ?? null
  }

  private async startHoldingLock(identity: DeviceIdentity, plan: JoinPlan): Promise<{ host: string; port: number }> {
    this.mirror = new MirrorCoordinator({
      mirrorRoot: this.mirrorDir,
      workers: this.options.workers,
      bufferSlots: this.options.bufferSlots,
      workerScript: this.options.workerScript,
      identity,
      name: this.options.name,
      rescanEveryMs: this.options.rescanEveryMs,
      keepDays: this.options.keepDays,
      massDelete: this.options.massDelete,
      downloadRate: this.download.memory,
      ...(this.options.peerStallMs !== undefined ? { peerStallMs: this.options.peerStallMs } : {}),
      onEvent: this.emit,
    })
    // Worker threads take a while to boot: they do so while the folder is indexed.
    const mirrorStarted = this.mirror.start()
    let listening: { host: string; port: number }
    try {
      const stateDir = path.join(this.mirrorDir, STATE_FOLDER)
      // The index and its watcher work on the real folder: a watched symlink to a folder sees no
      // changes made inside it.
      const localBlocks = this.mirror.localBlocks
      this.index = new FolderIndex(realish(this.options.dir), path.join(stateDir, 'index.json'), this.emit, {
        rescanEveryMs: this.options.rescanEveryMs,
        snapshotAfterMs: this.options.snapshotAfterMs,
        // Pulls take blocks from the shared folder's big files too.
        onKeptList: (file, list) => localBlocks.rememberFolderFile(file.path, file.version.toString('hex'), list.blockSize, list.hashes),
      })
      // Listening before the first scan: a large file found then is shown being hashed.
      this.folderStats = new FolderStats(this.index, this.emit)
      this.preparing = new PreparingFiles(this.index, this.emit)
      await this.index.open()
      const index = this.index
      void localBlocks
        .attachFolder({ root: index.root, listDir: index.served.blockLists.dir, list: () => index.list(), get: (rel) => index.get(rel) })
        .catch((error: unknown) => this.emit({ type: 'error', code: 'io-error', message: `learning the shared folder's block lists: ${String(error)}` }))
      this.folderStats.changed()
      listening = await this.serveFolder(this.index, identity, path.join(stateDir, LAST_PORT_FILE))
      await mirrorStarted
    } catch (error) {
      // Nothing may keep running (threads, a watcher) after a start that failed.
      await mirrorStarted.catch(() => {})
      await this.mirror.stop().catch(() => {})
      await this.index?.close().catch(() => {})
      this.closeStats()
      throw error
    }
    const { host, port } = listening
    if (this.options.control !== false) await this.listenForControl()
    this.emit({ type: 'ready', role: 'client', host, port, id: identity.idText, name: this.options.name })
    let saved = plan.saved
    let joinedWith = plan.joinedWith
    this.link = new ServerLink({
      addresses: plan.addresses,
      serverId: plan.serverId,
      identity,
      name: this.options.name,
      ...(plan.token ? { joinToken: plan.token } : {}),
      listenPort: port,
      // Listening on one specific address means that is the one to announce.
      advertiseHost: this.options.advertiseHost ?? specificHost(this.options.host),
      onEvent: this.emit,
      onPeer: (change, peer) => this.onPeer(change, peer),
      onJoined: (address) => {
        // Remembered once the server has let us in: from then on the saved membership suffices.
        if (saved && address === plan.addresses[0]) return
        // A device let in for the first time with a token used that invite; a member is let in whatever it carries.
        if (!saved && plan.token) joinedWith = { tokenHash: inviteTokenHash(plan.token), at: new Date().toISOString() }
        saved = true
        const addresses = [address, ...plan.addresses.filter((a) => a !== address)]
        saveServer(this.options.configDir, { id: plan.serverId, addresses, ...(joinedWith ? { joinedWith } : {}) }).catch((error: unknown) =>
          this.emit({ type: 'error', code: 'io-error', message: `cannot save the membership in ${this.options.configDir}: ${(error as Error).message}` }),
        )
      },
    })
    this.link.start()
    return { host, port }
  }

  /**
   * Listens for peers. Asked for any port (0), it tries the one of the last run first: peers know
   * this client by its device ID whatever its port, but a mirror folder an earlier version left
   * (named `ip_port`) is taken over only by the device registering at that address and port.
   */
  private async serveFolder(index: FolderIndex, identity: DeviceIdentity, portFile: string): Promise<{ host: string; port: number }> {
    const anyPort = this.options.port === 0
    const remembered = anyPort ? rememberedPort(portFile) : null
    const serve = (port: number): FolderServer =>
      new FolderServer({ port, host: this.options.host, identity, name: this.options.name, index, peers: this.directory, onEvent: this.emit, upload: this.upload })
    let server = serve(remembered ?? this.options.port)
    let listening: { host: string; port: number }
    try {
      listening = await server.start()
    } catch (error) {
      if (remembered === null || !portProblem(error)) throw error
      // Someone else has it now: any free port will do.
      server = serve(0)
      listening = await server.start()
    }
    this.folderServer = server
    // A hint for next time, not worth an fsync on the way to registering: a torn one is ignored.
    if (anyPort) void writeFile(portFile, `${listening.port}\n`).catch(() => {})
    return listening
  }

  /**
   * The control socket, in the config folder: that folder is this device, which one client runs
   * as at a time. A client that cannot listen there says so and runs without it.
   */
  private async listenForControl(): Promise<void> {
    const control = new ControlServer(controlSocketPath(this.options.configDir), (request) => this.command(request))
    try {
      await control.start()
      this.control = control
    } catch (error) {
      this.emit({ type: 'error', code: 'control-unavailable', message: `cannot listen on the control socket ${control.socketPath} (dropbox-sync ctl will not reach this client): ${(error as Error).message}` })
    }
  }

  /** A request on the control socket, or from the app; `peer` is whatever names one (see peer-match.ts). */
  async command(request: ControlRequest): Promise<ControlReply> {
    const mirror = this.mirror
    if (!mirror) return { ok: false, error: 'the client is not running' }
    let peer: KnownPeer | undefined
    if (request.peer !== undefined) {
      const found = matchPeer(request.peer, mirror.knownPeers())
      if ('error' in found) return { ok: false, error: found.error }
      peer = found.peer
    }
    const what = peer === undefined ? 'the client' : `the mirror of ${describePeer(peer)}`
    switch (request.command) {
      case 'pause':
        return { ok: true, message: (await mirror.presence.pause(peer?.id)) ? `paused ${what}` : `${what} was paused already` }
      case 'resume':
        if (await mirror.presence.resume(peer?.id)) return { ok: true, message: `resumed ${what}${peer !== undefined && mirror.presence.isPaused() ? ' (the client as a whole is still paused)' : ''}` }
        return { ok: true, message: `${what} was not paused` }
      case 'rescan':
        this.index?.rescan()
        mirror.rescan()
        return { ok: true, message: 'looking at the shared folder and every watched mirror now' }
      case 'confirm': {
        if (!peer) return { ok: false, error: 'confirm needs the peer whose deletions to apply' }
        const result = await mirror.confirm(peer.id, describePeer(peer))
        return result.ok ? { ok: true, message: result.message } : { ok: false, error: result.message }
      }
    }
  }

  /** The folder a person means: the shared one (no peer), or the mirror of the peer named. */
  folderOf(peerText?: string): { path: string } | { error: string } {
    if (peerText === undefined) return { path: path.resolve(this.options.dir) }
    const mirror = this.mirror
    if (!mirror) return { error: 'the client is not running' }
    const found = matchPeer(peerText, mirror.knownPeers())
    if ('error' in found) return found
    const folder = found.peer.folder === undefined ? null : path.join(this.mirrorDir, found.peer.folder)
    if (!folder || !existsSync(folder)) return { error: `${describePeer(found.peer)} has no mirror folder yet: it is made once the peer answers` }
    return { path: folder }
  }

  /**
   * The first `limit` files still to come from the peer at `peer` (`ip:port`), by path, with the
   * count and bytes of all; null when this client mirrors no such peer.
   */
  toCome(peer: string, limit: number): ReturnType<MirrorCoordinator['toCome']> {
    return this.mirror?.toCome(peer, limit) ?? null
  }

  private closeStats(): void {
    this.folderStats?.close()
    this.preparing?.close()
  }

  /** Other online clients as this client knows them. */
  get peers(): string[] {
    return this.link ? [...this.link.peers.keys()] : []
  }

  /** Stops every part, each even when one before it failed; the first failure is thrown after. */
  async stop(): Promise<void> {
    let failure: unknown = null
    const steps = [
      () => this.control?.stop(),
      () => this.link?.stop(),
      () => this.folderServer?.stop(),
      () => this.mirror?.stop(),
      () => this.index?.close(),
      () => this.closeStats(),
    ]
    for (const step of steps) {
      try {
        await step()
      } catch (error) {
        failure ??= error
      }
    }
    this.lock.release()
    if (failure) throw failure
  }

  /** The registry's view of who may read our folder, by device ID (hex). */
  private readonly directory: PeerDirectory = {
    lookup: (id) => this.link?.lookup(id) ?? null,
    listed: () => (this.link?.registered ?? null) !== null,
    waitFor: (id, ms) =>
      new Promise((resolve) => {
        const waiters = this.peerWaiters.get(id) ?? []
        const wake = (): void => {
          clearTimeout(timer)
          resolve(this.directory.lookup(id))
        }
        const timer = setTimeout(() => {
          // Timed out: forget this waiter, so unanswered claims do not pile up.
          const left = (this.peerWaiters.get(id) ?? []).filter((w) => w !== wake)
          if (left.length) this.peerWaiters.set(id, left)
          else this.peerWaiters.delete(id)
          resolve(this.directory.lookup(id))
        }, ms)
        waiters.push(wake)
        this.peerWaiters.set(id, waiters)
      }),
  }

  private onPeer(change: 'joined' | 'left', peer: PeerEntry): void {
    if (change === 'joined') {
      for (const wake of this.peerWaiters.get(peer.id) ?? []) wake()
      this.peerWaiters.delete(peer.id)
      this.mirror?.presence.joined(peer.endpoint, peer.id, peer.name)
    } else {
      // Left, timed out or removed: it may no longer read our folder, and we stop mirroring it.
      this.folderServer?.peerLeft(peer.id)
      this.mirror?.presence.left(peer.endpoint, peer.id)
    }
  }
}

function checkedLimit(kib: number): number {
  if (!isLimitRate(kib)) throw new RangeError(`the bandwidth limit ${LIMIT_RATE_RULE}, not ${String(kib)}`)
  return kib
}

function specificHost(host: string | undefined): string | undefined {
  return host && host !== '0.0.0.0' && host !== '::' ? host : undefined
}
