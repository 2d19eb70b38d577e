// What the engine is doing (role, running or why not, where it listens), and whether the main
// process still answers.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { AppEvent, EngineStatus } from '../../../shared/contract'
import { formatEndpoint } from '../../../shared/endpoint'

export const useEngineStore = defineStore('engine', () => {
  const status = ref<EngineStatus | null>(null)
  const disconnected = ref(false)

  const role = computed(() => status.value?.role ?? null)
  const running = computed(() => status.value?.state === 'running')
  /** Where other machines reach this one: `address:port` for each address the machine has. */
  const reachableAt = computed(() => {
    const s = status.value
    if (!s?.listening) return []
    const addresses = s.addresses.length ? s.addresses : ['127.0.0.1']
    return addresses.map((address) => formatEndpoint(address, s.listening!.port))
  })

  function load(next: EngineStatus): void {
    status.value = next
  }

  function apply(events: readonly AppEvent[]): void {
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i]!
      if (event.type === 'status') {
        status.value = event.status
        return
      }
    }
  }

  function markDisconnected(): void {
    disconnected.value = true
  }

  return { status, disconnected, role, running, reachableAt, load, apply, markDisconnected }
})
