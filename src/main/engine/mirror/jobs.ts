// What travels between the main thread and the transfer workers. Plain data (structured clone).
export interface PeerRef {
  ip: string
  port: number
  /** The device ID (hex) its certificate must hash to: every connection to it pins this. */
  id: string
  /** `ip:port`, where it is now: the name events use. The coordinator knows peers by `id`. */
  key: string
  /** Absolute path of this peer's mirror folder. */
  folder: string
}

/** Fetch a peer's file list. */
export interface ListJob {
  kind: 'list'
  id: number
  peer: PeerRef
}

/** Bring one file of a peer into its mirror. */
export interface FileJob {
  kind: 'file'
  id: number
  peer: PeerRef
  path: string
  /** Expected SHA-256 (hex) and size, from the peer's list. */
  version: string
  size: number
  /** The version the mirror holds now, if any (hex). */
  have: string | null
  /** A file on disk already holding this content (a rename or copy): copied instead of fetched. */
  reuseFrom: string | null
  /**
   * Where the version the mirror holds now is hard-linked just before the new one replaces it
   * (the mirror history), or null to keep nothing.
   */
  keepAs?: string | null
}

/**
 * Small files of one peer, fetched with one GET_FILES (batch-rule.ts): the producer gathers them,
 * so the batch is one ring slot and one unit of work in flight. Each file is answered on its own.
 */
export interface BatchJob {
  kind: 'batch'
  id: number
  peer: PeerRef
  files: FileJob[]
}

export type Job = ListJob | FileJob | BatchJob

/** A job a worker answers with `done`: a batch is answered file by file. */
export type AnsweredJob = Exclude<Job, BatchJob>

export interface ListEntry {
  path: string
  version: string
  size: number
  /** The peer announced this version as a snapshot of a file it was still writing (absent: not one). */
  snapshot?: boolean
}

export type JobResult =
  /** The entries came ahead in `list-part` messages; `files` counts them. */
  | { kind: 'list'; ok: true; files: number }
  | {
      kind: 'file'
      ok: true
      outcome: 'fetched' | 'reused' | 'up-to-date'
      version: string
      size: number
      transferred: number
      /** The placed file's mtime, for the manifest (read in the worker, off the main thread). */
      mtimeMs: number
    }
  | { kind: 'file'; ok: false; outcome: 'not-found' }
  /** The local file to copy from was moved away meanwhile (the other half of a rename). */
  | { kind: 'file'; ok: false; outcome: 'source-gone' }
  | { kind: 'list' | 'file'; ok: false; outcome: 'failed'; code: string; reason: string; retry: boolean }

/** What the main thread posts to a worker: jobs to run, or a word about one peer's connection. */
export type MainToWorker =
  | Job[]
  /** Open the connection to a peer now, so its first job does not wait for the handshake. */
  | { kind: 'connect'; peer: PeerRef }
  /** The peer left: drop its connection. */
  | { kind: 'forget'; peer: string }

export interface WorkerInit {
  workerId: number
  /** This device's certificate and key (PEM) for its TLS connections, and its name for HELLO. */
  certPem: string
  keyPem: string
  name: string
  /** The download limit's shared memory (net/token-bucket.ts): every worker takes from it. */
  downloadRate?: SharedArrayBuffer
}

export type WorkerToMain =
  /** A list job's entries, one FILE_LIST frame at a time, ahead of its `done`. */
  | { type: 'list-part'; id: number; files: ListEntry[] }
  | { type: 'started'; id: number; total: number; version: string }
  | { type: 'progress'; id: number; bytes: number; total: number }
  | { type: 'done'; id: number; result: JobResult }
