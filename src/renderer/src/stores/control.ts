// What the user paused and which mass deletes wait for a confirmation (folded from the events by
// the same reducer main uses), and the requests behind the buttons: Pause, Resume, Rescan now,
// Confirm and Open folder. Each button's answer is kept by what it was about, to show beside it.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { capitalized } from '../../../shared/capitalized'
import type { AppEvent, ControlRequestView, ControlView, OpenFolderReply } from '../../../shared/contract'
import { applyControlEvent, createControlView } from '../../../shared/live/control-state'
import { api } from '../bridge/api'

/** What a request was about: the whole client, a rescan, or the peer it names. */
export const WHOLE_CLIENT = ''
export const RESCAN = ' rescan'

export interface Answer {
  ok: boolean
  text: string
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export const useControlStore = defineStore('control', () => {
  const view = shallowRef<ControlView>(createControlView())
  /** Requests under way, by what they are about. */
  const busy = ref<Record<string, boolean>>({})
  /** The last answer to a control request, by what it was about. */
  const answers = ref<Record<string, Answer>>({})
  /** Open folder answers, by what it was about: a browser shows the path. */
  const folders = ref<Record<string, OpenFolderReply>>({})

  function load(next: ControlView): void {
    view.value = next
  }

  function apply(events: readonly AppEvent[]): void {
    let next = view.value
    for (const event of events) next = applyControlEvent(next, event)
    if (next !== view.value) view.value = next
  }

  async function send(request: ControlRequestView): Promise<void> {
    const about = request.command === 'rescan' ? RESCAN : (request.peer ?? WHOLE_CLIENT)
    busy.value = { ...busy.value, [about]: true }
    try {
      const reply = await api().control(request)
      answers.value = { ...answers.value, [about]: reply.ok ? { ok: true, text: capitalized(reply.message) } : { ok: false, text: reply.error } }
    } catch (error) {
      answers.value = { ...answers.value, [about]: { ok: false, text: messageOf(error) } }
    } finally {
      busy.value = { ...busy.value, [about]: false }
    }
  }

  async function openFolder(peer: string | null): Promise<void> {
    const about = peer ?? WHOLE_CLIENT
    try {
      folders.value = { ...folders.value, [about]: await api().openFolder(peer) }
    } catch (error) {
      folders.value = { ...folders.value, [about]: { ok: false, error: messageOf(error) } }
    }
  }

  function closeFolder(peer: string | null): void {
    const { [peer ?? WHOLE_CLIENT]: _gone, ...rest } = folders.value
    folders.value = rest
  }

  return { view, busy, answers, folders, load, apply, send, openFolder, closeFolder }
})
