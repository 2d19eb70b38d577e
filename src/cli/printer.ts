// Turns engine events into output: readable lines, or with --json one JSON object per line on
// stdout and nothing else there. Diagnostics always go to stderr.
import { formatEndpoint } from '../shared/endpoint'
import type { EngineEvent, EventSink } from '../shared/events'

export function describe(event: EngineEvent): string {
  switch (event.type) {
    case 'ready':
      return `${event.role} listening on ${formatEndpoint(event.host, event.port)}`
    case 'registered':
      return `registered with the server ${event.server} as ${formatEndpoint(event.ip, event.port)}`
    case 'peer-joined':
      return `peer joined: ${formatEndpoint(event.ip, event.port)}`
    case 'peer-left':
      return `peer left: ${formatEndpoint(event.ip, event.port)} (${event.reason})`
    case 'server-lost':
      return `lost the server ${event.server}; reconnecting`
    case 'error':
      return `error ${event.code}: ${event.message}`
    case 'transfer-started':
      return `receiving ${event.peer} ${event.path} (${event.total} bytes)`
    case 'transfer-progress':
      return `  ${event.peer} ${event.path}: ${event.bytes}/${event.total} bytes`
    case 'transfer-failed':
      return `transfer failed: ${event.peer} ${event.path}: ${event.reason}`
    case 'file-synced':
      return `synced ${event.peer} ${event.path} (${event.bytes} bytes)`
    case 'file-removed':
      return `removed ${event.peer} ${event.path}`
    case 'peer-synced':
      return `mirror of ${event.peer} is up to date: ${event.files} files, ${event.bytes} bytes`
    case 'buffer':
      return `buffer ${event.used}/${event.capacity}`
    case 'workers':
      return `workers busy ${event.busy}/${event.total}`
  }
}

/** Live-state events for drawing (buffer, workers, progress ticks): too chatty to read as lines. */
const DRAWING_ONLY = new Set<EngineEvent['type']>(['buffer', 'workers', 'transfer-progress'])

export function createPrinter(json: boolean): EventSink {
  return (event) => {
    if (!json && DRAWING_ONLY.has(event.type)) return
    if (json) {
      process.stdout.write(`${JSON.stringify(event)}\n`)
    } else if (event.type === 'error') {
      process.stderr.write(`${describe(event)}\n`)
    } else {
      process.stdout.write(`${describe(event)}\n`)
    }
  }
}
