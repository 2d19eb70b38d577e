// Engine-wide defaults, in one place so the CLI, the app and the docs agree.
import { availableParallelism } from 'node:os'
import { DEFAULT_RESCAN_SECONDS } from '../../shared/rescan'

/** How often a client pings the server; silence for 3 intervals ends the connection (15 s < 30 s). */
export const DEFAULT_HEARTBEAT_MS = 5000
/** How long a new connection may take to say HELLO. */
export const DEFAULT_HELLO_TIMEOUT_MS = 5000
/** How long a peer may leave our requests unanswered while we read before its connection is given
 * up on and they are asked again later: a folder server whose disk hangs answers PINGs still. */
export const DEFAULT_PEER_STALL_MS = 120_000
/** Outgoing bytes a peer may leave unread before it is cut off. */
export const DEFAULT_MAX_QUEUE_BYTES = 4 * 1024 * 1024
/**
 * Outgoing frames a peer may leave unsent before it is cut off: each costs far more memory than
 * its bytes, and a 5-byte frame is as real as a megabyte. Far above what any burst leaves.
 */
export const DEFAULT_MAX_QUEUE_FRAMES = 16 * 1024
/**
 * Connections one address may hold open before saying HELLO. Each holds a socket and a timer
 * for up to the hello timeout; an honest client says HELLO at once, so only a crowd starting
 * together behind one address (a NAT, the registry benchmark's thousand clients) comes near it.
 */
export const DEFAULT_MAX_HANDSHAKES_PER_IP = 1024
/**
 * A peer's requests to a folder server waiting to be answered (count and bytes) before the
 * server stops reading its connection: TCP holds the rest until some are answered. Above what
 * this client pipelines on one connection (MAX_JOBS_PER_WORKER jobs and a list).
 */
export const MAX_WAITING_REQUESTS = 1024
export const MAX_WAITING_REQUEST_BYTES = 4 * 1024 * 1024
/** Reconnect backoff of a client that lost its server: doubles from the first to the cap. */
export const RECONNECT_FIRST_MS = 100
export const RECONNECT_CAP_MS = 2000
/** How long a leaving client waits for LOG_OFF_OK before it closes anyway. */
export const LOG_OFF_WAIT_MS = 1000
/** After a reconnect, how long a peer missing from the list may take to reappear before it is reported gone. */
export const RECONCILE_GRACE_MS = RECONNECT_CAP_MS + 1000

/**
 * How often a client looks at its whole shared folder and each mirror again, for what no watch
 * sees: writes through a memory mapping (databases do that) raise no inotify event, nor do
 * changes other machines make on a network file system, nor any in a folder past the system's
 * watch limit; and the kernel drops events when its queue overflows. 10,000 unchanged files
 * cost ~0.15 s of CPU. `--rescan` sets it.
 */
export const DEFAULT_RESCAN_EVERY_MS = DEFAULT_RESCAN_SECONDS * 1000

/**
 * Worker threads when none are asked for: 4, or fewer on a machine with fewer cores. Each thread
 * brings its own JavaScript engine (compiler, garbage collector); past the cores they only
 * compete (on 2 cores, 2 workers synced 10,000 small files 10–15% faster than 4, every run).
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()))
}
