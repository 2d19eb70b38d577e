// Feeds the stores: subscribes to the event stream first, then loads the snapshot, then applies
// only the events newer than it; batches what arrives per animation frame. Unsubscribes when the
// component that called it unmounts.
import { onUnmounted, ref } from 'vue'
import type { AppEvent } from '../../../shared/contract'
import { api } from '../bridge/api'
import { useActivityStore } from '../stores/activity'
import { useControlStore } from '../stores/control'
import { useEngineStore } from '../stores/engine'
import { useHistoryStore } from '../stores/history'
import { useFoldersStore } from '../stores/folders'
import { usePeersStore } from '../stores/peers'
import { useTransfersStore } from '../stores/transfers'
import { createFrameBatcher } from './frame-batcher'

export function useLiveEvents(frame?: (callback: () => void) => unknown) {
  const engine = useEngineStore()
  const peers = usePeersStore()
  const transfers = useTransfersStore()
  const activity = useActivityStore()
  const control = useControlStore()
  const folders = useFoldersStore()
  const history = useHistoryStore()
  const loaded = ref(false)
  const loadError = ref<string | null>(null)

  let snapshotSeq: number | null = null
  const early: AppEvent[] = []
  const batcher = createFrameBatcher<AppEvent>((events) => {
    engine.apply(events)
    peers.apply(events)
    transfers.apply(events)
    folders.apply(events)
    activity.apply(events)
    control.apply(events)
    history.apply(events)
  }, frame)

  const stopEvents = api().onEvents((batch) => {
    if (snapshotSeq === null) early.push(...batch)
    else batcher.push(batch)
  })
  const stopDisconnect = api().onDisconnect(() => {
    engine.markDisconnected()
    // With the app gone, who is online is unknown: nobody is drawn as online any more.
    peers.markAllOffline()
  })

  api()
    .getSnapshot()
    .then((snapshot) => {
      engine.load(snapshot.status)
      peers.load(snapshot.peers)
      transfers.load(snapshot)
      activity.load(snapshot.recent, snapshot.at)
      control.load(snapshot.control)
      folders.load(snapshot.folders)
      snapshotSeq = snapshot.seq
      batcher.push(early.splice(0).filter((event) => event.seq > snapshot.seq))
      loaded.value = true
    })
    .catch((error: unknown) => {
      loadError.value = error instanceof Error ? error.message : String(error)
    })

  onUnmounted(() => {
    stopEvents()
    stopDisconnect()
    batcher.stop()
  })

  return { loaded, loadError, flush: () => batcher.flush() }
}
