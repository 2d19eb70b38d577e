// The typed bridge between the sandboxed renderer and main: one method per operation, nothing
// else. Operations are added here together with their contract in src/shared.
import { contextBridge } from 'electron'
import type { Api } from './api'

const api: Api = {
  platform: process.platform,
}

contextBridge.exposeInMainWorld('api', api)
