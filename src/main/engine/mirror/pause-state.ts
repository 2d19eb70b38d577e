// What the user paused: the whole client, or single peers' mirrors. A local choice (peers are
// told nothing), kept across restarts in MIRROR/.dropbox-sync/paused.json, written atomically.
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../folder/atomic-write'

export const PAUSE_FILE = 'paused.json'

interface Saved {
  all: boolean
  peers: string[]
}

export class PauseState {
  all = false
  readonly peers = new Set<string>()
  private saving: Promise<void> = Promise.resolve()

  constructor(private readonly file: string) {}

  /** What was paused when the client last ran; nothing if the file is missing or unreadable. */
  load(): void {
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Saved>
      this.all = saved.all === true
      for (const peer of Array.isArray(saved.peers) ? saved.peers : []) if (typeof peer === 'string') this.peers.add(peer)
    } catch {
      // Never paused, or a torn file: nothing is paused.
    }
  }

  isPaused(peer: string): boolean {
    return this.all || this.peers.has(peer)
  }

  /** Pauses the client (peer undefined) or one peer; false if it already was. */
  pause(peer?: string): boolean {
    if (peer === undefined) {
      if (this.all) return false
      this.all = true
    } else {
      if (this.peers.has(peer)) return false
      this.peers.add(peer)
    }
    return true
  }

  /** Resumes the client or one peer; false if it was not paused. */
  resume(peer?: string): boolean {
    if (peer === undefined) {
      if (!this.all) return false
      this.all = false
    } else if (!this.peers.delete(peer)) return false
    return true
  }

  /** Saved in order: the last change is the one on disk. */
  save(): Promise<void> {
    const data: Saved = { all: this.all, peers: [...this.peers].sort() }
    this.saving = this.saving.catch(() => {}).then(() => writeFileAtomic(this.file, `${JSON.stringify(data)}\n`))
    return this.saving
  }
}
