// One Syncthing node (Debian's package) for the blocks bench: a home of its own, one folder
// `bench` (send-only at the sender, receive-only at the receiver), peers at fixed loopback
// addresses, and its REST API. Configured as ../shared/bench/syncthing-pair.sh does (no discovery,
// relays or watcher: the bench asks for each scan), and at normal priority, like the other tools.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { openSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { endWithBench, forget } from './at-exit'
import { rssTreeMb } from './rss'

export const FOLDER = 'bench'
const API_KEY = 'k'

export function syncthingInstalled(): boolean {
  try {
    execFileSync('bash', ['-c', 'command -v syncthing'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A port free now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface FileState {
  version: string
  size: number
  deleted: boolean
}

export interface FolderStatus {
  state: string
  localFiles: number
  needFiles: number
}

export class SyncthingNode {
  private child: ChildProcess | null = null

  private constructor(
    readonly home: string,
    readonly id: string,
    readonly listenPort: number,
    private readonly guiPort: number,
  ) {}

  /** A new identity in `home`, listening on `listenPort` (free ports are picked when not given). */
  static async create(home: string, listenPort?: number): Promise<SyncthingNode> {
    execFileSync('syncthing', ['generate', `--home=${home}`], { stdio: 'ignore' })
    const id = execFileSync('syncthing', [`--home=${home}`, '--device-id'], { encoding: 'utf8' }).trim()
    return new SyncthingNode(home, id, listenPort ?? (await freePort()), await freePort())
  }

  /** Shares `dir` as the folder `bench` with `peers` (each at its listen port on 127.0.0.1). */
  configure(dir: string, type: 'sendonly' | 'receiveonly', peers: SyncthingNode[]): void {
    const device = (node: SyncthingNode, address: string): string =>
      `<device id="${node.id}" name="${path.basename(node.home)}" compression="never"><address>${address}</address></device>`
    const folderDevices = [this, ...peers].map((n) => `<device id="${n.id}"></device>`).join('')
    writeFileSync(
      path.join(this.home, 'config.xml'),
      `<configuration version="36">
<folder id="${FOLDER}" label="${FOLDER}" path="${dir}" type="${type}" rescanIntervalS="3600" fsWatcherEnabled="false">
<filesystemType>basic</filesystemType>${folderDevices}<minDiskFree unit="%">0</minDiskFree></folder>
${device(this, 'dynamic')}
${peers.map((p) => device(p, `tcp://127.0.0.1:${p.listenPort}`)).join('\n')}
<gui enabled="true" tls="false"><address>127.0.0.1:${this.guiPort}</address><apikey>${API_KEY}</apikey></gui>
<options><listenAddress>tcp://127.0.0.1:${this.listenPort}</listenAddress><globalAnnounceEnabled>false</globalAnnounceEnabled>
<localAnnounceEnabled>false</localAnnounceEnabled><relaysEnabled>false</relaysEnabled><natEnabled>false</natEnabled>
<urAccepted>-1</urAccepted><startBrowser>false</startBrowser><crashReportingEnabled>false</crashReportingEnabled>
<autoUpgradeIntervalH>0</autoUpgradeIntervalH><minHomeDiskFree unit="%">0</minHomeDiskFree><setLowPriority>false</setLowPriority></options>
</configuration>`,
    )
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Starts the node; resolves once its REST API answers. */
  async start(): Promise<void> {
    const log = openSync(path.join(this.home, 'log.txt'), 'a')
    // Its own process group: `serve` is a monitor process and the syncthing it forks, and a kill
    // must reach both.
    const child = spawn('syncthing', ['serve', `--home=${this.home}`, '--no-browser', '--no-restart', '--no-upgrade'], { stdio: ['ignore', log, log], detached: true })
    this.child = child
    endWithBench(child.pid, 'group')
    await this.until(async () => (await this.get('/rest/system/ping').catch(() => null)) !== null, 60_000, 'its REST API')
  }

  /** SIGKILL, as a crash or a pulled plug would end it. */
  async kill(): Promise<void> {
    await this.end('SIGKILL')
  }

  /** SIGTERM, as a person quits it; SIGKILL if it is still up after 10 s. */
  async stop(): Promise<void> {
    await this.end('SIGTERM')
  }

  /** Signals the process group and resolves once every process of it is gone (the database is free). */
  private async end(signal: NodeJS.Signals): Promise<void> {
    const pgid = this.child?.pid
    this.child = null
    if (!pgid) return
    const signalGroup = (s: NodeJS.Signals | 0): boolean => {
      try {
        process.kill(-pgid, s)
        return true
      } catch {
        return false
      }
    }
    signalGroup(signal)
    const deadline = Date.now() + 10_000
    while (signalGroup(0)) {
      if (Date.now() > deadline) signalGroup('SIGKILL')
      // A zombie nobody reaps would answer forever.
      if (Date.now() > deadline + 5_000) throw new Error(`syncthing ${this.home} (process group ${pgid}) did not end`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    forget(pgid)
  }

  async get(what: string): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${this.guiPort}${what}`, { headers: { 'X-API-Key': API_KEY } })
    if (!response.ok) throw new Error(`syncthing ${what}: ${response.status} ${await response.text()}`)
    return response.json()
  }

  /** Rescans the folder now; resolves when the scan is done. */
  async scan(): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${this.guiPort}/rest/db/scan?folder=${FOLDER}`, { method: 'POST', headers: { 'X-API-Key': API_KEY } })
    if (!response.ok) throw new Error(`syncthing scan: ${response.status} ${await response.text()}`)
  }

  async status(): Promise<FolderStatus> {
    return (await this.get(`/rest/db/status?folder=${FOLDER}`)) as FolderStatus
  }

  /** This node's own record of `rel`; null when it has none. */
  async file(rel: string): Promise<FileState | null> {
    const reply = (await this.get(`/rest/db/file?folder=${FOLDER}&file=${encodeURIComponent(rel)}`).catch(() => null)) as {
      local?: { version?: unknown; size?: number; deleted?: boolean }
    } | null
    const local = reply?.local
    if (!local?.version || (Array.isArray(local.version) && local.version.length === 0)) return null
    return { version: JSON.stringify(local.version), size: local.size ?? 0, deleted: local.deleted ?? false }
  }

  /** Resolves when `done` does, polling every 50 ms; throws past `timeoutMs`. */
  async until(done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.child && (this.child.exitCode !== null || this.child.signalCode !== null)) throw new Error(`syncthing ${this.home} exited waiting for ${what}`)
      if (await done().catch(() => false)) return
      if (Date.now() > deadline) throw new Error(`syncthing ${this.home}: no ${what} within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Scanned: it holds `files` files and is idle. */
  idleWith(files: number, timeoutMs = 300_000): Promise<void> {
    return this.until(
      async () => {
        const s = await this.status()
        return s.localFiles === files && s.needFiles === 0 && s.state === 'idle'
      },
      timeoutMs,
      `${files} files, idle`,
    )
  }

  /** Holds `rel` as `sender` does now (same version, or both deleted). */
  async sameAs(sender: SyncthingNode, rels: string[], timeoutMs = 300_000): Promise<void> {
    const want = await Promise.all(rels.map((rel) => sender.file(rel)))
    await this.until(
      async () => {
        for (const [i, rel] of rels.entries()) {
          const have = await this.file(rel)
          const w = want[i]!
          if (w === null || w.deleted) {
            if (have !== null && !have.deleted) return false
          } else if (have?.version !== w.version || have.deleted) return false
        }
        return true
      },
      timeoutMs,
      `${rels.join(', ')} as the sender has them`,
    )
  }

  rssMb(): number {
    return this.child?.pid ? rssTreeMb(this.child.pid) : 0
  }
}
