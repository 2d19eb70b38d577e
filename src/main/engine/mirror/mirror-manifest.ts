// What a peer's mirror folder holds, by path: version, size and mtime as written. Saved
// (atomically, batched) beside the mirrors so a restart knows what is already there; on load,
// an entry whose file no longer matches on disk is forgotten and fetched again.
import { lstat, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../folder/atomic-write'

export interface MirroredFile {
  version: string
  size: number
  mtimeMs: number
}

const SAVE_DELAY_MS = 1000

export class MirrorManifest {
  readonly files = new Map<string, MirroredFile>()
  private saveTimer: NodeJS.Timeout | null = null
  private saving: Promise<void> = Promise.resolve()

  constructor(
    /** The peer's mirror folder. */
    readonly folder: string,
    private readonly file: string,
  ) {}

  async load(): Promise<void> {
    let saved: Record<string, MirroredFile> = {}
    try {
      saved = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, MirroredFile>
    } catch {
      return
    }
    for (const [rel, entry] of Object.entries(saved)) {
      const stats = await lstat(path.join(this.folder, ...rel.split('/'))).catch(() => null)
      if (stats?.isFile() && stats.size === entry.size && stats.mtimeMs === entry.mtimeMs) this.files.set(rel, entry)
    }
  }

  /** Records a file just placed in the mirror, with the mtime it got there. */
  set(rel: string, version: string, size: number, mtimeMs: number): void {
    this.files.set(rel, { version, size, mtimeMs })
    this.scheduleSave()
  }

  delete(rel: string): void {
    if (this.files.delete(rel)) this.scheduleSave()
  }

  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer)
      this.saveTimer = null
      this.saving = this.saving.then(() => this.save())
    }
    await this.saving
  }

  private scheduleSave(): void {
    if (this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null
      this.saving = this.saving.then(() => this.save()).catch(() => {})
    }, SAVE_DELAY_MS)
  }

  private async save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true })
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.files)))
  }
}
