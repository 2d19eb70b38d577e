// A client: its own listener first (so the port it announces is already open), then the link
// to the registry server. `stop()` logs off and closes both.
import { randomBytes } from 'node:crypto'
import type { EventSink } from '../../../shared/events'
import { PeerListener } from './peer-listener'
import { ServerLink } from './server-link'

export interface ClientNodeOptions {
  /** The shared folder (served by the mirroring work). */
  dir: string
  port: number
  host?: string
  serverHost: string
  serverPort: number
  advertiseHost?: string
  workers: number
  bufferSlots: number
  onEvent?: EventSink
}

export class ClientNode {
  readonly nodeId = randomBytes(16)
  private listener: PeerListener | null = null
  private link: ServerLink | null = null
  private readonly emit: EventSink

  constructor(private readonly options: ClientNodeOptions) {
    this.emit = options.onEvent ?? (() => {})
  }

  async start(): Promise<{ host: string; port: number }> {
    this.listener = new PeerListener({ port: this.options.port, host: this.options.host, nodeId: this.nodeId, onEvent: this.emit })
    const { host, port } = await this.listener.start()
    this.emit({ type: 'ready', role: 'client', host, port })
    this.link = new ServerLink({
      serverHost: this.options.serverHost,
      serverPort: this.options.serverPort,
      listenPort: port,
      // Listening on one specific address means that is the one to announce.
      advertiseHost: this.options.advertiseHost ?? specificHost(this.options.host),
      nodeId: this.nodeId,
      onEvent: this.emit,
    })
    this.link.start()
    return { host, port }
  }

  /** Other online clients as this client knows them. */
  get peers(): string[] {
    return this.link ? [...this.link.peers.keys()] : []
  }

  async stop(): Promise<void> {
    await this.link?.stop()
    await this.listener?.stop()
  }
}

function specificHost(host: string | undefined): string | undefined {
  return host && host !== '0.0.0.0' && host !== '::' ? host : undefined
}
