// A mirror that is whole is watched (mirror-guard.ts): a file changed on disk by hand, which the
// manifest still counts as placed, leaves the manifest and is brought again.
import type { Stats } from 'node:fs'
import path from 'node:path'
import { isFolderAt, lstatOrWhy } from '../folder/lstat-or-why'
import type { HandEdits } from './hand-edits'
import { MirrorGuard } from './mirror-guard'
import { asPlaced, type MirrorManifest } from './mirror-manifest'
import { pathInMirror } from './mirror-path'
import type { MirrorTasks } from './mirror-tasks'
import { wayIsReal } from './mirror-way'
import { namedPeer, type PeerState } from './peer-state'

export interface MirrorRepairOptions {
  tasks: MirrorTasks
  /** Where a file edited by hand is kept (or weighed, history off) before it is put back. */
  handEdits: HandEdits
  /** How often each watched mirror is looked at whole (see MirrorGuard). */
  rescanEveryMs?: number
  /** Acts on what reconcile.ts decides for `rel` (the coordinator's consider). */
  consider: (state: PeerState, generation: number, rel: string) => Promise<void>
  checkSynced: (state: PeerState) => void
}

/** A mirror file changed by hand, linked into the history or aside (`kept`, null if it could not be) before it is put back. */
interface HandEdit {
  rel: string
  kept: string | null
  /** The version placed there. */
  version: string
}

export class MirrorRepair {
  /** Files found changed as the client started, kept until the peer's list tells an edit from its own newer version. */
  private readonly changedWhileStopped = new WeakMap<PeerState, HandEdit[]>()

  constructor(private readonly options: MirrorRepairOptions) {}

  /**
   * The record just loaded found files changed on disk since they were placed: linked aside now,
   * before the peer's list has them fetched over, and told of once the list is in (listArrived).
   */
  keepChangedWhileStopped(state: PeerState): void {
    const found = state.manifest.changedWhileStopped
    state.manifest.changedWhileStopped = new Map()
    const edits = this.changedWhileStopped.get(state) ?? []
    for (const [rel, version] of found) {
      const where = pathInMirror(state.ref.folder, rel)
      if ('problem' in where || !wayIsReal(where.path, state.ref.folder)) continue
      edits.push({ rel, kept: this.options.handEdits.link(state.ref.folder, where.path), version })
    }
    if (edits.length > 0) this.changedWhileStopped.set(state, edits)
  }

  /** The peer's whole list is in: what changed while the client was stopped is weighed against it and told. */
  listArrived(state: PeerState): void {
    const edits = this.changedWhileStopped.get(state)
    if (!edits) return
    this.changedWhileStopped.delete(state)
    // Bytes the peer lists now are its own version, placed just before a crash lost the record of it.
    this.options.tasks.background(this.tellEdits(state, edits, (edit, version) => state.remote?.get(edit.rel)?.version === version), () => `keeping what changed in the mirror of ${state.ref.key}`)
  }

  /** Watches the peer's mirror from now on (until the peer leaves: see the coordinator's detach). */
  watch(state: PeerState): void {
    const { tasks } = this.options
    const guard = new MirrorGuard(state.ref.folder, {
      suspect: (paths, unwatched, looked) => tasks.background(this.repair(state, paths, unwatched, looked), () => `repairing the mirror of ${state.ref.key}`),
      problem: (message) => tasks.report('watch-failed', `watching the mirror of ${namedPeer(state)}: ${message}`, state.ref.key),
    }, { rescanEveryMs: this.options.rescanEveryMs })
    state.guard = guard
    tasks.background(guard.start(), () => `watching the mirror of ${state.ref.key}`)
  }

