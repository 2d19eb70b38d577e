// The desktop app's main-process logic without Electron: settings, the engine's supervisor, the
// live snapshot and event forwarding, behind the bridge. Electron's main and the headless app
// each wrap one AppCore with their own transport and their own folder picker (or none).
import { TO_COME_SHOWN, type AppEvent, type ControlReplyView, type ControlRequestView, type DeviceInfo, type EngineStatus, type MembersEvent, type OpenFolderReply, type SettingsState, type Snapshot, type StatusEvent } from '../../shared/contract'
import { shortDeviceId } from '../../shared/device-id'
import type { EngineEvent } from '../../shared/events'
import { checkSettings, type FieldErrors, type Settings } from '../../shared/settings'
import { readSavedServer, type SavedServer } from '../engine/client/saved-server'
import { createBridge, type BridgeDispatch } from './bridge'
import { EventForwarder, type BatchSink } from './event-forwarder'
import { listFolders } from './folder-browser'
import { folderProblems } from './folder-checks'
import { HistoryService } from './history-service'
import { IgnoreService } from './ignore-service'
import { inviteView } from './invite-view'
import { LiveSnapshot } from './live-snapshot'
import { MembersService } from './members-service'
import { makeServerInvite } from './server-invite'
import type { SettingsStore } from './settings-store'
import { Supervisor, type SupervisorOptions } from './supervisor'

export type AppCoreEvent = EngineEvent | StatusEvent | MembersEvent

/** What the members service derives from the member store (see the constructor). */
const MEMBER_EVENTS = new Set<string>(['join-request', 'member-added', 'member-removed'])

/** `restoreTo`: the folder a kept version goes into (History), starting from the home folder. */
export type FolderPicker = (field: 'folder' | 'mirrorFolder' | 'restoreTo', current: string) => Promise<string | null>

/** Opens a folder in the system's file manager; resolves to why it could not, or null. */
export type FolderOpener = (path: string) => Promise<string | null>

export interface AppCoreOptions {
  store: SettingsStore
  /** The native folder dialog; absent in a browser, where the path is typed or browsed (folder:list). */
  chooseFolder?: FolderPicker
  /** The system's file manager (Electron's shell); absent in a browser, where Open folder shows the path. */
  openFolder?: FolderOpener
  /** The host shows desktop notifications itself (Electron); otherwise the page does. */
  nativeNotifications?: boolean
  /** The home folder the folder browser starts in (tests give one of their own). */
  home?: string
  /** How often event batches go to windows. */
  batchMs?: number
  /** Every event as it happens, e.g. for the headless app's --json output. */
  onEvent?: (event: AppCoreEvent) => void
  /** How the engine runs; the host says where the bundled transfer worker is. */
  engine: Pick<SupervisorOptions, 'host' | 'heartbeatMs' | 'addresses' | 'workerScript'>
}

export class AppCore {
  readonly handle: BridgeDispatch
  private readonly supervisor: Supervisor
  private readonly forwarder: EventForwarder
  private readonly members: MembersService
  private readonly history: HistoryService
  private readonly ignore: IgnoreService
  private readonly live = new LiveSnapshot()
  private seq = 0

  constructor(private readonly options: AppCoreOptions) {
    this.forwarder = new EventForwarder(options.batchMs)
    const emit = (event: AppCoreEvent): void => {
      const stamped = { ...event, at: Date.now(), seq: ++this.seq } as AppEvent
      this.live.apply(stamped)
      this.forwarder.push(stamped)
      options.onEvent?.(event)
    }
    // The registry server reports join-request, member-added and member-removed from the same
    // member store the members service watches, so a window would see each twice. The service is
    // the one source while it watches: it runs whether or not the server engine does (a client,
    // a stopped or failed server) and hears changes made anywhere (the engine, the window, a
    // terminal). Only when it cannot watch (a damaged file) do the engine's copies go through.
    const fromEngine = (event: EngineEvent | StatusEvent): void => {
      if (MEMBER_EVENTS.has(event.type) && this.members.watching) return
      emit(event)
    }
    this.supervisor = new Supervisor({ ...options.engine, configDir: options.store.configDir, onEvent: fromEngine })
    this.members = new MembersService(options.store.configDir, emit)
    this.history = new HistoryService(() => options.store.get())
    this.ignore = new IgnoreService(() => options.store.get())
    this.handle = createBridge({
      'settings:get': async () => this.settingsState(),
      'settings:save': async (candidate) => {
        const check = checkSettings(candidate)
        const errors: FieldErrors = check.ok ? { ...folderProblems(check.settings), ...this.inviteProblems(check.settings) } : check.errors
        if (!check.ok || Object.keys(errors).length) return { ok: false, errors }
        this.options.store.save(check.settings)
        await this.supervisor.apply(check.settings)
        return { ok: true, state: this.settingsState() }
      },
      'folder:choose': async ({ field }) => {
        const picker = this.options.chooseFolder
        return { path: picker ? await picker(field, this.options.store.get()[field]) : null }
      },
      'folder:list': async ({ path }) => listFolders(path, this.options.home),
      'snapshot:get': async () => this.snapshot(),
      'engine:restart': async () => this.supervisor.restart(),
      'device:get': async () => this.deviceInfo(),
      'invite:decode': async ({ text }) => inviteView(text, new Date(), this.savedServer()),
      'members:list': async () => this.members.list(),
      'members:invite': async () =>
        makeServerInvite({
          settings: this.options.store.get(),
          status: this.supervisor.status,
          identity: () => this.supervisor.identity(),
          members: this.members,
          hosts: this.options.engine.addresses,
        }),
      'members:accept': async ({ id }) => this.members.accept(id),
      'members:refuse': async ({ id }) => this.members.refuse(id),
      'members:remove': async ({ id }) => this.members.remove(id),
      'ignore:get': async () => this.ignore.get(),
      'ignore:save': async ({ text }) => this.ignore.save(text),
      'history:mirrors': async () => this.history.mirrors(),
      'history:list': async (request) => this.history.list(request),
      'history:restore': async (request) => this.history.restore(request),
      'history:choose-folder': async () => {
        const picker = this.options.chooseFolder
        return { path: picker ? await picker('restoreTo', '') : null }
      },
      'engine:control': async (request) => this.control(request),
      'folder:open': async ({ peer }) => this.openFolder(peer),
      'mirror:to-come': async ({ peer }) => this.supervisor.toCome(peer, TO_COME_SHOWN),
    })
  }

