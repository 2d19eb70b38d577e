// Device names by the address events call a peer by (`ip:port`), learnt from the events that
// carry both: file events carry only the address, and lines about them should name the device.
import type { AppEvent } from '../contract'
import { formatEndpoint } from '../endpoint'
import type { EngineEvent } from '../events'

export class PeerNames {
  private readonly names = new Map<string, string>()

  learn(event: EngineEvent | AppEvent): void {
    if (event.type === 'peer-joined' || event.type === 'peer-left') {
      if (event.name) this.names.set(formatEndpoint(event.ip, event.port), event.name)
    } else if ('peer' in event && 'name' in event && event.peer && event.name) this.names.set(event.peer, event.name)
  }

  nameOf(peer: string): string | undefined {
    return this.names.get(peer)
  }
}
