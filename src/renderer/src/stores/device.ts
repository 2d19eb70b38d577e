// This device's ID, made by main at the app's first start, or why it cannot be read.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { DeviceInfo } from '../../../shared/contract'
import { api } from '../bridge/api'

export const useDeviceStore = defineStore('device', () => {
  const info = ref<DeviceInfo | null>(null)
  const failure = ref<string | null>(null)

  async function load(): Promise<void> {
    try {
      info.value = await api().getDevice()
      failure.value = null
    } catch (error) {
      failure.value = error instanceof Error ? error.message : String(error)
    }
  }

  return { info, failure, load }
})
