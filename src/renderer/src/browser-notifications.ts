// The page's side of desktop notifications: the Web Notifications API, which needs the user's
// permission and a secure page (https, or this machine's own 127.0.0.1 / localhost).
import type { NotificationText } from '../../shared/notifications'

export type NotifyPermission = 'granted' | 'denied' | 'default' | 'unsupported'

function api(): typeof Notification | undefined {
  return (globalThis as { Notification?: typeof Notification }).Notification
}

export function notificationPermission(): NotifyPermission {
  const N = api()
  return N ? N.permission : 'unsupported'
}

/** Asks once (browsers only ask while the answer is 'default'); returns the answer. */
export async function askNotificationPermission(): Promise<NotifyPermission> {
  const N = api()
  if (!N) return 'unsupported'
  if (N.permission !== 'default') return N.permission
  return N.requestPermission()
}

export function showBrowserNotification(text: NotificationText): void {
  const N = api()
  if (!N || N.permission !== 'granted') return
  new N(text.title, { body: text.body, tag: text.tag })
}
