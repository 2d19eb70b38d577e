// The event stream, newest first, with a filter by kind and by text. A peer's burst of files is
// one entry (growing while it lasts, its files kept to look through), folded by the same
// summarizer as the terminal's. Keeps a bounded history; the screen shows the newest that match.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppEvent } from '../../../shared/contract'
import { isActivity } from '../../../shared/live/activity'
import { describeBurst, describeBurstProgress } from '../../../shared/live/burst-text'
import { BurstSummarizer, DEFAULT_BURST_OPTIONS, type Burst, type BurstOptions, type BurstOutput, type BurstPath } from '../../../shared/live/bursts'
import { categoryOf, describeEvent, type ActivityCategory } from '../describe-event'

export interface ActivityEntry {
  /** Unique: `e` and the event's seq, or `b` and the burst's id. */
  key: string
  at: number
  category: ActivityCategory
  text: string
  /** A summarised burst: the files it kept (the first few hundred), how many more, and whether it is still going. */
  burst?: { paths: BurstPath[]; more: number; going: boolean }
}

const KEEP = 5000
export const SHOWN = 300

/** As the terminal's, but an entry still going is brought up to date every second. */
export const ACTIVITY_BURSTS: BurstOptions = { ...DEFAULT_BURST_OPTIONS, progressEveryMs: 1000 }

function eventEntry(event: AppEvent, bursts: BurstSummarizer<AppEvent>): ActivityEntry {
  // File lines name the device as its join line did: the summarizer has learnt the names.
  return { key: `e${event.seq}`, at: event.at, category: categoryOf(event), text: describeEvent(event, (peer) => bursts.nameOf(peer)) }
}

function burstEntry(burst: Burst, going: boolean): ActivityEntry {
  return {
    key: `b${burst.id}`,
    at: burst.lastAt,
    category: 'transfers',
    text: going ? describeBurstProgress(burst) : describeBurst(burst),
    burst: { paths: burst.paths, more: burst.morePaths, going },
  }
}

function matches(entry: ActivityEntry, needle: string): boolean {
  if (entry.text.toLowerCase().includes(needle)) return true
  return entry.burst?.paths.some((file) => file.path.toLowerCase().includes(needle)) ?? false
}

export const useActivityStore = defineStore('activity', () => {
  /** Oldest first, as they came (a burst where it first showed). */
  let history: ActivityEntry[] = []
  const entries = shallowRef<ActivityEntry[]>([])
  const category = ref<ActivityCategory | 'all'>('all')
  const query = ref('')
  let bursts = new BurstSummarizer<AppEvent>(ACTIVITY_BURSTS)
  /** Entries of bursts still going, by burst id: the next report replaces its entry in place. */
  const going = new Map<number, ActivityEntry>()
  /** Main's clock minus ours: events carry main's time, and the bursts are timed by it. */
  let skew = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  let timerDue = Infinity

  const matching = computed(() => {
    const needle = query.value.trim().toLowerCase()
    const wanted = category.value
    const found: ActivityEntry[] = []
    // Newest first, stopping once the screen is full.
    for (let i = entries.value.length - 1; i >= 0 && found.length < SHOWN; i--) {
      const entry = entries.value[i]!
      if (wanted !== 'all' && entry.category !== wanted) continue
      if (needle && !matches(entry, needle)) continue
      found.push(entry)
    }
    return found
  })
  const total = computed(() => entries.value.length)

  /** Adds what the summarizer lets out; returns whether anything changed. */
  function take(outputs: BurstOutput<AppEvent>[]): boolean {
    let changed = false
    for (const output of outputs) {
      if (output.kind === 'event') {
        if (!isActivity(output.event)) continue
        history.push(eventEntry(output.event, bursts))
      } else {
        const entry = burstEntry(output.burst, output.kind === 'progress')
        const shown = going.get(output.burst.id)
        const at = shown ? history.lastIndexOf(shown) : -1
        if (at >= 0) history[at] = entry
        else history.push(entry)
        if (output.kind === 'progress') going.set(output.burst.id, entry)
        else going.delete(output.burst.id)
      }
      changed = true
    }
    return changed
  }

  function publish(): void {
    if (history.length > KEEP * 1.2) history = history.slice(-KEEP)
    entries.value = history.slice()
  }

  function now(): number {
    return Date.now() + skew
  }

  /** One timer, for the earliest burst due; news that makes it due later leaves it to fire early and re-arm. */
  function schedule(): void {
    const due = bursts.nextDue()
    if (due === null || (timer && due >= timerDue)) return
    if (timer) clearTimeout(timer)
    timerDue = due
    timer = setTimeout(fire, Math.max(0, due - now()))
  }

  function fire(): void {
    timer = null
    timerDue = Infinity
    if (take(bursts.tick(now()))) publish()
    schedule()
  }

  /** Starts over from main's recent events; `at` is main's time when it took them. */
  function load(recent: readonly AppEvent[], at = Date.now()): void {
    skew = at - Date.now()
    bursts = new BurstSummarizer<AppEvent>(ACTIVITY_BURSTS)
    going.clear()
    history = []
    // Each event at its own time, as the live feed would have had it: a burst ends where it ended,
    // not after every later event.
    for (const event of recent) {
      take(bursts.tick(event.at))
      take(bursts.push(event, event.at))
    }
    // Bursts that were over before the window opened end now.
    take(bursts.tick(now()))
    publish()
    schedule()
  }

  function apply(events: readonly AppEvent[]): void {
    let changed = false
    for (const event of events) changed = take(bursts.push(event, event.at)) || changed
    const last = events.at(-1)
    if (last) skew = last.at - Date.now()
    if (changed) publish()
    schedule()
  }

  return { entries, category, query, matching, total, load, apply }
})