  get status(): EngineStatus {
    return this.supervisor.status
  }

  /** Makes or loads this device's identity, starts watching the members, then the engine the saved settings describe. */
  async start(): Promise<EngineStatus> {
    // A damaged identity or member file is shown in the window; the engine runs all the same.
    await this.supervisor.identity().catch(() => {})
    await this.members.open()
    return this.supervisor.apply(this.options.store.get())
  }

  /** The live state as a new window starts from it (also what the desktop app's tray is drawn from). */
  snapshot(): Snapshot {
    return this.live.take(this.supervisor.status)
  }

  /** The saved settings (the desktop app reads Notify me from them). */
  get settings(): Settings {
    return this.options.store.get()
  }

  /** Pause, resume, rescan or confirm on the running client (the window's buttons, the tray's menu). */
  control(request: ControlRequestView): Promise<ControlReplyView> {
    return this.supervisor.control(request)
  }

  /** Event batches for one window; returns the unsubscribe. */
  subscribe(sink: BatchSink): () => void {
    return this.forwarder.subscribe(sink)
  }

  /** Stops the engine (a client logs off) and sends what is left. */
  async stop(): Promise<void> {
    this.members.close()
    await this.supervisor.stop()
    this.forwarder.close()
  }

  private async openFolder(peer: string | null): Promise<OpenFolderReply> {
    const found = this.supervisor.folderOf(peer)
    if ('error' in found) return { ok: false, error: found.error }
    const open = this.options.openFolder
    if (!open) return { ok: true, path: found.path, opened: false }
    const problem = await open(found.path)
    return problem ? { ok: false, error: `Cannot open ${found.path}: ${problem}` } : { ok: true, path: found.path, opened: true }
  }

  private async deviceInfo(): Promise<DeviceInfo> {
    try {
      const identity = await this.supervisor.identity()
      return { id: identity.idText, shortId: shortDeviceId(identity.id), problem: null }
    } catch (error) {
      return { id: null, shortId: null, problem: error instanceof Error ? error.message : String(error) }
    }
  }

  /**
   * A client's invite must read; an expired one only when it is new, since the one it joined
   * with expires in a day and must not block every later Save.
   */
  private inviteProblems(settings: Settings): FieldErrors {
    if (settings.role !== 'client' || !settings.invite) return {}
    const view = inviteView(settings.invite, new Date(), this.savedServer())
    if (view.ok || (view.problem === 'expired' && settings.invite === this.options.store.get().invite)) return {}
    return { invite: view.message }
  }

  /** The server this device joined (`server.json`); a damaged file is the engine's to report. */
  private savedServer(): SavedServer | null {
    try {
      return readSavedServer(this.options.store.configDir)
    } catch {
      return null
    }
  }

  private settingsState(): SettingsState {
    const settings: Settings = this.options.store.get()
    const check = checkSettings(settings)
    return {
      settings,
      // Only problems the user did not just cause: a complete setup whose folder has since gone.
      errors: check.ok ? folderProblems(settings) : {},
      canChooseFolder: Boolean(this.options.chooseFolder),
      nativeNotifications: Boolean(this.options.nativeNotifications),
      file: this.options.store.file,
      notice: this.options.store.notice,
    }
  }
}
