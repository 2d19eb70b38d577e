// One peer's connection to our folder: who it is, whether it subscribed, and the work owed to it
// (answers, pushes), done strictly in order. The requests waiting are bounded: past the bound the
// connection stops reading, so TCP holds the rest and a peer pipelining without end costs nothing.
import type { Connection } from '../net/connection'
import { MAX_WAITING_REQUEST_BYTES, MAX_WAITING_REQUESTS } from '../defaults'

export class FolderSession {
  /** The peer's announced `ip:port` and device ID (hex), once it is admitted. */
  peer: string | null = null
  peerId: string | null = null
  subscribed = false
  /** Everything owed to the peer, in order: each piece waits for the one before. */
  private queue: Promise<void> = Promise.resolve()
  private waiting = 0
  private waitingBytes = 0
  private holding = false

  constructor(readonly connection: Connection) {
    // A broken frame's ERROR waits for the answers to the requests before it.
    connection.whenAnswered = () => this.queue
  }

  /** Queues a request's answer (`bytes`: its frame's body). */
  request(bytes: number, answer: () => Promise<void>, failed: (error: unknown) => void): void {
    this.waiting++
    this.waitingBytes += bytes
    if (!this.holding && (this.waiting > MAX_WAITING_REQUESTS || this.waitingBytes > MAX_WAITING_REQUEST_BYTES)) {
      this.holding = true
      this.connection.hold()
    }
    this.after(async () => {
      try {
        await answer()
      } catch (error) {
        failed(error)
      }
      this.waiting--
      this.waitingBytes -= bytes
      // Half the bound before reading again: not a pause and a resume per request.
      if (this.holding && this.waiting <= MAX_WAITING_REQUESTS / 2 && this.waitingBytes <= MAX_WAITING_REQUEST_BYTES / 2) {
        this.holding = false
        this.connection.release()
      }
    })
  }

  /** Queues work behind everything owed so far (a push of changes); a failure ends the connection. */
  after(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch(() => this.connection.close())
  }
}
