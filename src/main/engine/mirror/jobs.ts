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
  /**
   * Other local files with blocks of this file's block size are known (local-blocks.ts): the
   * worker may ask which of them hold blocks it wants. Absent: none, nothing to ask.
   */
  localBlocks?: boolean
}

/**
 * A local file that may hold blocks a pull wants (local-blocks.ts): opened by the worker only
 * inside `root` (proven by the descriptor, never through a link), its list read from `listDir`.
 */
export interface LocalSource {
  version: string
  size: number
  /** The shared folder or a mirror folder, and the file's path in it ('/'-separated). */
  root: string
  rel: string
  /** What `root` must be (lstat: a link put in its place is not it). */
  rootDev: number
  rootIno: number
  /** The block store holding its list. */
  listDir: string
}

/**
 * Blocks first..first+count-1 of a big file that another job (its owner) is pulling: fetched over
 * the taking worker's own connection, each checked against its hash, written at its offset into
 * the owner's partial. The owner records them as verified (run-news) and renames the file.
 */
export interface RunJob {
  kind: 'run'
  id: number
  peer: PeerRef
  path: string
  /** The owner file job's id. */
  owner: number
  /** The version whose block list the owner checked (hex), its size and block size. */
  version: string
  size: number
  blockSize: number
  first: number
  count: number
  /** The run's block hashes, 32 bytes each, from that checked list. */
  hashes: Uint8Array
}


/** A failure said across threads: what PeerSessionError carries. */
export interface Failure {
  code: string
  reason: string
  retry: boolean
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

export type Job = FileJob | RunJob | BatchJob

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
  | {
      kind: 'file'
      ok: true
      outcome: 'fetched' | 'reused' | 'up-to-date'
      version: string
      size: number
      transferred: number
      /** The placed file's mtime, for the manifest (read in the worker, off the main thread). */
      mtimeMs: number
      /** Its block list, for a file big enough that other pulls may take blocks of it (local-blocks.ts). */
      list?: { blockSize: number; hashes: Uint8Array }
    }
  | { kind: 'file'; ok: false; outcome: 'not-found' }
  /** The local file to copy from was moved away meanwhile (the other half of a rename). */
  | { kind: 'file'; ok: false; outcome: 'source-gone' }
  /** Every block of the run written (the owner heard of each in `verified` messages before). */
  | { kind: 'run'; ok: true }
  | { kind: 'file' | 'run'; ok: false; outcome: 'failed'; code: string; reason: string; retry: boolean }

/** What the main thread posts to a worker: jobs to run, or a word about one peer's connection. */
export type MainToWorker =
  | Job[]
  /** Open the connection to a peer now, so its first job does not wait for the handshake. */
  | { kind: 'connect'; peer: PeerRef }
  /** The peer left: drop its connection. */
  | { kind: 'forget'; peer: string }
  /** The answer to a `find-blocks` of this worker's. */
  | { kind: 'blocks-found'; ask: number; sources: LocalSource[] }
  /** To the owner of a spread file: blocks another worker wrote, checked, and how many bytes it fetched. */
  | { kind: 'run-verified'; owner: number; blocks: number[]; bytes: number }
  /** To the owner of a spread file: one of its runs ended (ok, failed, or dropped before it ran). */
  | { kind: 'run-ended'; owner: number; failure?: Failure }

export interface WorkerInit {
  workerId: number
  /** How many transfer workers there are: a big file's runs are cut to spread over them all. */
  workers?: number
  /** This device's certificate and key (PEM) for its TLS connections, and its name for HELLO. */
  certPem: string
  keyPem: string
  name: string
  /** The download limit's shared memory (net/token-bucket.ts): every worker takes from it. */
  downloadRate?: SharedArrayBuffer
  /** How long a peer may leave requests unanswered (DEFAULT_PEER_STALL_MS). */
  peerStallMs?: number
}

export type WorkerToMain =
  | { type: 'started'; id: number; total: number; version: string }
  | { type: 'progress'; id: number; bytes: number; total: number }
  /** Which local files may hold some of these blocks (count × 32 bytes of hashes)? Answered by `blocks-found`. */
  | { type: 'find-blocks'; id: number; ask: number; blockSize: number; hashes: Uint8Array }
  | { type: 'done'; id: number; result: JobResult }
  /** A file job's missing blocks, as runs for any worker to fetch (RunJob); it waits for them. */
  | { type: 'spread'; id: number; runs: Array<{ first: number; count: number }>; version: string; size: number; blockSize: number; hashes: Uint8Array }
  /** A run job's blocks now written and checked; `bytes` of content came over the wire for them. */
  | { type: 'verified'; id: number; blocks: number[]; bytes: number }
