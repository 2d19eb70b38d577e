import type { Api } from './api'

declare global {
  interface Window {
    /** The bridge to the main process; see ./api.ts. */
    api: Api
  }
}

export {}
