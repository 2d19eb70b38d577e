// The History screen: each peer's mirror and what its history keeps, one page at a time (newest
// first, "Show older" for more), and restoring a version into a folder the user picks.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppEvent, HistoryEntryView, HistoryMirrors } from '../../../shared/contract'
import { api } from '../bridge/api'

/** Versions asked for at a time: enough to scroll, few enough for a quick page. */
export const HISTORY_PAGE_SIZE = 100

/** How long after a peer's deletion or new version the open screen asks again (a burst is one ask). */
export const HISTORY_REFRESH_MS = 1000

export const useHistoryStore = defineStore('history', () => {
  const mirrors = shallowRef<HistoryMirrors | null>(null)
  const selected = ref<string | null>(null)
  const filter = ref('')
  const entries = shallowRef<HistoryEntryView[]>([])
  const total = ref(0)
  const more = ref(false)
  const loading = ref(false)
  /** Why the list cannot be shown (main's refusal, or the bridge failing). */
  const failure = ref<string | null>(null)
  const restoring = ref(false)
  const outcome = ref<string | null>(null)
  const restoreProblem = ref<string | null>(null)
  /** Answers to an older question (another mirror, another filter) are dropped. */
  let asked = 0
  /** Screens showing the history now: only they are kept up to date as peers delete and overwrite. */
  let shown = 0
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  const mirrorRoot = computed(() => (mirrors.value?.ok ? mirrors.value.mirrorRoot : null))

  async function loadMirrors(): Promise<void> {
    try {
      const next = await api().listHistoryMirrors()
      mirrors.value = next
      failure.value = next.ok ? null : next.message
      if (!next.ok) {
        selected.value = null
        return
      }
      const names = next.mirrors.map((m) => m.folder)
      if (selected.value === null || !names.includes(selected.value)) selected.value = next.mirrors.find((m) => m.versions > 0)?.folder ?? names[0] ?? null
    } catch (error) {
      failure.value = messageOf(error)
    }
  }

  /** The first page again, or (`older`) the page after the last entry shown. */
  async function loadPage(older = false): Promise<void> {
    const folder = selected.value
    const question = ++asked
    if (folder === null) {
      entries.value = []
      total.value = 0
      more.value = false
      return
    }
    const last = older ? entries.value.at(-1) : undefined
    loading.value = true
    try {
      const page = await api().listHistory({ folder, filter: filter.value, before: last ? { at: last.at, id: last.id } : null, limit: HISTORY_PAGE_SIZE })
      if (question !== asked) return
      if (!page.ok) {
        failure.value = page.message
        return
      }
      failure.value = null
      entries.value = older ? [...entries.value, ...page.entries] : page.entries
      total.value = page.total
      more.value = page.more
    } catch (error) {
      if (question === asked) failure.value = messageOf(error)
    } finally {
      if (question === asked) loading.value = false
    }
  }

  async function refresh(): Promise<void> {
    await loadMirrors()
    await loadPage()
  }

  /** The screen is shown (true) or left (false): while shown, what peers delete or overwrite appears by itself. */
  function showing(on: boolean): void {
    shown = Math.max(0, shown + (on ? 1 : -1))
    if (shown === 0 && refreshTimer) {
      clearTimeout(refreshTimer)
      refreshTimer = null
    }
  }

  /**
   * Events from main: a mirror's file removed or replaced may have put a version in its history.
   * Asked again once things are quiet for a moment, and only on the first page (a user reading
   * older ones keeps their place; Refresh is theirs).
   */
  function apply(events: readonly AppEvent[]): void {
    if (shown === 0 || !events.some((e) => e.type === 'file-removed' || e.type === 'file-synced')) return
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      if (shown > 0 && entries.value.length <= HISTORY_PAGE_SIZE) void refresh()
    }, HISTORY_REFRESH_MS)
  }

  async function select(folder: string): Promise<void> {
    selected.value = folder
    await loadPage()
  }

  /** Restores `entry` into `to`; true when it was. */
  async function restore(entry: HistoryEntryView, to: string): Promise<boolean> {
    const folder = selected.value
    outcome.value = null
    restoreProblem.value = null
    if (!to.trim()) {
      restoreProblem.value = 'Choose the folder to restore into.'
      return false
    }
    if (folder === null) return false
    restoring.value = true
    try {
      const reply = await api().restoreHistory(folder, entry.id, to.trim())
      if (!reply.ok) {
        restoreProblem.value = reply.message
        return false
      }
      outcome.value = reply.renamed
        ? `Restored ${entry.path} as ${reply.path}: a file of its name was there, and is left as it was.`
        : `Restored ${entry.path} to ${reply.path}.`
      return true
    } catch (error) {
      restoreProblem.value = messageOf(error)
      return false
    } finally {
      restoring.value = false
    }
  }

  return { mirrors, selected, filter, entries, total, more, loading, failure, restoring, outcome, restoreProblem, mirrorRoot, loadMirrors, loadPage, refresh, select, restore, showing, apply }
})

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
