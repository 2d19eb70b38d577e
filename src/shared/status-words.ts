// The engine's status in words, the same in the app's Activity and the headless app's terminal
// lines. A machine not set up has no role yet: the one in its settings is only the form's default.
import type { EngineStatus } from './contract/engine-status'

export function statusWords(status: Pick<EngineStatus, 'role' | 'state' | 'message'>): string {
  const { role, state, message } = status
  const why = message ? `: ${message}` : ''
  if (state === 'unconfigured') return `Not set up${why}`
  return `${role === 'server' ? 'Server' : 'Client'} ${state}${why}`
}
