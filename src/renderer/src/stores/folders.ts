// Where this machine's shared folder and each peer's mirror stand, and the large files being
// hashed before peers can hear of them: folded from the events by the reducer main uses,
// published once per batch. Also which peer's list of what is still to come is open.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { AppEvent, FolderStates, FolderStateView, MirrorStateView } from '../../../shared/contract'
import type { PreparingFile } from '../../../shared/events'
import { applyFolderStateEvent, createFolderStateTable, loadFolderStates } from '../../../shared/live/folder-states'

export const useFoldersStore = defineStore('folders', () => {
  const table = createFolderStateTable()
  const own = shallowRef<FolderStateView | null>(null)
  /** By peer (`ip:port`). */
  const mirrors = shallowRef<ReadonlyMap<string, MirrorStateView>>(new Map())
  const preparing = shallowRef<readonly PreparingFile[]>([])
  /** The peer whose list of what is still to come is open, or null. */
  const toComeFor = ref<string | null>(null)

  function publish(): void {
    own.value = table.own
    mirrors.value = new Map(table.mirrors)
    preparing.value = table.preparing
  }

  function load(states: FolderStates): void {
    loadFolderStates(table, states)
    publish()
  }

  function apply(events: readonly AppEvent[]): void {
    let changed = false
    for (const event of events) changed = applyFolderStateEvent(table, event) || changed
    if (changed) publish()
  }

  function openToCome(peer: string): void {
    toComeFor.value = peer
  }

  function closeToCome(): void {
    toComeFor.value = null
  }

  return { own, mirrors, preparing, toComeFor, load, apply, openToCome, closeToCome }
})
