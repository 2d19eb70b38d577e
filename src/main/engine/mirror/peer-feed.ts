// What a peer tells us, kept up to date: subscribe first, then list on the same connection (a
// change made while the list is read is pushed, not lost); the list comes frame by frame and its
// files are considered as they come; changes pushed before its last frame are in it already; a
// lost subscription subscribes and lists again.
import { mkdir } from 'node:fs/promises'
import type { EventSink } from '../../../shared/events'
import { relativePathProblem } from '../../../shared/paths'
import type { TlsCredentials } from '../net/tls'
import type { FileEntry, IndexChange } from '../protocol/messages'
import type { DeviceMirrors } from './device-mirrors'
import type { PeerRef } from './jobs'
import { ListedFiles } from './listed-files'
import type { MirrorFiles } from './mirror-files'
import type { MirrorRepair } from './mirror-repair'
import type { MirrorTasks } from './mirror-tasks'
import { PeerSession, PeerSessionError } from './peer-session'
import { namedPeer, type PeerState } from './peer-state'

/** The wait before subscribing or listing again after the peer answered but could not serve. */
export const CONTROL_RETRY_MS = 1000

export interface PeerFeedOptions {
  tasks: MirrorTasks
  /** This device's certificate and key, for its connections to peers. */
  identity: TlsCredentials
  /** This device's name, sent in HELLO. */
  name: string
  /** How long the peer may leave the list unanswered (DEFAULT_PEER_STALL_MS). */
  peerStallMs?: number
  onEvent: EventSink
  devices: Pick<DeviceMirrors, 'has' | 'keep'>
  files: Pick<MirrorFiles, 'removeStrays' | 'renameLocal'>
  repairs: Pick<MirrorRepair, 'repair' | 'listArrived' | 'straysRemoved'>
  /** Where the peer's mirror stands changed (MirrorStats.touch, by device ID). */
  touch: (id: string) => void
  /** The peer answered: the workers may connect to it too. */
  connected: (ref: PeerRef) => void
  /** Acts on what reconcile.ts decides for `rel`; `remote`: the peer's files as known. */
  consider: (state: PeerState, generation: number, rel: string, remote?: ListedFiles | null) => Promise<void>
  checkSynced: (state: PeerState) => void
  /** Deletions the peer made, through the mass-delete hold. */
  removeDeleted: (state: PeerState, rels: string[]) => Promise<void>
}

export class PeerFeed {
  constructor(private readonly options: PeerFeedOptions) {}

