// Reads a pasted invite as it is typed: main decodes it (SHA-256 is not the window's to do) and
// only the answer for the latest text is kept, so a slow reply never overwrites a newer one.
import { ref, watch, type Ref } from 'vue'
import type { DecodedInviteView } from '../../../shared/contract'
import { api } from '../bridge/api'

/** `again`: read the same text again when it changes (main's answer depends on the membership too). */
export function useInviteDecoder(text: Ref<string>, again: () => unknown = () => null) {
  const decoded = ref<DecodedInviteView | null>(null)
  let asked = 0

  watch(
    [text, again],
    async ([value]) => {
      const ticket = ++asked
      if (!value.trim()) {
        decoded.value = null
        return
      }
      try {
        const reply = await api().decodeInvite(value)
        if (ticket === asked) decoded.value = reply
      } catch {
        // Main gone: the banner says so; the field keeps what it showed.
      }
    },
    { immediate: true },
  )

  return { decoded }
}
