// The desktop app's main-process logic without Electron: settings, the engine's supervisor, the
// live snapshot and event forwarding, behind the bridge. Electron's main and the headless app
// each wrap one AppCore with their own transport and their own folder picker (or none).
import type { AppEvent, EngineStatus, SettingsState, StatusEvent } from '../../shared/contract'
import type { EngineEvent } from '../../shared/events'
import { checkSettings, type FieldErrors, type Settings } from '../../shared/settings'
import { createBridge, type BridgeDispatch } from './bridge'
import { EventForwarder, type BatchSink } from './event-forwarder'
import { folderProblems } from './folder-checks'
import { LiveSnapshot } from './live-snapshot'
import type { SettingsStore } from './settings-store'
import { Supervisor, type SupervisorOptions } from './supervisor'

export type FolderPicker = (field: 'folder' | 'mirrorFolder', current: string) => Promise<string | null>

export interface AppCoreOptions {
  store: SettingsStore
  /** The native folder dialog; absent in a browser, where the path is typed. */
  chooseFolder?: FolderPicker
  /** How often event batches go to windows. */
  batchMs?: number
  /** Every event as it happens, e.g. for the headless app's --json output. */
  onEvent?: (event: EngineEvent | StatusEvent) => void
  /** How the engine runs; the host says where the bundled transfer worker is. */
  engine: Pick<SupervisorOptions, 'host' | 'heartbeatMs' | 'addresses' | 'workerScript'>
}

export class AppCore {
  readonly handle: BridgeDispatch
  private readonly supervisor: Supervisor
  private readonly forwarder: EventForwarder
  private readonly live = new LiveSnapshot()
  private seq = 0

  constructor(private readonly options: AppCoreOptions) {
    this.forwarder = new EventForwarder(options.batchMs)
    this.supervisor = new Supervisor({
      ...options.engine,
      onEvent: (event) => {
        const stamped = { ...event, at: Date.now(), seq: ++this.seq } as AppEvent
        this.live.apply(stamped)
        this.forwarder.push(stamped)
        options.onEvent?.(event)
      },
    })
    this.handle = createBridge({
      'settings:get': async () => this.settingsState(),
      'settings:save': async (candidate) => {
        const check = checkSettings(candidate)
        const errors: FieldErrors = check.ok ? folderProblems(check.settings) : check.errors
        if (!check.ok || Object.keys(errors).length) return { ok: false, errors }
        this.options.store.save(check.settings)
        await this.supervisor.apply(check.settings)
        return { ok: true, state: this.settingsState() }
      },
      'folder:choose': async ({ field }) => {
        const picker = this.options.chooseFolder
        return { path: picker ? await picker(field, this.options.store.get()[field]) : null }
      },
      'snapshot:get': async () => this.live.take(this.supervisor.status),
      'engine:restart': async () => this.supervisor.restart(),
    })
  }

  get status(): EngineStatus {
    return this.supervisor.status
  }

  /** Starts the engine the saved settings describe. */
  start(): Promise<EngineStatus> {
    return this.supervisor.apply(this.options.store.get())
  }

  /** Event batches for one window; returns the unsubscribe. */
  subscribe(sink: BatchSink): () => void {
    return this.forwarder.subscribe(sink)
  }

  /** Stops the engine (a client logs off) and sends what is left. */
  async stop(): Promise<void> {
    await this.supervisor.stop()
    this.forwarder.close()
  }

  private settingsState(): SettingsState {
    const settings: Settings = this.options.store.get()
    const check = checkSettings(settings)
    return {
      settings,
      // Only problems the user did not just cause: a complete setup whose folder has since gone.
      errors: check.ok ? folderProblems(settings) : {},
      canChooseFolder: Boolean(this.options.chooseFolder),
      file: this.options.store.file,
      notice: this.options.store.notice,
    }
  }
}