  /**
   * Paths in a mirror that changed on disk: a mirrored file at or below one of them that is no
   * longer as it was placed (edited, deleted, moved away by hand) leaves the manifest and is
   * brought again, fetched or copied from another that holds its content. What was put in the
   * mirror by hand stays until the peer's next list, which removes strays. Below `unwatched`
   * folders (watched only now), every mirrored file is looked at. `looked`: paths the guard has
   * just looked at, as it found them (a later change raises an event of its own).
   */
  async repair(state: PeerState, paths: string[], unwatched: string[] = [], looked = new Map<string, Stats | 'absent' | 'unreadable'>()): Promise<void> {
    const found = this.damaged(state, paths, unwatched, looked)
    if (found.length === 0) return
    const damaged = found.map((d) => d.rel)
    // Edited bytes are the user's: linked aside before anything is fetched over them.
    const edits: HandEdit[] = []
    for (const { rel, edited } of found) {
      if (edited) edits.push({ rel, kept: this.options.handEdits.link(state.ref.folder, edited), version: state.manifest.files.get(rel)!.version })
    }
    // All out of the manifest first: none is then taken for a good local copy of another.
    for (const rel of damaged) state.manifest.delete(rel)
    state.synced = false
    for (const rel of damaged) await this.options.consider(state, state.generation, rel)
    this.options.checkSynced(state)
    await this.tellEdits(state, edits)
  }

  /**
   * Files put in the mirror by hand, removed by the peer's list (mirror-files.ts's removeStrays):
   * kept unless their bytes are a version the peer lists (a copy of its file: nothing lost).
   */
  straysRemoved(state: PeerState, strays: { rel: string; kept: string | null }[]): void {
    if (strays.length === 0) return
    this.options.tasks.background(this.tellStrays(state, strays), () => `keeping what was put in the mirror of ${state.ref.key}`)
  }

  private async tellStrays(state: PeerState, strays: { rel: string; kept: string | null }[]): Promise<void> {
    const listed = new Set([...(state.remote?.values() ?? [])].map((entry) => entry.version))
    const { told, notKept } = await this.weigh(state, strays, (_stray, version) => listed.has(version), 'deleted')
    if (told.length === 0) return
    const what =
      told.length === 1
        ? `${told[0]} in the mirror of ${namedPeer(state)}, a file the peer does not have (put there by hand, or left from before), is removed`
        : `${told.length} files in the mirror of ${namedPeer(state)} that the peer does not have (put there by hand, or left from before) are removed (${firstFew(told)})`
    this.options.tasks.report('mirror-edited', `${what}: a mirror holds only its peer's files; ${this.whereKept(state, told, notKept)}. Put your own files in your own folder.`, state.ref.key)
  }

  /** Where what was written in a mirror went, for the line that says it. */
  private whereKept(state: PeerState, rels: string[], notKept: number): string {
    const root = path.dirname(state.ref.folder)
    if (notKept === 0) {
      return rels.length === 1
        ? `what was written here is kept in the mirror history (dropbox-sync history restore ${rels[0]} --to FOLDER --mirror ${root})`
        : `what was written here is kept in the mirror history (dropbox-sync history list --mirror ${root})`
    }
    return this.options.handEdits.history.enabled ? 'what was written here could not be kept in the mirror history' : 'the mirror history is off (--keep-days 0), so what was written here is not kept'
  }

  /** One line for the files edited by hand in one look: they are put back, and where what was written went. */
  private async tellEdits(state: PeerState, edits: HandEdit[], alsoPeers: (edit: HandEdit, version: string) => boolean = () => false): Promise<void> {
    const { told, notKept } = await this.weigh(state, edits, (edit, version) => version === edit.version || alsoPeers(edit, version))
    if (told.length === 0) return
    const what = told.length === 1 ? `${told[0]} in the mirror of ${namedPeer(state)} was changed here` : `${told.length} files in the mirror of ${namedPeer(state)} were changed here (${firstFew(told)})`
    const back = `a mirror holds its peer's files as the peer has them, so ${told.length === 1 ? 'it is' : 'they are'} put back`
    this.options.tasks.report('mirror-edited', `${what}: ${back}; ${this.whereKept(state, told, notKept)}. To change a peer's file, copy it into your own folder.`, state.ref.key)
  }