  /** Subscribes first, then lists: a change made while the list is read is pushed, not lost. */
  async subscribe(state: PeerState, generation: number): Promise<void> {
    if (!this.options.tasks.live(state, generation)) return
    let session: PeerSession
    try {
      session = await PeerSession.open(state.ref, this.options.identity, this.options.name, this.options.peerStallMs === undefined ? {} : { stallMs: this.options.peerStallMs })
    } catch (error) {
      if (error instanceof PeerSessionError && error.code === 'not-announced') {
        // It answered, and will know us once the registry has told it.
        state.reach.answered()
        this.options.tasks.retryLater(() => this.subscribe(state, generation), CONTROL_RETRY_MS, state, generation)
        return
      }
      // Said once until it answers again; dialled less and less often meanwhile.
      const { news, retryInMs } = state.reach.failed()
      this.options.tasks.retryLater(() => this.subscribe(state, generation), retryInMs, state, generation)
      if (news) this.options.tasks.report('peer-unreachable', `${(error as Error).message} (tried again, less and less often, until it answers)`, state.ref.key)
      return
    }
    if (!this.options.tasks.live(state, generation)) return session.close()
    state.reach.answered()
    // The workers' handshakes run while the folder is made and recorded and the list comes.
    this.options.connected(state.ref)
    try {
      await mkdir(state.ref.folder, { recursive: true })
    } catch (error) {
      session.close()
      throw error
    }
    // Its folder is made: from now on it is this device's, whatever it is called later.
    if (!this.options.devices.has(state.ref.id)) await this.options.devices.keep(state.ref.id)
    if (!this.options.tasks.live(state, generation)) return session.close()
    state.control = session
    this.options.touch(state.ref.id)
    session.connection.on('close', () => {
      if (state.control !== session) return
      state.control = null
      this.options.touch(state.ref.id)
      // Lost the subscription while the peer is still announced: subscribe and list again. A list
      // out of step is the peer's fault: said once, and asked for again less and less often.
      let waitMs = CONTROL_RETRY_MS
      if (session.outOfStep) {
        const { news, retryInMs } = state.badLists.failed()
        waitMs = retryInMs
        if (news) this.options.tasks.report(session.outOfStep instanceof PeerSessionError ? session.outOfStep.code : 'bad-peer', session.outOfStep.message, state.ref.key)
      }
      this.options.tasks.retryLater(() => this.subscribe(state, generation), waitMs, state, generation)
    })
    session.onUnrequested = (message) => {
      if (message.type === 'FOLDER_STATE') return this.options.tasks.background(this.folderState(state, generation, message.present), () => `a folder notice of ${state.ref.key}`)
      if (message.type !== 'INDEX_CHANGED') return
      if (message.changes.length) this.options.tasks.background(this.applyChanges(state, generation, message.changes), () => `changes of ${state.ref.key}`)
    }
    session.connection.send({ type: 'SUBSCRIBE' })
    // Asked at once, not after the acknowledgement: the peer answers one connection's requests in
    // order (PROTOCOL.md §12.4), so the list still starts after the subscription does.
    this.options.tasks.background(this.list(state, generation, session), () => `listing ${state.ref.key}`)
  }

  /** The peer's shared folder went away, or came back: hold its files meanwhile, then ask again. */
  private async folderState(state: PeerState, generation: number, present: boolean): Promise<void> {
    if (!this.options.tasks.live(state, generation) || state.folderAway === !present) return
    state.folderAway = !present
    this.options.touch(state.ref.id)
    if (!present) {
      // Attempts counted before the notice were the outage's doing, not the files'.
      state.paths.forgetAll('attempts')
      this.options.tasks.report('peer-folder-missing', `the shared folder of ${namedPeer(state)} is gone for now; its files come once it is back`, state.ref.key)
      return
    }
    this.options.onEvent({ type: 'peer-folder-restored', peer: state.ref.key, id: state.idText, name: state.name })
    const held = state.paths.takeHeld()
    for (const rel of held) await this.options.consider(state, generation, rel)
    // Said again once its mirror matches: the app drew the peer as waiting meanwhile.
    state.synced = false
    this.options.checkSynced(state)
  }

  /**
   * Asks for the list on the subscription's own connection, right behind SUBSCRIBE: no
   * second connection, and no wait for a worker (booting, connecting) before the first files are
   * known. A connection lost meanwhile subscribes and lists again (see subscribe).
   */
  private async list(state: PeerState, generation: number, session: PeerSession): Promise<void> {
    if (!this.options.tasks.live(state, generation) || state.listPending) return
    state.listPending = true
    state.synced = false
    const incoming = new ListedFiles(state.manifest.fold)
    state.incoming = { files: incoming }
    // A mirror that held nothing as the list began holds only what this list's jobs placed.
    const heldBefore = state.manifest.files.size > 0
    // A fresh list is a fresh chance for versions refused or outrun before.
    state.paths.forgetAll('refused')
    state.paths.forgetAll('outrun')
    this.options.touch(state.ref.id)
    const current = (): boolean => this.options.tasks.live(state, generation) && state.incoming?.files === incoming
    try {
      await session.fetchList((files, last) => {
        this.options.tasks.background(this.applyListPart(state, generation, incoming, files), () => `the list of ${state.ref.key}`)
        // From its last frame on, the list is the peer's truth: a push behind it (maybe in the same
        // read) is newer, and applies to it at once, in the order pushes come.
        if (last && current()) state.remote = incoming
      })
    } catch {
      if (!current()) return
      state.listPending = false
      state.incoming = null
      // Either way the connection is gone: the subscription's close mends it (and says a lie once).
      return
    }
    if (!current()) return
    state.listPending = false
    state.badLists.answered()
    await this.applyList(state, generation, incoming, heldBefore)
  }

