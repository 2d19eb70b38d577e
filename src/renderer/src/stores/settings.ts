// The Settings form: a draft the user edits, checked with the same schema main uses, saved through
// the bridge; what main refuses comes back by field and is shown next to it.
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import type { FolderField } from '../../../preload/api'
import type { SettingsState } from '../../../shared/contract'
import { candidateOf, checkSettings, DEFAULT_SETTINGS, draftOf, FIELDS_FOR_ROLE, type FieldErrors, type SettingsField } from '../../../shared/settings'
import { api } from '../bridge/api'

export const useSettingsStore = defineStore('settings', () => {
  const saved = ref<SettingsState | null>(null)
  const draft = reactive(draftOf(DEFAULT_SETTINGS))
  const errors = ref<FieldErrors>({})
  const saving = ref(false)
  const savedAt = ref<number | null>(null)
  const failure = ref<string | null>(null)

  const canChooseFolder = computed(() => saved.value?.canChooseFolder ?? false)
  const dirty = computed(() => {
    const current = saved.value ? draftOf(saved.value.settings) : null
    return !current || (Object.keys(current) as SettingsField[]).some((k) => current[k] !== draft[k])
  })

  // A message stays until its field is edited: then it no longer describes what is there.
  let shown = { ...draft }
  watch(draft, () => {
    const stale = (Object.keys(draft) as SettingsField[]).filter((field) => draft[field] !== shown[field] && errors.value[field])
    shown = { ...draft }
    if (!stale.length) return
    const next = { ...errors.value }
    for (const field of stale) delete next[field]
    errors.value = next
  }, { flush: 'sync' })

  function applies(field: SettingsField): boolean {
    return FIELDS_FOR_ROLE[draft.role].includes(field)
  }

  async function load(): Promise<void> {
    const state = await api().getSettings()
    saved.value = state
    Object.assign(draft, draftOf(state.settings))
    errors.value = state.errors
  }

  /** Checks here first (instant messages), then lets main check and apply. Returns true when saved. */
  async function save(): Promise<boolean> {
    failure.value = null
    const check = checkSettings(candidateOf(draft))
    if (!check.ok) {
      errors.value = check.errors
      return false
    }
    saving.value = true
    try {
      const reply = await api().saveSettings(check.settings)
      if (!reply.ok) {
        errors.value = reply.errors
        return false
      }
      saved.value = reply.state
      Object.assign(draft, draftOf(reply.state.settings))
      errors.value = {}
      savedAt.value = Date.now()
      return true
    } catch (error) {
      failure.value = error instanceof Error ? error.message : String(error)
      return false
    } finally {
      saving.value = false
    }
  }

  async function chooseFolder(field: FolderField): Promise<void> {
    const path = await api().chooseFolder(field)
    if (path) draft[field] = path
  }

  return { saved, draft, errors, saving, savedAt, failure, canChooseFolder, dirty, applies, load, save, chooseFolder }
})