  /**
   * Weighs each file linked aside (`kept`; null: it could not be) in turn: the paths to tell of, all
   * but those whose bytes are the peer's (`peers`), and how many of them could not be kept.
   */
  private async weigh<T extends { rel: string; kept: string | null }>(
    state: PeerState,
    items: T[],
    peers: (item: T, version: string) => boolean,
    reason?: 'overwritten' | 'deleted',
  ): Promise<{ told: string[]; notKept: number }> {
    const told: string[] = []
    let notKept = 0
    for (const item of items) {
      const outcome = item.kept === null ? 'not-kept' : await this.options.handEdits.settle(state.ref.folder, state.ref.key, item.rel, item.kept, (version) => peers(item, version), reason)
      if (outcome === 'same-bytes') continue
      told.push(item.rel)
      if (outcome === 'not-kept') notKept++
    }
    return { told, notKept }
  }

  /** The mirrored files at or below `paths` and `unwatched` that are not as they were placed. */
  private damaged(state: PeerState, paths: string[], unwatched: string[], looked: Map<string, Stats | 'absent' | 'unreadable'>): { rel: string; edited: string | null }[] {
    const mirrored = state.manifest.files
    const suspects = new Set<string>()
    /**
     * Folders with mirrored files below them that are gone (or made files: a user's doing, not
     * ours), or were not watched until now.
     */
    const whole = new Set(unwatched.filter((rel) => rel !== '' && mirrored.filesBelow(rel) > 0))
    for (const rel of paths) {
      // The disk's spelling of a name: on a disk that folds names, the manifest may hold another.
      const held = rel === '' ? undefined : state.manifest.holderOf(rel)
      if (rel === '') for (const file of mirrored.keys()) suspects.add(file)
      else if (held !== undefined) suspects.add(held)
      else if ((mirrored.filesBelow(rel) > 0 || state.manifest.fold) && !isFolderAt(path.join(state.ref.folder, rel))) {
        if (mirrored.filesBelow(rel) > 0) whole.add(rel)
        // On a disk that folds names, the folder's files may be spelled otherwise in the manifest.
        else for (const file of filesUnderSpelling(state.manifest, rel)) suspects.add(file)
      }
    }
    for (const folder of whole) for (const file of mirrored.filesUnder(folder)) suspects.add(file)
    // `edited`: the file's path when a regular file stands there with other bytes, or times, than placed.
    const damaged: { rel: string; edited: string | null }[] = []
    // The way to each folder is looked at once per call: its files are looked at in the same moment.
    const realWays = new Map<string, boolean>()
    const wayIsRealOnce = (target: string): boolean => {
      const parent = path.dirname(target)
      let real = realWays.get(parent)
      if (real === undefined) realWays.set(parent, (real = wayIsReal(target, state.ref.folder)))
      return real
    }
    for (const rel of suspects) {
      const entry = mirrored.get(rel)
      const where = pathInMirror(state.ref.folder, rel)
      // Only files the mirror is meant to hold as they are: one the peer no longer lists or has
      // changed is being removed, moved or replaced by this coordinator right now.
      if (!entry || state.paths.isPending(rel) || state.remote?.get(rel)?.version !== entry.version || 'problem' in where) continue
      const stats = looked.get(rel) ?? lstatOrWhy(where.path)
      // Not to be looked at now (no permission, an I/O error): no sign of damage either, nor is
      // the way to it, which cannot be followed then.
      if (stats === 'unreadable') continue
      // Seen through a link planted on the way, a file is not in the mirror, however it looks.
      if (!wayIsRealOnce(where.path)) {
        damaged.push({ rel, edited: null })
        continue
      }
      if (stats !== 'absent' && asPlaced(stats, entry)) continue
      damaged.push({ rel, edited: stats !== 'absent' && stats.isFile() ? where.path : null })
    }
    return damaged
  }
}

/** On a disk that folds names, the mirrored files below the folder `rel` however the manifest spells it (a pass over the manifest). */
function filesUnderSpelling(manifest: MirrorManifest, rel: string): string[] {
  const fold = manifest.fold!
  const prefix = `${fold(rel)}/`
  return [...manifest.files.keys()].filter((file) => fold(file).startsWith(prefix))
}

/** The first three paths, and an ellipsis if there are more. */
function firstFew(paths: string[]): string {
  return `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}`
}