  /**
   * One frame's worth of a peer's list. Files that differ from the mirror are queued at once: a
   * job needs only its own entry. What the list as a whole decides (deletions, strays) waits for
   * the last frame, in applyList.
   */
  private async applyListPart(state: PeerState, generation: number, incoming: ListedFiles, files: FileEntry[]): Promise<void> {
    if (!this.options.tasks.live(state, generation) || state.incoming?.files !== incoming) return
    const part: string[] = []
    for (const file of files) {
      if (!this.acceptable(state, file.path)) continue
      incoming.set(file.path, { path: file.path, version: file.version.toString('hex'), size: file.size, ...(file.snapshot ? { snapshot: true } : {}) })
      part.push(file.path)
    }
    this.options.touch(state.ref.id)
    for (const rel of byFolder(part)) {
      if (!this.options.tasks.live(state, generation) || state.incoming?.files !== incoming) return
      await this.options.consider(state, generation, rel, incoming)
    }
  }

  /**
   * The last frame has come: the list is the peer's truth now. `heldBefore`: the mirror held
   * files when the list began.
   */
  private async applyList(state: PeerState, generation: number, remote: ListedFiles, heldBefore: boolean): Promise<void> {
    state.incoming = null
    state.remote = remote
    await this.options.removeDeleted(state, [...state.manifest.files.keys()].filter((rel) => !remote.has(rel)))
    // Whatever changed in the mirror while no guard watched it (the peer away, or the list on
    // its way) is found now, one lstat per file, and fetched before the peer is called synced.
    // A mirror empty when the list began holds only this list's own writes: like those placed
    // after its last frame, the guard's first look checks them once the peer is synced.
    if (!state.guard && heldBefore) await this.options.repairs.repair(state, [''])
    this.options.repairs.listArrived(state)
    this.options.repairs.straysRemoved(state, await this.options.files.removeStrays(state, remote))
    // Most files were queued as their frames came; this catches what could not be then. A file
    // whose job is under way is considered again when it ends.
    for (const rel of byFolder(remote.keys())) {
      if (!this.options.tasks.live(state, generation)) return
      if (!state.paths.isPending(rel)) await this.options.consider(state, generation, rel)
    }
    // Every file the folder held unrecorded has had its check.
    state.probeDisk = false
    this.options.checkSynced(state)
  }

