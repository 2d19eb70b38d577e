// An on/off choice of the window's own (a panel left open or closed), kept in localStorage so it
// survives a reload. Storage may be refused (private windows, a full quota): then it lasts the session.
import { ref, watch, type Ref } from 'vue'

export function useStoredFlag(key: string, initial: boolean): Ref<boolean> {
  let stored: string | null = null
  try {
    stored = window.localStorage.getItem(key)
  } catch {
    stored = null
  }
  const flag = ref(stored === null ? initial : stored === 'true')
  watch(flag, (value) => {
    try {
      window.localStorage.setItem(key, String(value))
    } catch {
      // Not kept; the panel still opens and closes.
    }
  })
  return flag
}
