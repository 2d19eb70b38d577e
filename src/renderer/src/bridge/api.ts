// The one way the window reaches the main process. Read at call time, so tests can install a
// window.api of their own before mounting.
import type { Api } from '../../../preload/api'

export function api(): Api {
  return window.api
}
