// A window.api for component tests: records what the window asks, answers from a settings state
// the test controls, and lets the test push event batches as main would.
import type { Api } from '../../src/preload/api'
import type {
  AppEvent,
  ControlReplyView,
  ControlRequestView,
  CreatedInvite,
  DecodedInviteView,
  DeviceInfo,
  EngineStatus,
  FolderListing,
  HistoryEntryView,
  HistoryListRequest,
  HistoryMirrors,
  HistoryPage,
  HistoryRestoreReply,
  IgnorePatterns,
  IgnoreSaveReply,
  MemberActionReply,
  MembersState,
  OpenFolderReply,
  SaveReply,
  SettingsState,
  Snapshot,
  ToComeReply,
} from '../../src/shared/contract'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'

export const RUNNING_SERVER: EngineStatus = {
  state: 'running',
  role: 'server',
  message: null,
  listening: { host: '::', port: 4000 },
  self: null,
  server: null,
  connected: false,
  addresses: ['192.168.1.20'],
}

export class TestApi implements Api {
  readonly saved: Settings[] = []
  state: SettingsState = { settings: DEFAULT_SETTINGS, errors: {}, canChooseFolder: false, nativeNotifications: false, file: '/config/config.json', notice: null }
  /** What listFolders answers for a path (null: home); by default an empty home folder. */
  folders = new Map<string | null, FolderListing>()
  /** The paths listFolders was asked for, in order. */
  readonly listed: Array<string | null> = []
  snapshot: Snapshot = {
    at: 0,
    seq: 0,
    status: RUNNING_SERVER,
    peers: [],
    transfers: [],
    totals: [],
    buffer: null,
    workers: [],
    folders: { own: null, mirrors: [], preparing: [] },
    recent: [],
    control: { paused: false, pausedPeers: [], held: [] },
  }
  /** What listToCome answers for a peer; by default: not mirrored. */
  toCome = new Map<string, ToComeReply>()
  /** The peers listToCome was asked about, in order. */
  readonly toComeAsked: string[] = []
  /** What saveSettings answers; by default it accepts. */
  answer: ((settings: Settings) => SaveReply) | null = null
  folderChoice: string | null = null
  device: DeviceInfo = { id: 'AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS', shortId: 'AAAQEAY', problem: null }
  /** What decodeInvite answers for a text; by default: not an invite. */
  invites = new Map<string, DecodedInviteView>()
  members: MembersState = { revision: 0, members: [], usedInvites: [], problem: null }
  inviteAnswer: CreatedInvite = { ok: true, invite: 'dbs1-test', expires: Date.UTC(2030, 0, 1), addresses: ['192.168.1.20:4000', '127.0.0.1:4000'], key: 'f'.repeat(64) }
  /** Member actions asked for, as `action id`. */
  readonly actions: string[] = []
  /** What getIgnorePatterns answers; saveIgnorePatterns records the text and answers with it in place. */
  ignore: IgnorePatterns = { ok: true, file: '/home/you/Shared/.syncignore', text: null, problem: null, defaults: ['*.swp', '.DS_Store'] }
  readonly ignoreSaved: string[] = []
  /** What saveIgnorePatterns answers instead, when set. */
  ignoreRefusal: string | null = null
  historyMirrors: HistoryMirrors = { ok: true, mirrorRoot: '/home/you/Shared-mirrors', keepDays: 30, mirrors: [] }
  /** Each mirror folder's kept versions, newest first; listHistory pages through them. */
  history = new Map<string, HistoryEntryView[]>()
  readonly historyAsked: HistoryListRequest[] = []
  /** Restores asked for, and what restoreHistory answers (by default: restored under its own name). */
  readonly restores: Array<{ folder: string; id: string; to: string }> = []
  restoreAnswer: HistoryRestoreReply | null = null
  restoreChoice: string | null = null
  /** Control requests sent (Pause, Resume, Rescan now, Confirm), and what they are answered. */
  readonly controls: ControlRequestView[] = []
  controlAnswer: ControlReplyView = { ok: true, message: 'done' }
  /** Open folder requests (null: the shared folder), and what they are answered. */
  readonly opened: Array<string | null> = []
  openAnswer: OpenFolderReply = { ok: true, path: '/home/you/Shared', opened: false }
  private readonly listeners = new Set<(batch: AppEvent[]) => void>()
  private seq = 0

