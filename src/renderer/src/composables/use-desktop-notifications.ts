// Shows a desktop notification for the events that need the user (src/shared/notifications.ts),
// when Notify me is on and main does not show them itself (the desktop app does, natively).
// Only live events: a window that opens does not replay old ones.
import { onUnmounted } from 'vue'
import type { AppEvent } from '../../../shared/contract'
import { notificationFor, type NotificationText } from '../../../shared/notifications'
import { api } from '../bridge/api'
import { showBrowserNotification } from '../browser-notifications'
import { useSettingsStore } from '../stores/settings'

export function useDesktopNotifications(show: (text: NotificationText) => void = showBrowserNotification): void {
  const settings = useSettingsStore()
  const stop = api().onEvents((batch: AppEvent[]) => {
    const state = settings.saved
    if (!state || state.nativeNotifications || !state.settings.notify) return
    // One per kind and peer per batch: a burst must not stack a pile of the same notice.
    const shown = new Set<string>()
    for (const event of batch) {
      const text = notificationFor(event)
      if (!text || shown.has(text.tag)) continue
      shown.add(text.tag)
      show(text)
    }
  })
  onUnmounted(stop)
}