  private async applyChanges(state: PeerState, generation: number, changes: IndexChange[]): Promise<void> {
    if (!this.options.tasks.live(state, generation)) return
    // Before the first list is complete: that list, asked for on this connection after the
    // subscription, holds these changes already (pushes never pass a reply, PROTOCOL.md §12.4).
    if (!state.remote) return
    // A re-announcement of what the mirror holds (a folder back) changes nothing: no new peer-synced.
    const mirror = state.manifest.files
    const differs = changes.some((c) => (c.op === 'delete' ? mirror.has(c.path) : mirror.get(c.path)?.version !== c.version.toString('hex')))
    if (differs) state.synced = false
    const deleted = new Set<string>()
    const upserts: string[] = []
    for (const change of changes) {
      if (!this.acceptable(state, change.path)) continue
      if (change.op === 'delete') {
        // A spelling this disk could not hold beside the deleted one gets its chance now.
        for (const other of state.remote instanceof ListedFiles ? state.remote.spellingsOf(change.path) : []) {
          state.paths.forget(other, 'refused')
          upserts.push(other)
        }
        state.remote.delete(change.path)
        deleted.add(change.path)
      } else {
        // A new announcement is a new chance, even for a version refused before (an honest
        // peer whose file changed under a transfer looks like a liar once).
        state.paths.forget(change.path, 'refused')
        state.paths.forget(change.path, 'outrun')
        state.paths.forget(change.path, 'attempts')
        const version = change.version.toString('hex')
        const was = state.remote.get(change.path)
        state.remote.set(change.path, { path: change.path, version, size: change.size, ...(change.snapshot ? { snapshot: true } : {}) })
        // The snapshot the mirror holds turned out to be the file's last version: said as whole now.
        if (was?.snapshot && !change.snapshot && was.version === version && mirror.get(change.path)?.version === version) {
          state.synced = false
          this.options.onEvent({ type: 'file-synced', peer: state.ref.key, path: change.path, bytes: change.size, transferred: 0, version })
        }
        deleted.delete(change.path)
        state.gathering.remove(change.path)
        upserts.push(change.path)
      }
    }
    this.options.touch(state.ref.id)
    // A rename arrives as delete + upsert of the same content (the delete maybe in an earlier
    // batch, still gathered): move the file we have. The deleted paths are looked up by content,
    // so moving a folder of n files costs n lookups, not n².
    const deletedByVersion = new Map<string, string[]>()
    for (const rel of [...deleted, ...state.gathering.gathered()]) {
      const version = state.manifest.files.get(rel)?.version
      if (version === undefined || state.paths.isPending(rel)) continue
      const paths = deletedByVersion.get(version)
      if (paths) paths.push(rel)
      else deletedByVersion.set(version, [rel])
    }
    for (const rel of upserts) {
      const want = state.remote.get(rel)
      if (!want || state.manifest.files.get(rel)?.version === want.version || state.paths.isPending(rel)) continue
      const from = deletedByVersion.get(want.version)?.pop()
      // Moves take turns: a push between them may have put `from` back, and then it stays (`rel` is copied from it).
      if (from && !state.remote?.has(from) && (await this.options.files.renameLocal(state, from, rel))) {
        deleted.delete(from)
        state.gathering.remove(from)
        // Put back while it was moving: brought again (copied from where it went).
        if (state.remote?.has(from)) await this.options.consider(state, generation, from)
      }
    }
    for (const rel of upserts) await this.options.consider(state, generation, rel)
    state.gathering.add([...deleted].filter((rel) => !state.paths.isPending(rel)))
    this.options.checkSynced(state)
  }

  /** A burst of pushed deletions, gathered: those the peer still has deleted are judged as one. */
  async applyGathered(state: PeerState, paths: string[]): Promise<void> {
    if (!this.options.tasks.live(state, state.generation) || !state.remote) return
    const remote = state.remote
    await this.options.removeDeleted(state, paths.filter((rel) => !remote.has(rel) && !state.paths.isPending(rel)))
    this.options.checkSynced(state)
  }

  /**
   * A peer path we refuse to mirror gets one clear error, and the rest goes on. The path rules
   * alone decide (a path that passes them cannot leave the folder; `consider` still checks the
   * joined path before any job): this runs for every entry of a list frame before its first job.
   */
  private acceptable(state: PeerState, rel: string): boolean {
    const problem = relativePathProblem(rel)
    if (!problem) return true
    this.options.tasks.report('bad-path', `${namedPeer(state)} offered ${JSON.stringify(rel.slice(0, 200))}: ${problem}; ignored`)
    return false
  }
}

/**
 * Orders paths folder by folder: the small files of a batch then share a folder, and the batch
 * goes to the worker that owns it (worker-pool.ts), while the batches of other folders spread
 * over the other workers.
 */
function byFolder(paths: Iterable<string>): string[] {
  const folders = new Map<string, string[]>()
  for (const rel of paths) {
    const folder = rel.slice(0, Math.max(0, rel.lastIndexOf('/')))
    const list = folders.get(folder)
    if (list) list.push(rel)
    else folders.set(folder, [rel])
  }
  return [...folders.values()].flat()
}