  getSettings = async (): Promise<SettingsState> => structuredClone(this.state)
  saveSettings = async (settings: Settings): Promise<SaveReply> => {
    this.saved.push(settings)
    const reply = this.answer?.(settings) ?? { ok: true as const, state: { ...this.state, settings } }
    if (reply.ok) this.state = reply.state
    return reply
  }
  chooseFolder = async (): Promise<string | null> => this.folderChoice
  listFolders = async (path: string | null): Promise<FolderListing> => {
    this.listed.push(path)
    return structuredClone(this.folders.get(path) ?? { ok: true, path: '/home/you', parent: '/home', home: '/home/you', folders: [] })
  }
  getSnapshot = async (): Promise<Snapshot> => structuredClone(this.snapshot)
  restartEngine = async (): Promise<EngineStatus> => this.snapshot.status
  getDevice = async (): Promise<DeviceInfo> => structuredClone(this.device)
  decodeInvite = async (text: string): Promise<DecodedInviteView> =>
    this.invites.get(text) ?? { ok: false, problem: 'not-an-invite', message: 'Not an invite: an invite starts with dbs1-' }
  listMembers = async (): Promise<MembersState> => structuredClone(this.members)
  createInvite = async (): Promise<CreatedInvite> => structuredClone(this.inviteAnswer)
  acceptMember = async (id: string): Promise<MemberActionReply> => this.act('accept', id, 'member', 'accepted')
  refuseMember = async (id: string): Promise<MemberActionReply> => this.act('refuse', id, 'refused', 'refused')
  removeMember = async (id: string): Promise<MemberActionReply> => this.act('remove', id, 'removed', 'removed')
  getIgnorePatterns = async (): Promise<IgnorePatterns> => structuredClone(this.ignore)
  saveIgnorePatterns = async (text: string): Promise<IgnoreSaveReply> => {
    this.ignoreSaved.push(text)
    if (this.ignoreRefusal) return { ok: false, message: this.ignoreRefusal }
    if (this.ignore.ok) this.ignore = { ...this.ignore, text, problem: null }
    return { ok: true, patterns: structuredClone(this.ignore) }
  }
  listHistoryMirrors = async (): Promise<HistoryMirrors> => structuredClone(this.historyMirrors)
  listHistory = async (request: HistoryListRequest): Promise<HistoryPage> => {
    this.historyAsked.push(structuredClone(request))
    const all = (this.history.get(request.folder) ?? []).filter((e) => e.path.toLowerCase().includes(request.filter.trim().toLowerCase()))
    const from = request.before ? all.findIndex((e) => e.id === request.before!.id) + 1 : 0
    const entries = all.slice(from, from + request.limit)
    return { ok: true, folder: request.folder, entries: structuredClone(entries), total: all.length, more: from + entries.length < all.length }
  }
  restoreHistory = async (folder: string, id: string, to: string): Promise<HistoryRestoreReply> => {
    this.restores.push({ folder, id, to })
    const name = (this.history.get(folder) ?? []).find((e) => e.id === id)?.path.split('/').at(-1) ?? id
    return this.restoreAnswer ?? { ok: true, path: `${to}/${name}`, renamed: false }
  }
  chooseRestoreFolder = async (): Promise<string | null> => this.restoreChoice
  control = async (request: ControlRequestView): Promise<ControlReplyView> => {
    this.controls.push(request)
    return structuredClone(this.controlAnswer)
  }
  openFolder = async (peer: string | null): Promise<OpenFolderReply> => {
    this.opened.push(peer)
    return structuredClone(this.openAnswer)
  }
  listToCome = async (peer: string): Promise<ToComeReply> => {
    this.toComeAsked.push(peer)
    return structuredClone(this.toCome.get(peer) ?? { ok: false, message: `This client does not mirror ${peer}.` })
  }
  onEvents = (listener: (batch: AppEvent[]) => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  onDisconnect = (): (() => void) => () => {}

  /** Changes the member's state as main's store would, and answers with the list after. */
  private act(action: string, id: string, state: MembersState['members'][number]['state'], result: MemberActionReply['result']): MemberActionReply {
    this.actions.push(`${action} ${id}`)
    this.members = { ...this.members, revision: this.members.revision + 1, members: this.members.members.map((m) => (m.id === id ? { ...m, state } : m)) }
    return { result, state: structuredClone(this.members) }
  }

  get subscribers(): number {
    return this.listeners.size
  }

  /** Stamps and sends events as one batch, as main's forwarder does. */
  emit(...events: Array<Record<string, unknown>>): AppEvent[] {
    const batch = events.map((e) => ({ at: Date.now(), ...e, seq: ++this.seq }) as AppEvent)
    for (const listener of this.listeners) listener(batch)
    return batch
  }

  /** Continues the sequence after a snapshot's. */
  startAt(seq: number): void {
    this.seq = seq
  }
}

export function installApi(): TestApi {
  const api = new TestApi()
  window.api = api
  return api
}
