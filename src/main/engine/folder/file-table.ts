// The index's files by relative path, counting how many lie below each folder: whether a folder
// that went (or was replaced) took anything indexed with it is then one lookup, not a pass over
// every file, and a pass is made only when something below it is really to go.

export class FileTable<V> extends Map<string, V> {
  /** Files below each folder that holds any, by the folder's relative path ('' is not kept). */
  private readonly counts = new Map<string, number>()
  private total = 0
  /** Paths set or deleted since the owner last took them, while it asks for them (a journal of the table). */
  changed: Set<string> | null = null

  /** Always empty at first: Map's constructor would `set` entries before `counts` exists. */
  constructor() {
    super()
  }

  override set(rel: string, value: V): this {
    if (!this.has(rel)) this.added(rel, enclosingFolders(rel))
    else this.total -= sizeOf(this.get(rel))
    this.total += sizeOf(value)
    this.changed?.add(rel)
    return super.set(rel, value)
  }

  /** The sum of the files' sizes (values with a `size`), kept as they are set and deleted. */
  get bytes(): number {
    return this.total
  }

  /** `rel` is new to the table; `folders`: those it lies in, outermost first (one slicing per path for subclasses too). */
  protected added(_rel: string, folders: string[]): void {
    for (const folder of folders) this.counts.set(folder, (this.counts.get(folder) ?? 0) + 1)
  }

  override delete(rel: string): boolean {
    const value = this.get(rel)
    const had = super.delete(rel)
    if (had) {
      this.total -= sizeOf(value)
      this.uncount(rel)
      this.changed?.add(rel)
    }
    return had
  }

  override clear(): void {
    if (this.changed) for (const rel of this.keys()) this.changed.add(rel)
    super.clear()
    this.counts.clear()
    this.total = 0
  }

  /** How many files lie below the folder at `rel`, at any depth ('' is the shared folder). */
  filesBelow(rel: string): number {
    return rel === '' ? this.size : (this.counts.get(rel) ?? 0)
  }

  private uncount(rel: string): void {
    for (const folder of enclosingFolders(rel)) {
      const n = (this.counts.get(folder) ?? 0) - 1
      if (n > 0) this.counts.set(folder, n)
      else this.counts.delete(folder)
    }
  }
}

function sizeOf(value: unknown): number {
  const size = (value as { size?: unknown } | undefined)?.size
  return typeof size === 'number' ? size : 0
}

/** The folders `rel` lies in, outermost first ('a/b/c.txt': 'a', 'a/b'). */
export function enclosingFolders(rel: string): string[] {
  const folders: string[] = []
  for (let slash = rel.indexOf('/'); slash !== -1; slash = rel.indexOf('/', slash + 1)) folders.push(rel.slice(0, slash))
  return folders
}

/** `name` inside the folder at relative path `prefix` ('' is the shared folder). */
export function childPath(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name
}

/** Whether `rel` lies in (at any depth) one of `folders` ('' holds everything). */
export function liesBelow(rel: string, folders: Set<string>): boolean {
  if (folders.size === 0) return false
  return folders.has('') || enclosingFolders(rel).some((folder) => folders.has(folder))
}
