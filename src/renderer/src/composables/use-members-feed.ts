// Keeps the members store current while a screen shows it: subscribes to the event stream first,
// then loads the list (the store keeps whichever is newer), and unsubscribes on unmount.
import { onUnmounted } from 'vue'
import { api } from '../bridge/api'
import { useMembersStore } from '../stores/members'

export function useMembersFeed(): void {
  const members = useMembersStore()
  const stop = api().onEvents((batch) => members.apply(batch))
  void members.load()
  onUnmounted(stop)
}
