// One record per path of one peer: what the mirror remembers about it beyond the manifest (its
// job under way, a version refused, failed attempts, a wait for the peer's folder). A path with
// nothing to remember has no record, so the map holds only the paths in some state.
import type { PathRecord } from './reconcile'
import type { Observed, PathObserver } from './mirror-tally'

/** What a path may hold beyond the decision's inputs (see PathRecord). */
interface FullRecord extends PathRecord {
  /** Failed attempts since the last success or new announcement. */
  attempts?: number
  /** Aborted while the peer's folder was away: asked for again when it is back. */
  held?: true
}

const NONE: Readonly<FullRecord> = Object.freeze({})

export class PathRecords implements Observed {
  /** Told when a path's refused version changes, to keep the mirror's figures (mirror-tally.ts). */
  observer: PathObserver | null = null
  private readonly records = new Map<string, FullRecord>()
  private pendingCount = 0

  /** Refused versions by path, as the mirror figures read them. */
  readonly refused = { get: (rel: string): string | undefined => this.records.get(rel)?.refused }

  /** The path's record as the decision reads it (an empty one when there is none). */
  of(rel: string): Readonly<PathRecord> {
    return this.records.get(rel) ?? NONE
  }

  /** Paths with a record (each holds something). */
  get size(): number {
    return this.records.size
  }

  /** Whether any path has a job queued, running or waiting to be retried. */
  get anyPending(): boolean {
    return this.pendingCount > 0
  }

  isPending(rel: string): boolean {
    return this.records.get(rel)?.pending !== undefined
  }

  setPending(rel: string, version: string): void {
    const record = this.open(rel)
    if (record.pending === undefined) this.pendingCount++
    record.pending = version
  }

  clearPending(rel: string): void {
    const record = this.records.get(rel)
    if (record?.pending === undefined) return
    this.pendingCount--
    this.change(rel, record, 'pending')
  }

  refuse(rel: string, version: string): void {
    this.observer?.before(rel)
    this.open(rel).refused = version
    this.observer?.after(rel)
  }

  /** The peer answered `version` of the path with newer content than it announced (PathRecord.outrun). */
  outrun(rel: string, version: string): void {
    this.open(rel).outrun = version
  }

  attempts(rel: string): number {
    return this.records.get(rel)?.attempts ?? 0
  }

  setAttempts(rel: string, attempts: number): void {
    this.open(rel).attempts = attempts
  }

  /** Forgets a refusal, an outrun announcement or the attempts counted (a new announcement, a success, a wait). */
  forget(rel: string, field: 'refused' | 'outrun' | 'attempts'): void {
    const record = this.records.get(rel)
    if (record) this.change(rel, record, field)
  }

  hold(rel: string): void {
    this.open(rel).held = true
  }

  /** The held paths, no longer held. */
  takeHeld(): string[] {
    return this.take('held')
  }

  /** Forgets one field on every path (a peer that left, a fresh list, a folder away). */
  forgetAll(field: 'pending' | 'refused' | 'outrun' | 'attempts' | 'held'): void {
    this.take(field)
  }

  private take(field: keyof FullRecord): string[] {
    const paths: string[] = []
    for (const [rel, record] of this.records) {
      if (record[field] === undefined) continue
      paths.push(rel)
      if (field === 'pending') this.pendingCount--
      this.change(rel, record, field)
    }
    return paths
  }

  private open(rel: string): FullRecord {
    let record = this.records.get(rel)
    if (!record) this.records.set(rel, (record = {}))
    return record
  }

  /** Drops one field of the record, and the record once it holds nothing. */
  private change(rel: string, record: FullRecord, field: keyof FullRecord): void {
    const told = field === 'refused' && record.refused !== undefined ? this.observer : null
    told?.before(rel)
    delete record[field]
    if (record.pending === undefined && record.refused === undefined && record.outrun === undefined && record.attempts === undefined && record.held === undefined) this.records.delete(rel)
    told?.after(rel)
  }
}
