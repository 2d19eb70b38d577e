// What the user paused: the whole client, or single peers' mirrors, by device (a peer that comes
// back from another address is still paused). A local choice (peers are told nothing), kept
// across restarts in MIRROR/.dropbox-sync/paused.json, written atomically.
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../folder/atomic-write'

export const PAUSE_FILE = 'paused.json'

interface Saved {
  all: boolean
  /** Device IDs (hex); an `ip:port` of the first version waits there for its device. */
  peers: string[]
}

const DEVICE_HEX = /^[0-9a-f]{64}$/

export class PauseState {
  all = false
  /** Paused devices, by ID (hex). */
  readonly peers = new Set<string>()
  /** Peers the first version saved by address: the device next seen there takes the pause. */
  private readonly byAddress = new Set<string>()
  private saving: Promise<void> = Promise.resolve()

  constructor(private readonly file: string) {}

  /** What was paused when the client last ran; nothing if the file is missing or unreadable. */
  load(): void {
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Saved>
      this.all = saved.all === true
      for (const peer of Array.isArray(saved.peers) ? saved.peers : []) {
        if (typeof peer !== 'string') continue
        if (DEVICE_HEX.test(peer)) this.peers.add(peer)
        else this.byAddress.add(peer)
      }
    } catch {
      // Never paused, or a torn file: nothing is paused.
    }
  }

  /** A device announced at `address`: it takes a pause saved under that address; true if so (save then). */
  claim(address: string, id: string): boolean {
    if (!this.byAddress.delete(address)) return false
    this.peers.add(id)
    return true
  }

  isPaused(id: string): boolean {
    return this.all || this.peers.has(id)
  }

  /** Pauses the client (id undefined) or one device; false if it already was. */
  pause(id?: string): boolean {
    if (id === undefined) {
      if (this.all) return false
      this.all = true
    } else {
      if (this.peers.has(id)) return false
      this.peers.add(id)
    }
    return true
  }

  /** Resumes the client or one device; false if it was not paused. */
  resume(id?: string): boolean {
    if (id === undefined) {
      if (!this.all) return false
      this.all = false
    } else if (!this.peers.delete(id)) return false
    return true
  }

  /** Saved in order: the last change is the one on disk. */
  save(): Promise<void> {
    const data: Saved = { all: this.all, peers: [...this.peers, ...this.byAddress].sort() }
    this.saving = this.saving.catch(() => {}).then(() => writeFileAtomic(this.file, `${JSON.stringify(data)}\n`))
    return this.saving
  }
}
