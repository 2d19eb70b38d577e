// The shared folder coming and going (folder-presence.ts has its states): which folder it is, a
// look at it once a second while it is shared, and while it is gone, a look for it once a
// second until a folder that can stand for it is back. The index does the indexing, through hooks.
import type { Stats } from 'node:fs'
import { lstat } from 'node:fs/promises'
import type { EventSink } from '../../../shared/events'
import { identityOf, provablySameFolder, sameFolder, type FolderIdentity } from './folder-identity'
import { isMissing, nextPresence, type Presence, type PresenceStep } from './folder-presence'

/** How often to look whether the shared folder is still there, and while it is gone, whether it is back. */
const ROOT_POLL_MS = 1000

export interface RootPresenceHooks {
  /** Runs `job` in turn with the index's other work; `failed` hears what it threw. */
  queue(job: () => Promise<void>, failed: (error: unknown) => void): void
  isClosed(): boolean
  /** Whether the folder at the root's path holds, at any depth, a file the index would share. */
  holdsAShareableFile(): Promise<boolean>
  /** The folder went: its watch stays on the old folder, of no use now. */
  stopWatching(): void
  /**
   * A folder stands for it again: watch and index it afresh. What comes back takes the new
   * index in, once the folder is known to be still there.
   */
  reindex(): Promise<() => void>
  /** Tell the index's listeners the folder is missing. */
  missing(): void
}

export class RootPresence {
  /** Which folder the shared folder is (see sameFolder); its device tells a bare mount point apart. */
  identity: FolderIdentity = { dev: 0, ino: 0, birthtimeMs: 0 }
  /** See folder-presence.ts: while the shared folder is gone its last index stands, and nothing is deleted. */
  private presence: Presence = 'present'
  /** While the shared folder is gone: the next look for it. */
  private rootPoll: NodeJS.Timeout | null = null
  /**
   * The watcher says nothing when the shared folder itself is moved away or made anew (its
   * watch stays on the old folder): the folder is looked at this often, to know.
   */
  private rootCheck: NodeJS.Timeout | null = null

  constructor(
    private readonly root: string,
    private readonly onEvent: EventSink,
    private readonly hooks: RootPresenceHooks,
  ) {}

  /** True while the shared folder is gone (see lost): its files cannot be read. */
  get missing(): boolean {
    return isMissing(this.presence)
  }

  /** Looks at the folder itself once a second (see rootCheck). */
  startChecking(): void {
    this.rootCheck = setInterval(() => {
      this.hooks.queue(
        async () => {
          if (this.hooks.isClosed() || this.missing) return
          if (!(await this.isThere()) && !this.hooks.isClosed() && !this.missing) await this.lost()
        },
        () => {},
      )
    }, ROOT_POLL_MS)
    this.rootCheck.unref()
  }

  /** No more looks; whether the folder is missing stays as it was. */
  stop(): void {
    if (this.rootPoll) clearTimeout(this.rootPoll)
    if (this.rootCheck) clearInterval(this.rootCheck)
  }

  async isThere(): Promise<boolean> {
    const stats = await lstat(this.root).catch(() => null)
    return stats !== null && stats.isDirectory() && sameFolder(this.identity, stats)
  }

  /**
   * The shared folder is gone: say so once, keep the last index, and wait for it to return.
   * `why`: what to say instead of "the shared folder … is gone".
   */
  async lost(why?: string): Promise<void> {
    const there = await lstat(this.root).catch(() => null)
    const what = there?.isSymbolicLink() ? ' (a link stands at its path now, and links are not followed)' : ''
    this.onEvent({
      type: 'error',
      code: 'folder-missing',
      message: `${why ?? `the shared folder ${this.root} is gone${what}`}; peers keep their mirrors of it, and sharing resumes when it is back (a new, empty folder in its place counts once it holds a file)`,
    })
    this.hooks.stopWatching()
    const look = (): void => {
      if (this.hooks.isClosed()) return
      this.step('lost')
      this.rootPoll = setTimeout(() => {
        this.hooks.queue(
          async () => {
            if (this.hooks.isClosed()) return
            const stats = await this.candidate()
            if (this.hooks.isClosed()) return
            if (!stats) return look()
            await this.regain(identityOf(stats))
          },
          (error) => {
            this.onEvent({ type: 'error', code: 'index-failed', message: `indexing ${this.root}: ${String(error)}` })
            look()
            // Missing again after a failed return: anyone who subscribed meanwhile heard "present".
            if (this.missing) this.hooks.missing()
          },
        )
      }, ROOT_POLL_MS)
      this.rootPoll.unref()
    }
    look()
    if (this.missing) this.hooks.missing()
  }

  /**
   * A folder at the root's path that can stand for it. On another device it must hold something:
   * an unmounted disk leaves an empty mount point behind, and taking that for the folder would
   * delete everything at the peers. (A disk mounted again may come back as another device.)
   */
  private async candidate(): Promise<Stats | null> {
    const stats = await lstat(this.root).catch(() => null)
    if (!stats?.isDirectory()) return null
    // The folder itself, moved back, counts however empty: its emptiness is the user's doing.
    if (provablySameFolder(this.identity, stats)) return stats
    return (await this.hooks.holdsAShareableFile()) ? stats : null
  }

  /** The folder is back (or a new one stands at its path): index it afresh and watch it again. */
  private async regain(identity: FolderIdentity): Promise<void> {
    // Until the return succeeds the folder is still the one lost: a candidate that fails is not
    // "the folder itself" next time (which would count however empty).
    const lost = this.identity
    this.identity = identity
    this.rootPoll = null
    this.step('seen')
    let takeIn: () => void
    try {
      takeIn = await this.hooks.reindex()
    } catch (error) {
      this.identity = lost
      throw error
    }
    if (this.hooks.isClosed()) return
    if (!(await this.isThere())) {
      this.identity = lost
      return this.lost()
    }
    this.step('returned')
    takeIn()
  }

  /** Moves the folder's presence on (see folder-presence.ts). */
  private step(step: PresenceStep): void {
    const next = nextPresence(this.presence, step)
    if (!next) throw new Error(`the shared folder cannot be ${step} while ${this.presence}`)
    this.presence = next
  }
}
