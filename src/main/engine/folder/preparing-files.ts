// Files of the shared folder being hashed before peers can hear of them (preparing events): a
// large new file is otherwise invisible until its hash is done. Each report is the whole list;
// an empty one ends it. A file hashed between two reports is never reported at all.
import type { EventSink, PreparingFile } from '../../../shared/events'
import { Sampler } from '../util/sampler'
import type { FolderIndex } from './folder-index'

export const PREPARING_EVERY_MS = 250

export class PreparingFiles {
  private readonly files = new Map<string, PreparingFile>()
  private readonly sampler: Sampler
  private sent = '[]'
  private readonly hashing = (path: string, bytes: number, total: number): void => {
    this.files.set(path, { path, bytes, total })
    this.sampler.schedule()
  }
  private readonly hashed = (path: string): void => {
    this.files.delete(path)
    this.sampler.schedule()
  }

  constructor(
    private readonly index: FolderIndex,
    private readonly emit: EventSink,
    intervalMs = PREPARING_EVERY_MS,
  ) {
    this.sampler = new Sampler(intervalMs, () => this.report())
    index.on('hashing', this.hashing)
    index.on('hashed', this.hashed)
  }

  close(): void {
    this.index.off('hashing', this.hashing)
    this.index.off('hashed', this.hashed)
    this.sampler.close()
  }

  private report(): void {
    const files = [...this.files.values()].map((file) => ({ ...file }))
    const text = JSON.stringify(files)
    if (text === this.sent) return
    this.sent = text
    this.emit({ type: 'preparing', files })
  }
}
