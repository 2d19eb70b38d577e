// The event stream, newest first, with a filter by kind and by text. Keeps a bounded history;
// the screen shows the newest entries that match.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppEvent } from '../../../shared/contract'
import { isActivity } from '../../../shared/live/activity'
import { categoryOf, describeEvent, type ActivityCategory } from '../describe-event'

export interface ActivityEntry {
  seq: number
  at: number
  category: ActivityCategory
  text: string
}

const KEEP = 5000
export const SHOWN = 300

export const useActivityStore = defineStore('activity', () => {
  /** Oldest first, as they came. */
  let history: ActivityEntry[] = []
  const entries = shallowRef<ActivityEntry[]>([])
  const category = ref<ActivityCategory | 'all'>('all')
  const query = ref('')

  const matching = computed(() => {
    const needle = query.value.trim().toLowerCase()
    const wanted = category.value
    const found: ActivityEntry[] = []
    // Newest first, stopping once the screen is full.
    for (let i = entries.value.length - 1; i >= 0 && found.length < SHOWN; i--) {
      const entry = entries.value[i]!
      if (wanted !== 'all' && entry.category !== wanted) continue
      if (needle && !entry.text.toLowerCase().includes(needle)) continue
      found.push(entry)
    }
    return found
  })
  const total = computed(() => entries.value.length)

  function toEntry(event: AppEvent): ActivityEntry {
    return { seq: event.seq, at: event.at, category: categoryOf(event), text: describeEvent(event) }
  }

  function load(recent: readonly AppEvent[]): void {
    history = recent.filter(isActivity).map(toEntry)
    entries.value = history.slice()
  }

  function apply(events: readonly AppEvent[]): void {
    let added = false
    for (const event of events) {
      if (!isActivity(event)) continue
      history.push(toEntry(event))
      added = true
    }
    if (!added) return
    if (history.length > KEEP * 1.2) history = history.slice(-KEEP)
    entries.value = history.slice()
  }

  return { entries, category, query, matching, total, load, apply }
})
