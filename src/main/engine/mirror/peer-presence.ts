// Which devices the registry announces, at which address, and which of them this client mirrors
// now: a join attaches a device unless it is paused, a leave or a pause detaches it (pause is a
// local detach: the device stays announced). What attaching and detaching set going (the
// subscription, the jobs, the workers' connections) is the coordinator's.
import { formatDeviceId } from '../../../shared/device-id'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import type { EngineEvent, EventSink } from '../../../shared/events'
import { UNNAMED_DEVICE } from '../../../shared/paths'
import type { KnownPeer } from '../control/peer-match'
import type { MirrorTasks } from './mirror-tasks'
import { PauseState } from './pause-state'
import { stateOffline, stateOnline, type PeerState } from './peer-state'
import type { PeerTable } from './peer-table'

/** A device the registry announces: where, the device ID each connection pins, its name. */
export interface AnnouncedPeer {
  endpoint: Endpoint
  id: string
  name: string
}

export interface PeerPresenceOptions {
  tasks: MirrorTasks
  onEvent: EventSink
  peers: PeerTable
  /** Where what the user paused is kept (pause-state.ts). */
  pauseFile: string
  /** The device with that ID (hex) as the user knows it, for the pause events. */
  who: (id: string) => KnownPeer | undefined
  /** A device is online now (ref and generation moved on): its mirroring starts. */
  attached: (state: PeerState) => void
  /** A device is offline now (it left, or is paused): its mirroring stops; its mirror stays as it is. */
  detached: (state: PeerState) => void
}

export class PeerPresence {
  /** Online peers' device IDs by `ip:port`. */
  private readonly atEndpoint = new Map<string, string>()
  /** Peers the registry announces now, mirrored or not (paused), by endpoint key. */
  private readonly announced = new Map<string, AnnouncedPeer>()
  private readonly pauses: PauseState

  constructor(private readonly options: PeerPresenceOptions) {
    this.pauses = new PauseState(options.pauseFile)
  }

  /** Paused before the last stop: still paused, and said so. */
  loadPauses(): void {
    this.pauses.load()
    if (this.pauses.all) this.options.onEvent({ type: 'paused' })
    for (const id of this.pauses.peers) this.options.onEvent(this.pauseEvent('paused', id))
  }

  /**
   * `id`: the device ID (hex) the registry announced at that endpoint; every connection pins it.
   * The peer is known by it: one that comes back from another address or port keeps its mirror
   * folder and manifest, and only what changed moves.
   */
  joined(endpoint: Endpoint, id: string, name = UNNAMED_DEVICE): void {
    if (this.options.tasks.stopped) return
    const key = endpointKey(endpoint)
    this.announced.set(key, { endpoint, id, name })
    if (this.pauses.claim(key, id)) {
      this.options.tasks.background(this.pauses.save(), () => 'saving the paused state')
      this.options.onEvent(this.pauseEvent('paused', id))
    }
    if (!this.pauses.isPaused(id)) this.attach(endpoint, id, name)
  }

  /** `id`: the device that left (default: the one online at `endpoint`). */
  left(endpoint: Endpoint, id = this.atEndpoint.get(endpointKey(endpoint))): void {
    const key = endpointKey(endpoint)
    if (this.announced.get(key)?.id === id) this.announced.delete(key)
    this.detach(endpoint, id)
  }

  /** Pauses the whole client (no device) or one device's mirror (ID, hex); false if it already was. */
  async pause(id?: string): Promise<boolean> {
    if (!this.pauses.pause(id)) return false
    await this.pauses.save().catch((error: unknown) => this.options.tasks.report('io-error', `saving the paused state: ${String(error)}`))
    this.options.onEvent(this.pauseEvent('paused', id))
    // Its jobs leave the ring and its connections close: a transfer under way is cut, its temp
    // file removed, and fetched again after the resume. Serving our own folder goes on.
    for (const { endpoint, id: each } of [...this.announced.values()]) if (this.pauses.isPaused(each)) this.detach(endpoint, each)
    return true
  }

  /** Resumes what pause paused; false if it was not paused. */
  async resume(id?: string): Promise<boolean> {
    if (!this.pauses.resume(id)) return false
    await this.pauses.save().catch((error: unknown) => this.options.tasks.report('io-error', `saving the paused state: ${String(error)}`))
    this.options.onEvent(this.pauseEvent('resumed', id))
    // Subscribed and listed again: what changed meanwhile comes now.
    for (const { endpoint, id: each, name } of [...this.announced.values()]) if (!this.pauses.isPaused(each)) this.attach(endpoint, each, name)
    return true
  }

  /** Whether the whole client (no device) or that device (ID, hex) is paused by itself. */
  isPaused(id?: string): boolean {
    return id === undefined ? this.pauses.all : this.pauses.peers.has(id)
  }

  /** Whether that device's mirror (ID, hex) is paused now, by itself or with the whole client. */
  mirrorPaused(id: string): boolean {
    return this.pauses.isPaused(id)
  }

  /** The peers announced now, by endpoint key. */
  entries(): IterableIterator<[string, AnnouncedPeer]> {
    return this.announced.entries()
  }

  /** Whether `id` is the device announced at `key` now (mirrored, or paused). */
  isAnnounced(key: string, id: string): boolean {
    return this.announced.get(key)?.id === id
  }

  /** The device at `key` (`ip:port`): the one online there, else the one announced there. */
  deviceAt(key: string): string | undefined {
    return this.atEndpoint.get(key) ?? this.announced.get(key)?.id
  }

  /** `paused` / `resumed` about the client, or about a device: its ID, name and (when known) address. */
  private pauseEvent(type: 'paused' | 'resumed', id?: string): EngineEvent {
    if (id === undefined) return { type }
    const { idText, name, endpoint } = this.options.who(id) ?? { idText: formatDeviceId(Buffer.from(id, 'hex')), name: '' }
    return { type, ...(endpoint === undefined ? {} : { peer: endpoint }), id: idText, name }
  }

  /** Starts mirroring an announced device at `endpoint` (a join, or a resume). */
  private attach(endpoint: Endpoint, id: string, name: string): void {
    const key = endpointKey(endpoint)
    // Another device at this address: the one we knew there is gone.
    const before = this.atEndpoint.get(key)
    if (before !== undefined && before !== id) this.detach(endpoint, before)
    let state = this.options.peers.get(id)
    // The same device announced at a new address while still online at the old one: it moved.
    if (state?.online && state.ref.key !== key) {
      if (this.announced.get(state.ref.key)?.id === id) this.announced.delete(state.ref.key)
      this.detach(state.endpoint, id)
    }
    if (!state) state = this.options.peers.create(endpoint, id, name)
    state.name = name
    if (state.online) return
    stateOnline(state, endpoint)
    this.atEndpoint.set(key, id)
    this.options.attached(state)
  }

  /** Stops mirroring a device (it left, or is paused); its mirror stays as it is. */
  private detach(endpoint: Endpoint, id = this.atEndpoint.get(endpointKey(endpoint))): void {
    if (id === undefined) return
    const state = this.options.peers.get(id)
    if (!state?.online) return
    if (this.atEndpoint.get(state.ref.key) === id) this.atEndpoint.delete(state.ref.key)
    stateOffline(state)
    this.options.detached(state)
  }
}
