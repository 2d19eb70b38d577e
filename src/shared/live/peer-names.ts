// Device names by the address events call a peer by (`ip:port`), learnt from the events that
// carry both: file events carry only the address, and lines about them should name the device.
import { formatEndpoint } from '../endpoint'
import type { EngineEvent } from '../events'

export class PeerNames {
  private readonly names = new Map<string, string>()

  learn(event: { type: string } & Partial<Record<'peer' | 'name' | 'ip', unknown>> & { port?: unknown }): void {
    if (typeof event.name !== 'string' || event.name === '') return
    if (event.type === 'peer-joined' || event.type === 'peer-left') {
      const { ip, port } = event as Extract<EngineEvent, { type: 'peer-joined' }>
      this.names.set(formatEndpoint(ip, port), event.name)
    } else if (typeof event.peer === 'string') this.names.set(event.peer, event.name)
  }

  nameOf(peer: string): string | undefined {
    return this.names.get(peer)
  }
}
