// The port a client serves its folder on. It speaks the handshake and the heartbeat; the folder
// requests (GET_FILE_LIST, GET_FILE) belong to the mirroring work and are refused until then.
import type { Server, Socket } from 'node:net'
import type { EventSink } from '../../../shared/events'
import { Connection } from '../net/connection'
import { closeServer, listen } from '../net/listen'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_QUEUE_BYTES } from '../defaults'

export interface PeerListenerOptions {
  port: number
  host?: string
  nodeId: Buffer
  onEvent: EventSink
}

export class PeerListener {
  private server: Server | null = null
  private readonly connections = new Set<Connection>()

  constructor(private readonly options: PeerListenerOptions) {}

  async start(): Promise<{ host: string; port: number }> {
    const { server, host, port } = await listen((socket) => this.accept(socket), this.options.port, this.options.host)
    this.server = server
    return { host, port }
  }

  async stop(): Promise<void> {
    const closing = this.server ? closeServer(this.server) : Promise.resolve()
    for (const connection of this.connections) connection.close()
    for (const connection of this.connections) connection.socket.destroy()
    await closing
  }

  private accept(socket: Socket): void {
    const connection = new Connection(socket, {
      side: 'acceptor',
      role: 'client',
      nodeId: this.options.nodeId,
      heartbeatMs: DEFAULT_HEARTBEAT_MS,
      helloTimeoutMs: DEFAULT_HELLO_TIMEOUT_MS,
      maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
    })
    this.connections.add(connection)
    connection.on('message', (message) => {
      connection.sendError('unexpected-message', `${message.type} is not a request a client answers`)
    })
    connection.on('close', (info) => {
      this.connections.delete(connection)
      if (info.code && info.reason !== 'remote-error') {
        this.options.onEvent({ type: 'error', code: info.code, message: `${connection.remote}: ${info.message ?? info.reason}` })
      }
    })
  }
}
